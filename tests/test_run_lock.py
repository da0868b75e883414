"""One monitor run processes at a time: the run lock, on SQLite and PostgreSQL, and the flow that meets it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
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


def paused_deployment(name: str) -> uuid.UUID:
    """A monitor deployment on a one-second schedule that Prefect's scheduler leaves alone (it is paused):
    its scheduled runs are the ones a test makes with schedule_runs()."""
    from prefect.schedules import Interval

    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = Interval(timedelta(seconds=1), anchor_date=anchor)
    return monitor.to_deployment(name=f"{name}-{uuid.uuid4().hex[:8]}", schedules=[schedule], paused=True).apply()


def schedule_runs(deployment_id: uuid.UUID, start: datetime, end: datetime) -> None:
    """What Prefect's scheduler does: runs of the deployment's schedule due between start and end (auto_scheduled)."""
    from prefect.settings import PREFECT_API_URL

    window = {"start_time": start.isoformat(), "end_time": end.isoformat()}
    httpx.post(f"{PREFECT_API_URL.value()}/deployments/{deployment_id}/schedule", json=window).raise_for_status()


def runs_of(deployment_id: uuid.UUID) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    only = DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(deployment_filter=only, sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=50)


def articles_stored(url: str) -> int:
    store = SqlStore.open(url)
    try:
        return store.count_articles_between(None, None)
    finally:
        store.close()


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_started_by_hand_waits_for_a_command_line_run_and_counts_only_scheduled_runs_due_meanwhile(workdir):
    """Seen from a deployment's run: it waits for the lock, saying for whom; then its summary names the
    scheduled runs that came due while it was in progress, not the one a user started meanwhile."""
    from prefect import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    deployment_id = paused_deployment("by-hand")
    with get_client(sync_client=True) as client:
        ours = client.create_flow_run_from_deployment(deployment_id)
    holder = hold_lock_in_another_process(load_settings().database_url_value, "monitor slow-heron since 09:45 UTC")

    def meanwhile() -> None:
        """Once our run is in progress: a run started by hand and one of the schedule come due, then the
        command-line run ends."""
        with get_client(sync_client=True) as client:
            while client.read_flow_run(ours.id).state_type.value != "RUNNING":
                time.sleep(0.1)
            due = datetime.now(UTC) + timedelta(seconds=1)
            client.create_flow_run_from_deployment(deployment_id, state=Scheduled(scheduled_time=due))
        schedule_runs(deployment_id, due, due + timedelta(seconds=0.999))  # one run, on the next whole second
        schedule_runs(deployment_id, due + timedelta(hours=1), due + timedelta(hours=1, seconds=0.999))
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2.5)  # past both due times
        holder.communicate("", timeout=30)

    releasing = threading.Thread(target=meanwhile)
    releasing.start()
    try:
        state = run_flow(monitor, flow_run=ours, return_type="state")
    finally:
        releasing.join(timeout=60)
        if holder.poll() is None:
            holder.kill()

    assert state.is_completed(), state.message
    assert len(state.result().alerts) == 2, "it did its work once the lock was free"
    record = run_record(ours.id)
    assert "waiting for monitor slow-heron since 09:45 UTC" in record.logs
    assert state.message.endswith("; outlived its schedule: 1 scheduled run due meanwhile waited"), state.message
    by_hand = [run for run in runs_of(deployment_id) if not run.auto_scheduled and run.id != ours.id]
    scheduled, later = [run for run in runs_of(deployment_id) if run.auto_scheduled]
    report = run_record(ours.id).artifact("monitor-summary")
    assert "longer than its schedule's interval: 1 scheduled run came due meanwhile and waited for it" in report
    assert scheduled.name.replace("-", "\\-") in report
    assert by_hand[0].name.replace("-", "\\-") not in report, "a run started by hand is not the schedule's"
    assert later.name.replace("-", "\\-") not in report


@pytest.mark.usefixtures("prefect_harness")
def test_a_scheduled_run_that_a_later_one_superseded_ends_at_once_and_the_later_one_does_the_work(workdir):
    """Behind a slow run, scheduled runs queue up; when their turn comes, all but the latest end at once."""
    from prefect.flow_engine import run_flow

    deployment_id = paused_deployment("superseded")
    overdue = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
    schedule_runs(deployment_id, overdue, overdue + timedelta(seconds=1.5))  # 10 s and 9 s ago: both overdue
    earlier, latest = runs_of(deployment_id)

    state = run_flow(monitor, flow_run=earlier, return_type="state")

    assert state.is_cancelled(), state.message
    due = f"{latest.expected_start_time:%H:%M:%S}"
    assert state.message == f"superseded: the scheduled run {latest.name}, due at {due} UTC, does its work"
    assert articles_stored(load_settings().database_url_value) == 0, "the superseded run read nothing"
    assert run_record(earlier.id).artifact("monitor-summary").startswith("# Run cancelled")
    after = run_flow(monitor, flow_run=latest, return_type="state")
    assert after.is_completed() and len(after.result().alerts) == 2, after.message


@pytest.mark.usefixtures("prefect_harness")
def test_a_scheduled_run_that_finds_a_command_line_run_processing_is_turned_away_at_once(workdir):
    """The next scheduled run comes soon: waiting would only hold the deployment's queue."""
    from prefect.flow_engine import run_flow

    deployment_id = paused_deployment("turned-away")
    now = datetime.now(UTC)
    schedule_runs(deployment_id, now - timedelta(seconds=1), now - timedelta(seconds=0.001))
    [ours] = runs_of(deployment_id)
    url = load_settings().database_url_value
    holder = hold_lock_in_another_process(url, "monitor slow-heron since 09:45 UTC")
    try:
        began = time.monotonic()
        state = run_flow(monitor, flow_run=ours, return_type="state")
        waited = time.monotonic() - began
    finally:
        holder.communicate("", timeout=30)

    assert state.is_cancelled()
    assert state.message == "skipped: another monitor run is processing (monitor slow-heron since 09:45 UTC)"
    assert waited < 30, "it did not wait for the lock"
    assert articles_stored(url) == 0


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_outside_a_deployment_says_nothing_of_its_schedule(workdir):
    state = monitor(return_state=True)
    assert state.is_completed() and "schedule" not in state.message
    assert "interval" not in run_record(state.state_details.flow_run_id).artifact("monitor-summary")
