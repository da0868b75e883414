"""Delivery modes through the real pipeline: quiet hours, digests, rate limits and routing by rule.

The monitor and digest flows run under Prefect's test harness with the real model and apprise, on
SQLite and on PostgreSQL, at the moments VEILLE_NOW names; rules come from a rules file written here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from flows.digest import digest
from flows.monitor import monitor
from tests.conftest import ROOT, Receiver, read_alert_file
from tests.prefect_api import run_record
from veille.clean import shorten
from veille.records import HeldCount, PlannedDelivery, TargetRef
from veille.sanitize import neutralise_line
from veille.settings import load_settings
from veille.store.models import AlertRow, DeliveryRow
from veille.store.sql import SqlStore

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Winter: Paris is UTC+1, so 05:59 UTC is 06:59 there, a minute before quiet hours end at 07:00.
BEFORE_SEVEN = "2026-12-02T05:59:00+00:00"
SEVEN_01 = "2026-12-02T06:01:00+00:00"
NIGHT_TARGETS = """
  - tag: night
    quiet_hours: {start: "22:00", end: "07:00", timezone: Europe/Paris}
"""
MENTION_RULE = "  - id: mention\n    kind: mention\n"
LATER_SEED = "003_14110cf45b5c4781.txt"


def write_rules(workdir: Path, monkeypatch: pytest.MonkeyPatch, rules: str, targets: str = "") -> None:
    path = workdir / "rules.yaml"
    path.write_text("rules:\n" + rules + ("targets:\n" + targets if targets else ""), encoding="utf-8")
    monkeypatch.setenv("VEILLE_RULES_FILE", str(path))


def write_targets(workdir: Path, *items: tuple[str, str]) -> None:
    """The built-in target tagged alerts (silent), and each (URL, tags)."""
    lines = ["version: 1", "urls:", "  - veille://:", "      tag: alerts", "      console: no"]
    lines += [f"  - {url}:\n      tag: {tags}" for url, tags in items]
    (workdir / "config" / "targets.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def at(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    monkeypatch.setenv("VEILLE_NOW", moment)


def run_monitor_at(monkeypatch, moment: str):
    at(monkeypatch, moment)
    state = monitor(return_state=True)
    assert state.is_completed(), state.message
    return state, state.result()


def run_digest_at(monkeypatch, moment: str):
    at(monkeypatch, moment)
    state = digest(return_state=True)
    assert state.is_completed(), state.message
    return state


def open_store() -> SqlStore:
    return SqlStore.open(load_settings().database_url_value)


def titles(receiver) -> list[str]:
    return [message["title"] for message in receiver.received]


# --- Quiet hours ------------------------------------------------------------------------------------


def test_quiet_hours_hold_every_alert_and_release_each_exactly_once_when_they_end(workdir, receiver, monkeypatch):
    receiver.start()
    write_targets(workdir, (receiver.url, "alerts, night"))
    write_rules(workdir, monkeypatch, MENTION_RULE, NIGHT_TARGETS)

    state, night = run_monitor_at(monkeypatch, BEFORE_SEVEN)

    assert len(night.alerts) == 2 and receiver.received == []
    assert night.delivery.sent == 2, "the built-in target has no quiet hours"
    assert night.delivery.held == [HeldCount("pending", "quiet hours until 07:00 Europe/Paris", 2)]
    assert "on hold:       2 held (quiet hours until 07:00 Europe/Paris)" in night.render()
    report = run_record(state.state_details.flow_run_id).artifact("monitor-summary")
    assert "- **On hold**: 2 held (quiet hours until 07:00 Europe/Paris)" in report
    assert report.count("sent 1 of 2; 1 held (quiet hours until 07:00 Europe/Paris)") == 2, report

    _, last_second = run_monitor_at(monkeypatch, "2026-12-02T05:59:59+00:00")
    assert (last_second.delivery.sent, receiver.received) == (0, [])

    _, morning = run_monitor_at(monkeypatch, SEVEN_01)
    _, later = run_monitor_at(monkeypatch, "2026-12-02T07:30:00+00:00")

    assert (morning.delivery.sent, morning.delivery.released, morning.delivery.held) == (2, 2, [])
    assert "on hold:       2 sent now that their quiet hours are over" in morning.render()
    assert later.delivery.sent == 0
    assert sorted(titles(receiver)) == sorted(line["title"] for line in read_alert_file(workdir))
    assert max(Counter(titles(receiver)).values()) == 1


class HoldingHook:
    """A webhook on 127.0.0.1 that holds its first request unanswered (the test kills the sender meanwhile,
    so the target never accepts it), then records every request as accepted."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.arrived, self.released = threading.Event(), threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not hook.arrived.is_set():
                    hook.arrived.set()
                    hook.released.wait(120)
                    status = 503
                else:
                    hook.received.append(payload)
                    status = 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender was killed: nobody reads the answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.e2e
