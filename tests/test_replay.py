"""Replay under Prefect's test harness: a dry run sends nothing, a real one sends only what never existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.monitor import monitor
from flows.replay import replay
from tests.conftest import read_alert_file, write_targets
from tests.prefect_api import run_record

pytestmark = pytest.mark.usefixtures("prefect_harness")

# A trial watch list: the configured one and three entries the seeds mention but nobody watched.
TRIAL_ENTRIES = """
  - id: mitrailleuse
    kind: weapon
    name: mitrailleuse
  - id: roquette
    kind: weapon
    name: roquette
  - id: irak
    kind: place
    name: Irak
"""
NEW_ENTRIES = {"mitrailleuse", "roquette", "irak"}


@pytest.fixture
def trial_watchlist(workdir):
    path = workdir / "config" / "trial-watchlist.yaml"
    path.write_text(
        (workdir / "config" / "watchlist.yaml").read_text(encoding="utf-8") + TRIAL_ENTRIES, encoding="utf-8"
    )
    return path


def titles(receiver) -> list[str]:
    return [message["title"] for message in receiver.received]


def test_dry_run_sends_nothing_and_real_mode_sends_only_new_alerts(workdir, receiver, trial_watchlist):
    receiver.start()
    write_targets(workdir, receiver.url)
    assert monitor(return_state=True).is_completed()
    before = titles(receiver)
    assert len(before) == 2, "one message per seed article"

    state = replay(watchlist_file=trial_watchlist, return_state=True)

    assert state.is_completed(), state.message
    planned = state.result()
    assert {hit.entry.id for alert in planned for hit in alert.hits} == NEW_ENTRIES
    assert [alert.article.key for alert in planned] == ["003_14110cf45b5c4781.txt"], "one message, three entries"
    assert titles(receiver) == before and len(read_alert_file(workdir)) == 2, "a dry run sent something"
    record = run_record(state.state_details.flow_run_id)
    report = record.artifact("replay-report")
    assert "1 alert would be sent, none was" in report and "mitrailleuse" in report
    assert any(a["type"] == "progress" and a["data"] == 100.0 for a in record.artifacts)
    assert replay(watchlist_file=trial_watchlist, return_state=True).result() != [], "a dry run stored nothing"

    state = replay(watchlist_file=trial_watchlist, dry_run=False, return_state=True)

    assert state.is_completed(), state.message
    created = state.result()
    assert {name for alert in created for name in alert.entries} == {"mitrailleuse", "roquette", "Irak"}
    (new,) = titles(receiver)[len(before) :]
    assert all(name in new for name in ("Irak", "mitrailleuse", "roquette")), new
    assert len(read_alert_file(workdir)) == 3

    again = replay(watchlist_file=trial_watchlist, dry_run=False, return_state=True)
    dry_again = replay(watchlist_file=trial_watchlist, return_state=True)
    assert again.result() == [] and dry_again.result() == []
    assert len(titles(receiver)) == 3, "a second replay sent again"
    assert monitor(return_state=True).result().alerts == [], "the monitor saw nothing new either"


def test_replay_reads_only_the_articles_of_its_date_range(workdir, trial_watchlist):
    assert monitor(return_state=True).is_completed()
    now = datetime.now(UTC)

    later = replay(since=now + timedelta(days=1), watchlist_file=trial_watchlist, return_state=True)
    earlier = replay(until=now - timedelta(days=1), watchlist_file=trial_watchlist, return_state=True)
    around = replay(
        since=(now - timedelta(hours=1)).replace(tzinfo=None),
        until=now + timedelta(hours=1),
        watchlist_file=trial_watchlist,
        return_state=True,
    )

    assert later.result() == [] and earlier.result() == []
    assert "0 stored articles" in run_record(later.state_details.flow_run_id).artifact("replay-report")
    assert {hit.entry.id for alert in around.result() for hit in alert.hits} == NEW_ENTRIES


def test_a_missing_trial_watch_list_fails_the_run_with_its_name(workdir):
    state = replay(watchlist_file=workdir / "config" / "nope.yaml", return_state=True)

    assert state.is_failed()
    assert "nope.yaml" in state.message
