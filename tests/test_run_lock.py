"""One monitor run processes at a time: the run lock, on SQLite and PostgreSQL, and the flow that meets it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from flows.monitor import monitor
from tests.conftest import ROOT, read_alert_file
from tests.prefect_api import run_record
from veille.settings import load_settings
from veille.store.sql import SqlStore


@pytest.fixture
def store(database_url):
    store = SqlStore.open(database_url)
    yield store
    store.close()


def hold_lock_in_another_process(database_url: str, holder: str) -> subprocess.Popen:
    """A process that takes the monitor lock, says so, and keeps it until its input closes."""
    code = textwrap.dedent(f"""
        import sys
        from veille.store.sql import SqlStore
        store = SqlStore.open({database_url!r})
        with store.run_lock("monitor", {holder!r}) as lock:
            print("acquired" if lock.acquired else "refused", flush=True)
            sys.stdin.read()
    """)
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "acquired"
    return process


def test_a_second_holder_is_refused_and_told_who_holds_it(store, database_url):
    holder = hold_lock_in_another_process(database_url, "monitor brave-otter since 10:15 UTC")
    try:
        with store.run_lock("monitor", "monitor second") as lock:
            assert not lock.acquired
            assert lock.held_by == "monitor brave-otter since 10:15 UTC"
        with store.run_lock("replay", "replay first") as other:
            assert other.acquired, "locks of other names are independent"
    finally:
        holder.communicate("", timeout=30)
    with store.run_lock("monitor", "monitor third") as lock:
        assert lock.acquired, "released when its holder ended"


def test_a_killed_holder_leaves_no_lock_behind(store, database_url):
    holder = hold_lock_in_another_process(database_url, "monitor doomed")
    holder.kill()
    holder.wait(timeout=30)
    with store.run_lock("monitor", "monitor after the kill") as lock:
        assert lock.acquired


@pytest.mark.usefixtures("prefect_harness")
def test_a_monitor_run_while_another_processes_is_cancelled_and_does_nothing(workdir):
    url = load_settings().database_url_value
    holder = hold_lock_in_another_process(url, "monitor slow-heron since 09:45 UTC")
    try:
        state = monitor(return_state=True)
    finally:
        holder.communicate("", timeout=30)

    assert state.is_cancelled()
    assert state.message == "skipped: another monitor run is processing (monitor slow-heron since 09:45 UTC)"
    report = run_record(state.state_details.flow_run_id).artifact("monitor-summary")
    assert report.startswith("# Run cancelled") and "slow\\-heron since 09:45" in report
    assert read_alert_file(workdir) == []
    store = SqlStore.open(url)
    try:
        assert store.count_articles_between(None, None) == 0, "the skipped run read nothing"
    finally:
        store.close()

    after = monitor(return_state=True)
    assert after.is_completed() and len(after.result().alerts) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_that_outlives_its_interval_names_the_runs_due_meanwhile(workdir):
    """Seen from a deployment's run: the runs that came due while it processed are named in its summary."""
    from prefect import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    deployment_id = monitor.to_deployment(name=f"overrun-{uuid.uuid4().hex[:8]}").apply()
    due = datetime.now(UTC)
    with get_client(sync_client=True) as client:

        def scheduled(after: timedelta):
            return client.create_flow_run_from_deployment(deployment_id, state=Scheduled(scheduled_time=due + after))

        ours, meanwhile, later = scheduled(timedelta(0)), scheduled(timedelta(seconds=1)), scheduled(timedelta(hours=1))
    time.sleep(1.5)  # past `meanwhile`'s due time, whatever this machine's speed

    state = run_flow(monitor, flow_run=ours, return_type="state")

    assert state.is_completed(), state.message
    assert state.message.endswith("; outlived its schedule: 1 run due meanwhile turned away"), state.message
    report = run_record(ours.id).artifact("monitor-summary")
    assert "longer than its schedule's interval: 1 run came due meanwhile and was turned away" in report
    assert meanwhile.name.replace("-", "\\-") in report and later.name.replace("-", "\\-") not in report


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_outside_a_deployment_says_nothing_of_its_schedule(workdir):
    state = monitor(return_state=True)
    assert state.is_completed() and "schedule" not in state.message
    assert "interval" not in run_record(state.state_details.flow_run_id).artifact("monitor-summary")
