"""Deliveries through apprise, for real: a JSON webhook on 127.0.0.1 and the built-in file target."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from apprise import Apprise

from tests.builders import Clock, found, outbox, sqlite_url
from tests.conftest import CONFIG, POSTGRES_URL, postgres_or_skip
from veille.errors import StoreError
from veille.notify.journal import FileSentJournal, journal_path
from veille.notify.jsonline import line_fields
from veille.notify.local import install_local_target
from veille.notify.sender import DeliveryPolicy, send_due_deliveries
from veille.notify.targets import load_notifier
from veille.records import JournalEntry

POLICY = DeliveryPolicy(max_attempts=3, backoff_seconds=0, lease_seconds=600)


def test_local_target_prints_and_appends_a_json_line(tmp_path):
    console = io.StringIO()
    install_local_target(tmp_path / "data" / "alerts.jsonl", console=console)
    apobj = Apprise()
    apobj.add("veille://")
    assert apobj.notify(title="Veille: Hama", body="Place: Hama\n«À Hama»")
    assert apobj.notify(title="second", body="deux")
    lines = (tmp_path / "data" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert (first["title"], first["body"]) == ("Veille: Hama", "Place: Hama\n«À Hama»")
    assert len(lines) == 2
    assert "Veille: Hama" in console.getvalue()


def test_local_target_can_stay_silent(tmp_path):
    console = io.StringIO()
    install_local_target(tmp_path / "alerts.jsonl", console=console)
    apobj = Apprise()
    apobj.add("veille://?console=no")
    assert apobj.notify(title="t", body="b")
    assert console.getvalue() == ""
    assert (tmp_path / "alerts.jsonl").exists()


def test_the_file_target_writes_an_alerts_fields_and_the_webhook_gets_its_text_alone(tmp_path, receiver):
    receiver.start()
    notifier = load_notifier(None, f"veille://?console=no {receiver.url}", tmp_path / "alerts.jsonl")
    details = {
        "severity": "high",
        "article": {"location": "https://www.afp.example/a/1", "read_at": "2026-11-22T08:00:00+00:00"},
        "entries": [{"id": "hama", "kind": "place", "sentence": "Des tirs à Hama.", "coordinates": [35.132, 36.757]}],
    }

    for target in notifier.targets_for(["alerts"]):
        assert notifier.send(target.key, "Veille: Hama", "Place: Hama", fields=details) is None
    apobj = Apprise()
    apobj.add("veille://?console=no")
    assert apobj.notify(title="Veille: run failed", body="after the alert")

    first, after = (json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines())
    assert first["fields"] == line_fields(details) and first["fields"]["entries"][0]["id"] == "hama"
    assert after["fields"] is None, "an alert's fields stay with its own send"
    (payload,) = receiver.received
    assert (payload["title"], payload["message"]) == ("Veille: Hama", "Place: Hama") and "fields" not in payload


def journal_in(tmp_path) -> FileSentJournal:
    return FileSentJournal(tmp_path / "journal.jsonl")


def test_receiver_down_then_up_gets_the_alert_exactly_once(tmp_path, receiver):
    clock = Clock()
    notifier = load_notifier(CONFIG / "targets.yaml", receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, now=clock())

    down = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))
    assert (down.sent, down.retrying) == (1, 1), "the file target works while the webhook is down"
    assert "127.0.0.1" in down.errors[0]

    receiver.start()
    clock.now += timedelta(minutes=15)
    up = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))
    assert (up.sent, up.retrying) == (1, 0)
    again = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))
    assert again.sent == 0

    assert len(receiver.received) == 1
    assert receiver.received[0]["title"].startswith("Veille: Hama")
    assert "«Des tirs à ⟦Hama⟧.»" in receiver.received[0]["message"]
    assert len((tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 1
    store.close()


def test_a_delivery_gives_up_after_max_attempts(tmp_path, receiver):
    clock = Clock()
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, now=clock())
    reports = []
    for _ in range(4):
        reports.append(send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path)))
        clock.now += timedelta(hours=1)
    assert [r.retrying for r in reports] == [1, 1, 0, 0]
    assert [r.failed for r in reports] == [0, 0, 1, 0]
    assert store.delivery_counts() == {"failed": 1}
    store.close()


def test_backoff_waits_before_the_next_attempt(tmp_path, receiver):
    clock = Clock()
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, now=clock())
    policy = DeliveryPolicy(max_attempts=5, backoff_seconds=60, lease_seconds=600)
    assert send_due_deliveries(store, notifier, policy, clock, journal_in(tmp_path)).retrying == 1
    receiver.start()
    clock.now += timedelta(seconds=30)
    assert send_due_deliveries(store, notifier, policy, clock, journal_in(tmp_path)).sent == 0
    clock.now += timedelta(seconds=31)
    assert send_due_deliveries(store, notifier, policy, clock, journal_in(tmp_path)).sent == 1
    assert len(receiver.received) == 1
    store.close()


def test_a_failing_target_is_not_retried_for_every_alert_in_one_pass(tmp_path, receiver):
    clock = Clock()
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    items = [found(f"Article {n} : Hama.", "Hama", key=f"{n}.txt") for n in range(5)]
    store = outbox(sqlite_url(tmp_path), notifier, *items, now=clock())
    report = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))
    assert (report.retrying, report.deferred) == (1, 4)
    receiver.start()
    assert send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path)).sent == 5
    assert len(receiver.received) == 5
    store.close()


def test_a_target_removed_from_config_keeps_its_deliveries_pending(tmp_path, receiver):
    clock = Clock()
    with_webhook = load_notifier(CONFIG / "targets.yaml", receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), with_webhook, now=clock())
    without = load_notifier(CONFIG / "targets.yaml", None, tmp_path / "alerts.jsonl")
    report = send_due_deliveries(store, without, POLICY, clock, journal_in(tmp_path))
    assert (report.sent, report.orphaned) == (1, 1)
    assert store.delivery_counts() == {"sent": 1, "pending": 1}
    store.close()


def test_a_token_in_a_target_url_never_reaches_the_recorded_error(tmp_path):
    clock = Clock()
    notifier = load_notifier(None, "json://user:canary-token@127.0.0.1:9/hook", tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, now=clock())
    report = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))
    assert report.retrying == 1
    assert "canary-token" not in " ".join(report.errors)
    with store.engine.connect() as conn:
        from sqlalchemy import text

        dump = " ".join(str(v) for row in conn.execute(text("select * from deliveries")) for v in row)
    assert "canary-token" not in dump
    store.close()


class CutsTheDatabaseAfterSending:
    """The real notifier; once a target has accepted, the database refuses every connection."""

    def __init__(self, notifier, database: str) -> None:
        self.notifier = notifier
        self.database = database

    def __getattr__(self, name):
        return getattr(self.notifier, name)

    def send(self, key: str, title: str, body: str, fields=None) -> str | None:
        error = self.notifier.send(key, title, body, fields)
        if error is None:
            admin(
                f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false',
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.database}'",
            )
        return error


def admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


@pytest.fixture
def own_postgres_database():
    """A database of its own, since this test shuts everyone out of it."""
    postgres_or_skip()
    name = f"veille_outage_{uuid.uuid4().hex[:10]}"
    admin(f'CREATE DATABASE "{name}"')
    yield name
    admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true', f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_send_the_database_cannot_record_is_recorded_by_the_next_run_not_sent_again(
    tmp_path, receiver, own_postgres_database
):
    clock = Clock()
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{own_postgres_database}"
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(url, notifier, now=clock())
    journal = FileSentJournal(tmp_path / "journal.jsonl")
    receiver.start()
    impatient = DeliveryPolicy(max_attempts=3, backoff_seconds=0, lease_seconds=600, outage_waits=(0.1, 0.1))

    with pytest.raises(StoreError, match="recording a delivery"):
        send_due_deliveries(
            store, CutsTheDatabaseAfterSending(notifier, own_postgres_database), impatient, clock, journal
        )
    assert len(receiver.received) == 1
    assert [entry.delivery for entry in journal.entries()] == [1]

    admin(f'ALTER DATABASE "{own_postgres_database}" ALLOW_CONNECTIONS true')
    clock.now += timedelta(minutes=15)
    assert [d.id for d in store.due_deliveries(clock(), 600)] == [1], "claimed, unrecorded, its lease over"
    report = send_due_deliveries(store, notifier, impatient, clock, journal)
    assert (report.recorded_from_journal, report.sent) == (1, 0)
    assert len(receiver.received) == 1, "sent a second time"
    assert store.delivery_counts() == {"sent": 1}
    assert journal.entries() == []
    store.close()


def test_the_journal_keeps_what_it_was_not_told_to_forget(tmp_path):
    journal = FileSentJournal(tmp_path / "data" / "journal.jsonl")
    at = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    three, five, seven = (JournalEntry(n, at + timedelta(seconds=n), "db", n, "key", "digest") for n in (3, 5, 7))
    journal.write(three)
    journal.write(five)
    with journal.path.open("a", encoding="utf-8") as file:
        file.write('{"delivery": 9, "sent_at": "2026-')  # a kill while writing
    assert journal.entries() == [three, five]
    journal.write(seven)
    assert journal.entries() == [three, five, seven], "a line after the cut one is read"
    journal.forget([three, seven])
    assert journal.entries() == [five]
    journal.forget([five])
    assert not journal.path.exists()


def test_one_journal_per_database_named_without_its_password(tmp_path):
    first = journal_path(tmp_path, "postgresql+psycopg://veille:s3cret-canary@db.example:5432/veille")
    same = journal_path(tmp_path, "postgresql+psycopg://veille:another-password@db.example:5432/veille")
    other = journal_path(tmp_path, "postgresql+psycopg://veille:s3cret-canary@db.example:5432/archive")
    assert first == same != other
    assert "canary" not in str(first) and first.parent == tmp_path


def test_a_journal_that_cannot_be_written_says_which_file_in_one_line(tmp_path):
    (tmp_path / "data").write_text("a file where the data folder should be", encoding="utf-8")
    journal = FileSentJournal(tmp_path / "data" / "veille" / "journal.jsonl")
    with pytest.raises(StoreError, match=r"^cannot use the delivery journal .*journal\.jsonl: Not a directory$"):
        journal.write(JournalEntry(3, datetime(2026, 11, 22, tzinfo=UTC)))