def test_quiet_hours_release_each_alert_once_across_a_run_killed_after_claiming_one(workdir, monkeypatch):
    """A monitor process claims the first released alert and dies before the target accepts it: its lease
    runs out and a later run sends both held alerts, each once."""
    from prefect.settings import PREFECT_API_URL

    hook = HoldingHook()
    try:
        write_targets(workdir, (hook.url, "alerts, night"))
        write_rules(workdir, monkeypatch, MENTION_RULE, NIGHT_TARGETS)
        run_monitor_at(monkeypatch, BEFORE_SEVEN)

        env = dict(os.environ, VEILLE_NOW=SEVEN_01, PREFECT_API_URL=PREFECT_API_URL.value(), PYTHONPATH=str(ROOT))
        process = subprocess.Popen(
            [sys.executable, "-m", "flows.monitor"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        while not hook.arrived.wait(0.2):
            if process.poll() is not None:
                pytest.fail(f"the monitor ended before sending: {process.stdout.read()}")
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        hook.released.set()
        store = open_store()
        try:
            counts = store.delivery_counts()
        finally:
            store.close()
        assert counts == {"sent": 2, "sending": 1, "pending": 1}, "killed after claiming one, before recording it"

        _, within_lease = run_monitor_at(monkeypatch, "2026-12-02T06:05:00+00:00")
        assert (within_lease.delivery.sent, len(hook.received)) == (1, 1), "the claimed one waits for its lease"
        _, after_lease = run_monitor_at(monkeypatch, "2026-12-02T06:15:00+00:00")
        _, later = run_monitor_at(monkeypatch, "2026-12-02T07:00:00+00:00")
    finally:
        hook.close()

    received = Counter(message["title"] for message in hook.received)
    assert sorted(received) == sorted(line["title"] for line in read_alert_file(workdir))
    assert max(received.values()) == 1
    assert (after_lease.delivery.sent, later.delivery.sent) == (1, 0)


# --- Digests ----------------------------------------------------------------------------------------

DIGEST_RULE = "  - id: weekly\n    kind: mention\n    mode: digest\n"


def digests_of(target_key: str) -> list[tuple[int, int, str]]:
    """(digest alert id, alerts in it, title) of each digest sent to a target, and the queued deliveries
    of that target, by the digest that took them."""
    store = open_store()
    try:
        with Session(store.engine) as session:
            rows = session.execute(
                select(AlertRow.id, AlertRow.occurrences, AlertRow.title)
                .join(DeliveryRow, DeliveryRow.alert_id == AlertRow.id)
                .where(AlertRow.category == "digest", DeliveryRow.target_key == target_key)
                .order_by(AlertRow.id)
            ).all()
    finally:
        store.close()
    return [tuple(row) for row in rows]


def digested_by_alert(target_key: str) -> dict[int, list[int | None]]:
    """For each alert, the digest each of its deliveries to this target went out in."""
    store = open_store()
    try:
        with Session(store.engine) as session:
            rows = session.execute(
                select(DeliveryRow.alert_id, DeliveryRow.digest_alert_id, DeliveryRow.status)
                .join(AlertRow, DeliveryRow.alert_id == AlertRow.id)
                .where(AlertRow.category == "alert", DeliveryRow.target_key == target_key)
            ).all()
    finally:
        store.close()
    found: dict[int, list[int | None]] = {}
    for alert_id, digest_id, status in rows:
        found.setdefault(alert_id, []).append(digest_id if status == "digested" else None)
    return found


def receiver_key() -> str:
    from flows.common import load_configuration

    [target] = [t for t in load_configuration(with_blocks=False).notifier.targets if t.label.startswith("json://")]
    return target.key


def outbox_list(capsys) -> list[str]:
    from flows.outbox import main

    capsys.readouterr()
    assert main(["list"]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_digest_holds_exactly_the_alerts_queued_before_it_and_the_next_one_those_after(
    workdir, receiver, monkeypatch, capsys
):
    receiver.start()
    write_targets(workdir, (receiver.url, "alerts"))
    write_rules(workdir, monkeypatch, DIGEST_RULE)
    later = workdir / LATER_SEED
    shutil.move(workdir / "seeds" / LATER_SEED, later)

    _, first = run_monitor_at(monkeypatch, "2026-12-02T08:00:00+00:00")
    assert len(first.alerts) == 1 and first.delivery.sent == 0 and receiver.received == []
    assert first.delivery.held == [HeldCount("queued", "digest rule weekly", 2)], "one per target"
    listed = outbox_list(capsys)
    assert listed[0].split() == ["KEY", "TARGET", "WAITING", "QUEUED", "FAILED", "OLDEST", "LABEL"]
    assert [line.split()[1:4] for line in listed[1:3]] == [["config", "0", "1"]] * 2, listed
    assert "2 queued for the next digest run: digest rule weekly" in listed
    state = run_digest_at(monkeypatch, "2026-12-02T09:00:00+00:00")
    assert state.message.endswith("; 2 held alerts in 2 digests, 2 sent"), state.message
    assert outbox_list(capsys) == [
        "No delivery waits: every delivery was sent.",
        "2 deliveries went out inside a digest (digested).",
    ]

    shutil.move(later, workdir / "seeds" / LATER_SEED)
    _, second = run_monitor_at(monkeypatch, "2026-12-02T10:00:00+00:00")
    assert len(second.alerts) == 1
    run_digest_at(monkeypatch, "2026-12-02T11:00:00+00:00")
    empty = run_digest_at(monkeypatch, "2026-12-02T12:00:00+00:00")

    assert "held" not in empty.message, "nothing queued since: no digest"
    assert titles(receiver) == ["Veille digest: 1 held alert", "Veille digest: 1 held alert"]
    morning, noon = (message["message"] for message in receiver.received)
    assert morning.startswith(
        "1 alert held from 2026-12-02 08:00 to 2026-12-02 09:00 UTC: 1 alert from digest rule weekly."
    )
    assert "Raqqa" in morning and "Kalibr" not in morning
    assert noon.startswith("1 alert held from 2026-12-02 10:00 to 2026-12-02 11:00 UTC")
    assert "Kalibr" in noon and "Raqqa" not in noon
    key = receiver_key()
    digests = digests_of(key)
    assert [count for _, count, _ in digests] == [1, 1]
    taken = digested_by_alert(key)
    assert sorted(d for ids in taken.values() for d in ids) == sorted(d for d, _, _ in digests), "each in one"
    assert len(read_alert_file(workdir)) == 2, "the built-in target got its own two digests"


def test_the_rate_limit_overflow_rolls_into_the_digest_which_says_so_and_carries_the_summary(
    workdir, receiver, monkeypatch
):
    receiver.start()
    write_targets(workdir, (receiver.url, "alerts, digest"))
    write_rules(workdir, monkeypatch, MENTION_RULE, "  - tag: alerts\n    rate_limit: {count: 1, hours: 1}\n")

    _, run = run_monitor_at(monkeypatch, "2026-12-02T08:00:00+00:00")

    assert len(run.alerts) == 2 and len(receiver.received) == 1, "one at once, one over the limit"
    assert run.delivery.held == [HeldCount("queued", "over the rate limit of 1 per 1 h", 2)]
    assert "on hold:       2 queued for the digest (over the rate limit of 1 per 1 h)" in run.render()

    state = run_digest_at(monkeypatch, "2026-12-02T09:00:00+00:00")

    assert state.message == "2 alerts; sent to 0 targets; 2 held alerts in 2 digests, 2 sent"
    assert len(receiver.received) == 2, "one message: the held alert's digest with the summary inside"
    message = receiver.received[1]
    assert message["title"] == "Veille digest: 2 alerts in the last 24 h; 1 held"
    lines = message["message"].split("\n")
    assert lines[0].endswith(": 1 alert over the rate limit of 1 per 1 h.")
    store = open_store()
    try:
        statuses = store.delivery_statuses(a.alert_id for a in run.alerts)
        [queued_id] = [alert_id for alert_id, counts in statuses.items() if counts == Counter(digested=2)]
        [queued] = store.alert_lines([queued_id])
    finally:
        store.close()
    assert lines[3].startswith(f"- «{shorten(neutralise_line(queued.article_title), 80)}» (folder:")
    assert "New articles: 2 (folder:" in message["message"], "the summary follows"
    report = run_record(state.state_details.flow_run_id).artifact("digest")
    assert "## Held alerts' digests (2)" in report and "sent 0 of 2; 2 in a digest" in report


# --- Routing by rule --------------------------------------------------------------------------------


def test_an_alert_matching_two_rules_with_different_tags_reaches_both_targets_once_each(workdir, monkeypatch):
    ops, intel = Receiver().start(), Receiver().start()
    try:
        write_targets(workdir, (ops.url, "ops"), (intel.url, "intel"))
        write_rules(
            workdir,
            monkeypatch,
            "  - id: places\n    kind: mention\n    entries: {kinds: [place]}\n    tags: [ops]\n"
            "  - id: weapons\n    kind: mention\n    entries: {kinds: [weapon]}\n    tags: [intel]\n",
        )
        (workdir / "seeds" / "hama.txt").write_text("Des combats ont repris à Hama dans la nuit.\n", encoding="utf-8")

        _, run = run_monitor_at(monkeypatch, "2026-12-02T08:00:00+00:00")
        run_monitor_at(monkeypatch, "2026-12-02T09:00:00+00:00")
    finally:
        ops.stop()
        intel.stop()

    assert len(run.alerts) == 3
    assert len(ops.received) == 3 and len(intel.received) == 2
    assert max(Counter(titles(ops)).values()) == max(Counter(titles(intel)).values()) == 1
    assert set(titles(intel)) < set(titles(ops))
    for message in intel.received:
        assert "Rule places: " in message["message"] and "Rule weapons: " in message["message"]


# --- Two digest runs at once ------------------------------------------------------------------------


def test_two_digest_runs_that_overlap_put_each_queued_alert_in_exactly_one_digest(workdir, receiver, monkeypatch):
    """The first run holds its transaction open while the second starts its own (on PostgreSQL, until the
    second waits on the rows the first took): one digest holds both alerts, the other run finds none."""
    write_targets(workdir, (receiver.url, "alerts"))
    write_rules(workdir, monkeypatch, DIGEST_RULE)
    run_monitor_at(monkeypatch, "2026-12-02T08:00:00+00:00")
    target = TargetRef(receiver_key(), "receiver")
    until = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    delivery = PlannedDelivery(target, "pending", until)
    first_took, go = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def plan(name: str, items):
        from veille.digest import plan_queued_digest

        if name == "first":
            first_took.set()
            go.wait(60)
        return plan_queued_digest(items, until, target.label)

    def run(name: str) -> None:
        store = open_store()
        try:
            results[name] = store.record_digest(delivery, until, until, lambda items: plan(name, items))
        except Exception as exc:
            results[name] = exc
        finally:
            store.close()

    first = threading.Thread(target=run, args=("first",))
    second = threading.Thread(target=run, args=("second",))
    first.start()
    assert first_took.wait(60)
    second.start()
    _wait_until_blocked(second)
    go.set()
    first.join(60)
    second.join(60)

    assert results["second"] is None, results
    assert results["first"].alerts == 2, results
    [(digest_id, count, _)] = digests_of(target.key)
    assert count == 2
    assert sorted(d for ids in digested_by_alert(target.key).values() for d in ids) == [digest_id, digest_id]


def _wait_until_blocked(thread: threading.Thread) -> None:
    """On PostgreSQL, until the second transaction waits for a lock the first holds; on SQLite (whose
    write lock makes it wait at its BEGIN, which cannot be seen from here) a moment."""
    url = load_settings().database_url_value
    if not url.startswith("postgresql"):
        time.sleep(0.5)
        return
    store = open_store()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and thread.is_alive():
            with store.engine.connect() as connection:
                waiting = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE 'UPDATE deliveries SET status=%'"
                    )
                ).scalar()
            if waiting:
                return
            time.sleep(0.05)
        pytest.fail("the second digest run never waited for the first")
    finally:
        store.close()
