"""One monitor run processes at a time: the run lock, on SQLite and PostgreSQL, and the flow that meets it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
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
    assert after.is_completed() and len(after.result().alerts) == 11
