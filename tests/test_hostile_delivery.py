"""Hostile input to the delivery side (issue #9, items 8 and 9): secrets that must show nowhere, and
deliveries that must never be lost or orphaned. Real apprise, real receivers on 127.0.0.1, real SQLite.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from apprise import Apprise
from sqlalchemy import text

from tests.builders import HAMA_TEXT, Clock, found, outbox, sqlite_url, watch_list, weapon
from tests.conftest import Receiver, free_port
from tests.recording import record_detections
from tests.timing import assert_linear
from veille.errors import ConfigError, StoreError
from veille.notify.budget import MessageLimits, fit_message, limits_of
from veille.notify.journal import FileSentJournal
from veille.notify.sender import DeliveryPolicy, send_due_deliveries
from veille.notify.targets import load_notifier, target_label
from veille.records import ArticleMentions
from veille.redact import mask_urls
from veille.report import render_monitor_report
from veille.settings import load_settings
from veille.store.sql import SqlStore
from veille.summary import RunSummary

WATCHLIST = watch_list("hama", weapon("kalibr"))
POLICY = DeliveryPolicy(max_attempts=20, backoff_seconds=0, lease_seconds=600)
CANARY = "CANARY7c1e"

# Every form of issue #9 item 8: a token in a webhook path (apprise does not mask json://, form://,
# xml:// paths), a malformed URL apprise prints whole, a user's password.
MALFORMED_URLS = [f"tgram//123456789:{CANARY}tok", f"jsons://user:{CANARY}pw@[bad", f"mailto://user:{CANARY}pw@"]
PATH_TOKEN_URLS = [
    f"json://127.0.0.1:9/hook/{CANARY}json",
    f"form://127.0.0.1:9/{CANARY}form",
    f"xml://127.0.0.1:9/x/{CANARY}xml",
    f"json://user:{CANARY}pw@127.0.0.1:9/hook",
]


def on_hama(n: int = 0, sentence: str = HAMA_TEXT) -> ArticleMentions:
    """Article n of a test folder, titled "Tirs n", with its mention of Hama."""
    return found(sentence, "Hama", key=f"{n}.txt", title=f"Tirs {n}")


def journal_in(tmp_path) -> FileSentJournal:
    return FileSentJournal(tmp_path / "journal.jsonl")


def table_dump(store: SqlStore, table: str) -> str:
    with store.engine.connect() as connection:
        return repr(connection.execute(text(f"SELECT * FROM {table}")).all())


# --- Item 8: secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"json://127.0.0.1:9/hook/{CANARY}", "json://127.0.0.1:9/****/****"),
        (f"form://hooks.example.org/{CANARY}?format=markdown", "form://hooks.example.org/****?format=****"),
        (f"tgram://123456789:{CANARY}/chat", "tgram://****:****/****"),
        (f"apprise said: tgram//123456789:{CANARY} is unsupported", "apprise said: tgram//****:**** is unsupported"),
        (f"Unparseable JSON URL jsons://user:{CANARY}@[bad", "Unparseable JSON URL jsons://****@****"),
        (f"Could not load E-Mail URL: mailto://user:{CANARY}@", "Could not load E-Mail URL: mailto://****@"),
        (f"mailto:user:{CANARY}@mail.example.com", "mailto:****@mail.example.com"),
        (
            f"postgresql+psycopg://u:p@ss-{CANARY}@db.example:5432/veille",
            "postgresql+psycopg://****@db.example:5432/****",
        ),
        (f"json://[::1]:8080/x?token={CANARY}&=v&{CANARY}", "json://[::1]:8080/****?token=****&****&****"),
        (f"see https://example.com/a#{CANARY}, then", "see https://example.com/****#****, then"),
        ("veille://", "veille://"),
        (
            "HTTPConnectionPool(host='127.0.0.1', port=9): refused",
            "HTTPConnectionPool(host='127.0.0.1', port=9): refused",
        ),
    ],
)
def test_one_mask_covers_user_path_query_and_fragment_whatever_the_scheme(text, masked):
    assert mask_urls(text) == masked


def test_a_path_printed_without_its_url_is_masked_in_apprise_lines():
    line = f"Max retries exceeded with url: /hook/{CANARY} (Caused by NewConnectionError)"
    assert (
        mask_urls(line, bare_paths=True) == "Max retries exceeded with url: /****/**** (Caused by NewConnectionError)"
    )


@pytest.mark.parametrize(
    "url",
    [
        *PATH_TOKEN_URLS,
        f"tgram://123456789:{CANARY}tg/chat1",
        f"discord://1234/{CANARY}disc",
        f"json://127.0.0.1:9/p?token={CANARY}",
    ],
)
def test_a_target_label_shows_no_token_whatever_the_scheme(url):
    label = target_label(Apprise.instantiate(url))
    assert CANARY not in label
    assert label.split("://", 1)[0] == url.split("://", 1)[0]


@pytest.mark.parametrize("url", PATH_TOKEN_URLS + MALFORMED_URLS)
def test_apprise_never_prints_a_target_url_whole(url, tmp_path, caplog, capfd):
    with caplog.at_level(logging.DEBUG):
        try:
            load_notifier(None, url, tmp_path / "alerts.jsonl")
        except ConfigError as exc:
            assert CANARY not in str(exc)
    out, err = capfd.readouterr()
    assert caplog.records, "apprise logged something about the URL"
    assert CANARY not in caplog.text + out + err


def test_a_failing_target_with_a_token_in_its_path_leaves_no_token_in_the_table_or_errors(tmp_path, caplog):
    notifier = load_notifier(None, " ".join(PATH_TOKEN_URLS), tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, on_hama(), watchlist=WATCHLIST)
    with caplog.at_level(logging.DEBUG):
        report = send_due_deliveries(store, notifier, POLICY, Clock(), journal_in(tmp_path))
    assert report.retrying == len(PATH_TOKEN_URLS) == len(report.errors)
    places = {"deliveries": table_dump(store, "deliveries"), "errors": " ".join(report.errors), "logs": caplog.text}
    leaks = {
        place: content[max(0, content.index(CANARY) - 300) : content.index(CANARY) + 100]
        for place, content in places.items()
        if CANARY in content
    }
    assert not leaks
    store.close()


def test_an_unencoded_at_sign_in_the_database_password_is_refused_in_one_line_that_echoes_nothing():
    with pytest.raises(StoreError) as caught:
        SqlStore.open(f"postgresql+psycopg://veille:p@ss-{CANARY}@127.0.0.1:1/veille?connect_timeout=2")
    message = str(caught.value)
    assert "%40" in message and "\n" not in message
    assert CANARY not in message and "ss-" not in message and "127.0.0.1" not in message


def hostile_settings(workdir, receiver, monkeypatch, case: str) -> None:
    """Targets with canary tokens in every form, an operator target that works, and one hostile setting."""
    receiver.start()
    dead = free_port()
    urls = [url.replace("127.0.0.1:9", f"127.0.0.1:{dead}") for url in PATH_TOKEN_URLS]
    urls.append(f"operator=json://127.0.0.1:{receiver.port}/hook")
    if case == "malformed target URL":
        urls.insert(0, MALFORMED_URLS[1])
    if case == "unencoded @ in the database password":
        monkeypatch.setenv("VEILLE_DATABASE_URL", f"postgresql+psycopg://postgres:p@ss-{CANARY}@127.0.0.1:5432/test")
    monkeypatch.setenv("VEILLE_NOTIFY_URLS", " ".join(urls))


def run_monitor_process(workdir, tmp_path) -> tuple[int, str]:
    """`python -m flows.monitor` as a user runs it, against this session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_HOME": str(tmp_path / "prefect-home")}
    done = subprocess.run(
        [sys.executable, "-m", "flows.monitor"], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    return done.returncode, done.stdout + done.stderr


def latest_run_record():
    import httpx
    from prefect.settings import PREFECT_API_URL

    from tests.prefect_api import run_record

    api = PREFECT_API_URL.value()
    runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 1, "sort": "EXPECTED_START_TIME_DESC"}).json()
    return run_record(runs[0]["id"], api), runs[0]


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    "case", ["failing targets with tokens", "malformed target URL", "unencoded @ in the database password"]
)
def test_canaries_in_every_form_reach_no_output_of_a_monitor_run(case, workdir, receiver, monkeypatch, tmp_path):
    hostile_settings(workdir, receiver, monkeypatch, case)

    code, output = run_monitor_process(workdir, tmp_path)

    places = {"process output": output, "operator's messages": repr(receiver.received)}
    for file in (workdir / "data").rglob("*"):
        if file.is_file():
            places[str(file)] = file.read_bytes().decode("utf-8", "replace")
    if case == "malformed target URL":
        assert code == 2 and "VEILLE_NOTIFY_URLS: item 1 is not a URL apprise can use" in output, output
    else:
        record, flow_run = latest_run_record()
        places |= {
            "state": repr(flow_run["state"]),
            "Prefect's logs of the run": "\n".join(record.logs),
            "artifacts": "\n".join(str(a["data"]) for a in record.artifacts),
        }
    if case == "unencoded @ in the database password":
        assert code == 1 and "%40" in output, output
        [alarm] = receiver.received
        assert "%40" in alarm["message"], "the operator is told what to fix"
    if case == "failing targets with tokens":
        assert code == 0, output
        store = SqlStore.open(load_settings().database_url_value)
        places["deliveries table"] = table_dump(store, "deliveries")
        store.close()
        # The failing target is named in the artifact, masked, and neutralised like every cell (＠, [:]).
        assert "to retry" in output and r"json\[:\]//\*\*\*\*＠127.0.0.1:" in places["artifacts"]
    leaks = {
        place: content[max(0, content.index(CANARY) - 300) : content.index(CANARY) + 100]
        for place, content in places.items()
        if CANARY in content
    }
    assert not leaks


def test_the_operator_alarm_masks_a_url_in_the_message_of_a_crash(workdir, receiver, monkeypatch):
    from types import SimpleNamespace

    from prefect.states import Crashed

    from flows.common import notify_operator

    receiver.start()
    monkeypatch.setenv("VEILLE_NOTIFY_URLS", f"operator={receiver.url}")
    crash = Crashed(message=f"ConnectionError: json://u:{CANARY}@hooks.example.org/hook/{CANARY} unreachable")

    notify_operator(SimpleNamespace(name="monitor"), SimpleNamespace(name="odd-run", id="0000"), crash)

    [alarm] = receiver.received
    assert "ended Crashed: ConnectionError: json://****@hooks.example.org/****/**** unreachable" in alarm["message"]
    assert CANARY not in repr(alarm)


# --- Item 9: target identity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("json://127.0.0.1:9/hook", "json://127.0.0.1:9/hook?format=markdown"),
        ("json://127.0.0.1:9/hook", "json://127.0.0.1:9/hook/?overflow=split&format=html"),
        ("tgram://123456789:TOKEN/chat1", "tgram://123456789:TOKEN/chat1?format=markdown&silent=yes"),
        ("discord://1234/TOKEN", "discord://1234/TOKEN?avatar=no&overflow=truncate"),
        ("mailto://user:pw@mail.example.com", "mailto://user:pw@mail.example.com?format=html"),
    ],
)
def test_a_target_keeps_its_key_when_only_its_options_change(before, after, tmp_path):
    keys = [load_notifier(None, url, tmp_path / "alerts.jsonl").targets[0].key for url in (before, after)]
    assert keys[0] == keys[1]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("tgram://123456789:TOKEN/chat1", "tgram://123456789:ROTATED/chat1"),
        ("tgram://123456789:TOKEN/chat1", "tgram://123456789:TOKEN/chat2"),
        ("json://127.0.0.1:9/hook/TOKEN", "json://127.0.0.1:9/hook/ROTATED"),
        (
            "mailtos://user:pw@mail.example.com?smtp=a.example.com",
            "mailtos://user:pw@mail.example.com?smtp=b.example.com",
        ),
    ],
)
def test_a_new_token_another_chat_or_another_server_is_another_target(one, other, tmp_path):
    notifier = load_notifier(None, f"{one} {other}", tmp_path / "alerts.jsonl")
    assert len({target.key for target in notifier.targets}) == 2


def test_deliveries_pending_for_a_target_survive_an_option_added_to_its_url(tmp_path, receiver):
    clock = Clock()
    before = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), before, on_hama(), watchlist=WATCHLIST)
    assert send_due_deliveries(store, before, POLICY, clock, journal_in(tmp_path)).retrying == 1

    after = load_notifier(None, receiver.url + "?format=markdown", tmp_path / "alerts.jsonl")
    receiver.start()
    clock.now += timedelta(minutes=5)
    report = send_due_deliveries(store, after, POLICY, clock, journal_in(tmp_path))

    assert (report.sent, report.orphaned) == (1, 0)
    assert len(receiver.received) == 1
    store.close()


def test_deliveries_keyed_the_old_way_are_renamed_and_none_is_sent_twice(tmp_path, receiver):
    from veille.notify.targets import legacy_target_key

    clock = Clock()
    receiver.start()
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, on_hama(1), on_hama(2, "Hama encore."), watchlist=WATCHLIST)
    [target] = notifier.targets
    with store.engine.begin() as connection:  # as an earlier version left them: one sent, one pending
        connection.execute(text("UPDATE deliveries SET target_key = :old"), {"old": legacy_target_key(target.server)})
        connection.execute(text("UPDATE deliveries SET status = 'sent' WHERE id = 1"))

    report = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))

    assert report.sent == 1 and [m["title"] for m in receiver.received] == ["Veille: Hama in «Tirs 2»"]
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT DISTINCT target_key FROM deliveries")).scalars().all() == [target.key]
    assert send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path)).sent == 0
    store.close()


# --- Item 9: a length budget per target -------------------------------------------------------------

LONG_SENTENCE = "Des tirs à Hama " + "et dans les environs, selon des témoins, " * 250 + "hier soir."
SOURCE_LINE = "Source: feed:agence — https://agence.example/2026/11/22/tirs-a-hama"


def long_alert(sentence: str = LONG_SENTENCE, title: str = "Tirs à Hama", carried: int = 1) -> tuple[str, str]:
    lines = ["Place: Hama (3 mentions)", f"«{sentence}»", f"Article: {title}", SOURCE_LINE]
    if carried > 1:
        lines.append(f"Carried by {carried} sources: " + ", ".join(f"feed:agence-{n}" for n in range(carried)))
    lines += ["Published: 2026-11-22 07:00 UTC", "Found: 2026-11-22 08:00 UTC"]
    return f"Veille: Hama (place) in «{title}»", "\n".join(lines)


@pytest.mark.parametrize(
    ("limits", "alert"),
    [
        pytest.param(MessageLimits(0, 4096), long_alert(), id="Telegram: no title, 4096"),
        pytest.param(MessageLimits(250, 2000), long_alert(), id="Discord: 250 and 2000"),
        pytest.param(MessageLimits(30, 220), long_alert(title="Un titre " * 40, carried=30), id="tiny"),
        pytest.param(MessageLimits(250, 2000), long_alert(sentence="x " * 20, title="t " * 2000), id="long title"),
        pytest.param(MessageLimits(250, 2000), long_alert(sentence="court", carried=400), id="many sources"),
    ],
)
def test_an_alert_is_fitted_to_its_target_keeping_entry_link_and_source(limits, alert):
    title, body = fit_message(*alert, limits)

    if limits.title:
        assert len(title) <= limits.title and len(body) <= limits.body
    else:
        assert len(title) + 20 + len(body) <= limits.body, "the title is sent inside the body"
    lines = body.split("\n")
    assert lines[0] == "Place: Hama (3 mentions)" and SOURCE_LINE in lines
    assert lines[1].startswith("«") and lines[1].endswith("»")
    original = alert[1].split("\n")
    assert (
        len(lines[1]) < len(original[1])
        or lines[2] != original[2]
        or len(lines) < len(original)
        or lines[4] != original[4]
    )


def test_an_alert_that_fits_is_sent_as_it_is_and_the_quote_goes_first():
    title, body = long_alert(sentence="Des tirs à Hama.")
    assert fit_message(title, body, MessageLimits(250, 2000)) == (title, body)
    _, shortened = fit_message(*long_alert(title="Un titre assez long " * 10), MessageLimits(250, 2000))
    assert "Article: " + "Un titre assez long " * 9 in shortened, "the title stays while the quote can give"


def test_a_text_that_is_no_alert_is_cut_at_its_end():
    digest = "\n".join(f"- alerte {n}" for n in range(1000))
    _, body = fit_message("Veille digest", digest, MessageLimits(250, 500))
    assert len(body) <= 500 and body.startswith("- alerte 0\n") and body.endswith("…")


def test_the_limits_are_apprise_s_own_for_each_service():
    assert limits_of(Apprise.instantiate("tgram://123456789:TOKEN/chat")) == MessageLimits(0, 4096)
    assert limits_of(Apprise.instantiate("discord://1234/TOKEN")).body == 2000


class LimitedReceiver(Receiver):
    """A webhook that refuses, as Discord and Telegram do, a message longer than it takes."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars, self.requests = max_chars, 0
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                receiver.requests += 1
                fits = len(payload.get("title", "")) + len(payload.get("message", "")) <= receiver.max_chars
                if fits:
                    receiver.received.append(payload)
                self.send_response(200 if fits else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler


def test_a_10000_character_alert_reaches_a_target_with_a_small_limit_once(tmp_path):
    receiver = LimitedReceiver(max_chars=800).start()
    try:
        clock = Clock()
        notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
        notifier.targets[0].server.body_maxlen = 600  # as a service with a small limit declares it
        long = on_hama(sentence="À Hama, " + "des tirs ont été entendus " * 400 + ".")
        store = outbox(sqlite_url(tmp_path), notifier, long, watchlist=WATCHLIST)
        for _ in range(POLICY.max_attempts + 1):
            send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))
            clock.now += timedelta(hours=2)
        print(
            f"\n10,000-character alert to a 600-character target: {receiver.requests} attempt(s), "
            f"{len(receiver.received)} delivered"
        )

        assert (receiver.requests, len(receiver.received)) == (1, 1)
        assert store.delivery_counts() == {"sent": 1}
        message = receiver.received[0]["message"]
        assert (
            message.startswith("Place: Hama, written «Hama» (alias, confidence 1.00)\n  «À ⟦Hama⟧, des tirs")
            and "Source: folder:test — test/0.txt" in message
        )
        store.close()
    finally:
        receiver.stop()


# --- Item 9: alerts that reach no target ------------------------------------------------------------


def test_an_alert_no_target_takes_waits_and_goes_once_to_a_target_configured_later(tmp_path, receiver):
    clock = Clock()
    receiver.start()
    places = Receiver().start()
    try:
        weapons_only = load_notifier(None, f"weapon={receiver.url}", tmp_path / "alerts.jsonl")
        store = SqlStore.open(sqlite_url(tmp_path))
        [created] = record_detections(store, [on_hama()], WATCHLIST, weapons_only.targets_for, clock()).alerts
        assert created.deliveries == 0

        first = send_due_deliveries(store, weapons_only, POLICY, clock, journal_in(tmp_path))
        summary = RunSummary(alerts=[created], delivery=first)
        assert first.unrouted == 1
        assert "unrouted:      1 alerts reached no target" in summary.render()
        assert "**Unrouted**: 1 alerts reached no target" in render_monitor_report(summary, [], {}, 1.0)

        with_places = load_notifier(None, f"weapon={receiver.url} place={places.url}", tmp_path / "alerts.jsonl")
        second = send_due_deliveries(store, with_places, POLICY, clock, journal_in(tmp_path))
        third = send_due_deliveries(store, with_places, POLICY, clock, journal_in(tmp_path))

        assert (second.routed_late, second.sent, second.unrouted) == (1, 1, 0)
        assert (third.routed_late, third.sent) == (0, 0)
        assert [m["title"] for m in places.received] == ["Veille: Hama in «Tirs 0»"] and not receiver.received
        store.close()
    finally:
        places.stop()


def test_a_target_added_later_does_not_get_the_alerts_others_already_had(tmp_path, receiver):
    clock = Clock()
    receiver.start()
    newcomer = Receiver().start()
    try:
        notifier = load_notifier(None, f"place={receiver.url}", tmp_path / "alerts.jsonl")
        store = outbox(sqlite_url(tmp_path), notifier, on_hama(), watchlist=WATCHLIST)
        assert send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path)).sent == 1

        both = load_notifier(None, f"place={receiver.url} place={newcomer.url}", tmp_path / "alerts.jsonl")
        report = send_due_deliveries(store, both, POLICY, clock, journal_in(tmp_path))

        assert (report.routed_late, report.sent) == (0, 0) and newcomer.received == []
        store.close()
    finally:
        newcomer.stop()


def test_the_upgrade_gives_the_database_an_id_and_masks_labels_stored_before(database_url):
    from sqlalchemy import create_engine

    from veille.store.migrate import upgrade

    engine = create_engine(database_url)
    upgrade(engine, "0002")
    with engine.begin() as connection:
        source = connection.execute(
            text("INSERT INTO sources (name, created_at, consecutive_failures) VALUES ('f', :t, 0) RETURNING id"),
            {"t": Clock()()},
        ).scalar()
        connection.execute(text("INSERT INTO stories (id, title, created_at) VALUES (1, 't', :t)"), {"t": Clock()()})
        connection.execute(
            text(
                "INSERT INTO articles (id, source_id, story_id, key, title, location, text, content_hash, "
                "first_seen_at, changed_at) VALUES (1, :s, 1, 'k', 't', 'l', 'x', 'h', :t, :t)"
            ),
            {"s": source, "t": Clock()()},
        )
        connection.execute(
            text(
                "INSERT INTO alerts (id, story_id, article_id, entry_id, entry_kind, entry_name, variant, sentence, "
                "occurrences, sources, title, body, created_at) "
                "VALUES (1, 1, 1, 'hama', 'place', 'Hama', 'Hama', 's', 1, 1, 't', 'b', :t)"
            ),
            {"t": Clock()()},
        )
        connection.execute(
            text(
                "INSERT INTO deliveries (alert_id, target_key, target_label, status, attempts, last_error, "
                "next_attempt_at, created_at) VALUES (1, 'k', :label, 'pending', 1, :error, :t, :t)"
            ),
            {
                "label": f"json://127.0.0.1:9/hook/{CANARY}",
                "error": f"refused by xml://h.example/{CANARY}",
                "t": Clock()(),
            },
        )
    engine.dispose()

    store = SqlStore.open(database_url)
    assert CANARY not in table_dump(store, "deliveries")
    assert len(store.database_id()) == 32
    store.close()


# --- Item 9: a journal keyed to its database --------------------------------------------------------

SENT_AT = "2026-11-22T07:00:00+00:00"


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(f'{{"delivery": 1, "sent_at": "{SENT_AT}"}}', id="a line of an earlier version"),
        pytest.param(
            f'{{"database": "another-database", "delivery": 1, "alert": 1, "target": "TARGET", '
            f'"digest": "DIGEST", "sent_at": "{SENT_AT}"}}',
            id="another database's entry",
        ),
        pytest.param(
            f'{{"database": "THIS", "delivery": 1, "alert": 1, "target": "TARGET", '
            f'"digest": "0000000000000000", "sent_at": "{SENT_AT}"}}',
            id="another alert of the same id",
        ),
    ],
)
def test_a_stale_journal_entry_never_marks_a_delivery_of_a_fresh_database_as_sent(line, tmp_path, receiver):
    clock = Clock()
    receiver.start()
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = SqlStore.open(sqlite_url(tmp_path))  # fresh: its first delivery has id 1, as the stale entry's had
    line = line.replace("THIS", store.database_id()).replace("TARGET", notifier.targets[0].key)
    journal_in(tmp_path).path.write_text(line + "\n", encoding="utf-8")
    record_detections(store, [on_hama()], WATCHLIST, notifier.targets_for, clock())

    report = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))

    assert (report.recorded_from_journal, report.sent) == (0, 1)
    assert len(receiver.received) == 1
    store.close()


def test_unreadable_journal_lines_are_skipped_with_a_warning_naming_each(tmp_path, receiver, caplog):
    clock = Clock()
    receiver.start()
    journal = journal_in(tmp_path)
    journal.path.write_bytes(
        b"\n".join(
            [
                b'{"delivery": 4, "sent_at": "' + "\u00e9t\u00e9".encode("latin-1") + b'"}',  # not UTF-8
                f'{{"delivery": 1e400, "sent_at": "{SENT_AT}"}}'.encode(),
                b'{"delivery": "7", "sent_at": 5}',
                b"[1, 2]",
                f'{{"delivery": 3, "sent_at": "{SENT_AT}", "alert": "x"}}'.encode(),
                b'{"delivery": 3, "sent_at": "2026-11-2',
            ]
        )
    )
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, on_hama(), watchlist=WATCHLIST)

    with caplog.at_level(logging.WARNING, logger="veille.notify.journal"):
        report = send_due_deliveries(store, notifier, POLICY, clock, journal)

    assert report.sent == 1
    warned = [r.getMessage() for r in caplog.records if r.name == "veille.notify.journal"]
    assert [message.split(": ", 1)[0] for message in warned] == [f"{journal.path}:{n}" for n in range(1, 7)]
    assert not journal.path.exists(), "dropped once warned about"
    store.close()


def test_a_journal_entry_of_this_database_records_its_delivery_once(tmp_path, receiver):
    from veille.notify.journal import message_digest
    from veille.records import JournalEntry

    clock = Clock()
    receiver.start()
    notifier = load_notifier(None, receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, on_hama(), watchlist=WATCHLIST)
    [due] = store.due_deliveries(clock(), 600)
    store.claim_delivery(due.id, clock(), 600)  # then the database went away before the send was recorded
    journal_in(tmp_path).write(
        JournalEntry(
            due.id, clock(), store.database_id(), due.alert_id, due.target_key, message_digest(due.title, due.body)
        )
    )
    clock.now += timedelta(hours=1)

    report = send_due_deliveries(store, notifier, POLICY, clock, journal_in(tmp_path))

    assert (report.recorded_from_journal, report.sent, receiver.received) == (1, 0, [])
    assert store.delivery_counts() == {"sent": 1}
    store.close()


# --- Item 9: alerts.jsonl written whole or not at all -----------------------------------------------

FULL_DISK = """
import resource, signal, sys
from datetime import datetime, timezone
from pathlib import Path
from veille.notify.journal import FileSentJournal
from veille.notify.sender import DeliveryPolicy, send_due_deliveries
from veille.notify.targets import load_notifier
from veille.store.sql import SqlStore

folder, limit = Path(sys.argv[1]), int(sys.argv[2])
notifier = load_notifier(None, "veille://?console=no", folder / "alerts.jsonl")
store = SqlStore.open(f"sqlite:///{folder / 'veille.db'}")
# From here on no file may grow past `limit` bytes, as on a full disk; the write fails with EFBIG.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
report = send_due_deliveries(store, notifier, DeliveryPolicy(20, 0, 600), lambda: datetime.now(timezone.utc),
                             FileSentJournal(folder / "journal.jsonl"))
print(report.sent, report.retrying, report.errors)
"""


def test_a_write_that_fails_part_way_leaves_alerts_jsonl_as_it_was_and_is_retried(tmp_path):
    alerts_file = tmp_path / "alerts.jsonl"
    earlier = "".join(json.dumps({"title": f"earlier {n}", "body": "x" * 200}) + "\n" for n in range(4000))
    alerts_file.write_text(earlier, encoding="utf-8")
    notifier = load_notifier(None, "veille://?console=no", alerts_file)
    store = outbox(sqlite_url(tmp_path), notifier, on_hama(), watchlist=WATCHLIST)
    store.close()

    limit = len(earlier.encode()) + 100  # room for part of the alert's line, not all of it
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path), str(limit)], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 1 ['veille://: cannot append to alerts.jsonl in the data folder: File too large")
    assert alerts_file.read_text(encoding="utf-8") == earlier, "the file is as it was"
    store = SqlStore.open(sqlite_url(tmp_path))
    assert send_due_deliveries(store, notifier, POLICY, lambda: datetime.now(UTC), journal_in(tmp_path)).sent == 1, (
        "retried by the next run"
    )
    lines = alerts_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4001 and json.loads(lines[-1])["title"].startswith("Veille: Hama")
    store.close()


# --- Item 9: the operator's outbox command ----------------------------------------------------------


def outbox_command(*argv: str, capsys) -> tuple[int, str]:
    from flows.outbox import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def rotated(workdir, receiver, monkeypatch):
    """Two alerts pending for a webhook whose token was rotated since: the old target is orphaned."""
    clock = Clock()
    monkeypatch.setenv("VEILLE_NOTIFY_URLS", f"json://127.0.0.1:{receiver.port}/hook/OLD-{CANARY}")
    settings = load_settings()
    old = load_notifier(settings.targets_file, settings.notify_urls_value, settings.alerts_file)
    store = outbox(settings.database_url_value, old, on_hama(1), on_hama(2, "Hama encore."), watchlist=WATCHLIST)
    first = send_due_deliveries(store, old, POLICY, clock, journal_in(workdir))
    assert (first.sent, first.retrying + first.deferred) == (2, 2), "the built-in target has them; the webhook not"
    monkeypatch.setenv("VEILLE_NOTIFY_URLS", f"json://127.0.0.1:{receiver.port}/hook/NEW")
    receiver.start()
    yield store, next(t for t in old.targets if t.label.startswith("json://"))
    store.close()


def new_notifier():
    settings = load_settings()
    return load_notifier(settings.targets_file, settings.notify_urls_value, settings.alerts_file)


def test_the_outbox_command_explains_itself():
    done = subprocess.run([sys.executable, "-m", "flows.outbox", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert all(word in done.stdout for word in ("list", "retarget", "drop", "OLD", "NEW"))


def test_list_shows_the_orphaned_target_with_its_counts_and_oldest(rotated, capsys):
    _, old = rotated
    code, output = outbox_command("list", capsys=capsys)
    assert code == 0
    [row] = [line for line in output.splitlines() if line.startswith(old.key[:12])]
    assert row.split()[1:6] == ["orphaned", "2", "0", "0", "2026-11-22"]
    assert row.endswith("json://127.0.0.1:" + old.label.split(":")[2])
    assert "1 orphaned target(s)" in output and CANARY not in output


def test_retarget_moves_the_orphans_to_the_new_target_which_gets_each_once(rotated, workdir, receiver, capsys):
    store, old = rotated
    notifier = new_notifier()
    new = next(t for t in notifier.targets if t.label.startswith("json://"))

    code, output = outbox_command("retarget", old.key[:8], new.key[:8], capsys=capsys)

    assert code == 0 and output.startswith("moved 2 deliveries from json://")
    assert [d.attempts for d in store.due_deliveries(datetime.now(UTC), 600)] == [0, 0]
    report = send_due_deliveries(store, notifier, POLICY, lambda: datetime.now(UTC), journal_in(workdir))
    assert (report.sent, report.orphaned) == (2, 0)
    assert outbox_command("retarget", old.key[:8], new.key[:8], capsys=capsys)[0] == 2, "nothing left to move"
    assert len(receiver.received) == 2


def test_retry_makes_a_mended_targets_failed_deliveries_due_again_and_each_is_sent_once(
    rotated, workdir, receiver, capsys
):
    store, old = rotated
    notifier = new_notifier()
    new = next(t for t in notifier.targets if t.label.startswith("json://"))
    assert outbox_command("retarget", old.key[:8], new.key[:8], capsys=capsys)[0] == 0
    with store.engine.begin() as connection:  # as after max_delivery_attempts failures
        connection.execute(
            text(
                "UPDATE deliveries SET status = 'failed', attempts = 20, last_error = 'HTTP 500' WHERE target_key = :k"
            ),
            {"k": new.key},
        )
    assert store.due_deliveries(datetime.now(UTC), 600) == []

    code, output = outbox_command("retry", new.key[:8], capsys=capsys)

    assert code == 0 and output.startswith("2 deliveries to json://") and "sent by the next run" in output
    report = send_due_deliveries(store, notifier, POLICY, lambda: datetime.now(UTC), journal_in(workdir))
    assert report.sent == 2 and len(receiver.received) == 2
    code, output = outbox_command("retry", new.key[:8], capsys=capsys)
    assert code == 0 and "nothing to retry" in output
    assert outbox_command("retry", "nowhere", capsys=capsys)[0] == 2, "a target that is not configured"


def test_retarget_never_gives_a_target_an_alert_it_already_has(rotated, workdir, receiver, capsys):
    store, old = rotated
    notifier = new_notifier()
    new = next(t for t in notifier.targets if t.label.startswith("json://"))
    with store.engine.begin() as connection:  # the new target already had the first alert
        connection.execute(
            text(
                "INSERT INTO deliveries (alert_id, target_key, target_label, status, attempts, "
                "next_attempt_at, created_at, sent_at) VALUES (1, :key, 'json://', 'sent', 1, :t, "
                ":t, :t)"
            ),
            {"key": new.key, "t": Clock()()},
        )

    code, output = outbox_command("retarget", old.key[:8], new.label, capsys=capsys)

    assert code == 0 and "moved 1 deliveries" in output and "1 left with" in output
    send_due_deliveries(store, notifier, POLICY, lambda: datetime.now(UTC), journal_in(workdir))
    assert [m["title"] for m in receiver.received] == ["Veille: Hama in «Tirs 2»"]


def test_drop_says_how_many_and_needs_yes(rotated, capsys):
    store, old = rotated
    code, output = outbox_command("drop", old.key[:8], capsys=capsys)
    assert code == 2 and output.startswith("would drop 2 deliveries (2 pending, 0 failed)") and "--yes" in output
    assert store.delivery_counts() == {"pending": 2, "sent": 2}

    code, output = outbox_command("drop", old.key[:8], "--yes", capsys=capsys)
    assert code == 0 and output.startswith("dropped 2 deliveries")
    assert store.delivery_counts() == {"sent": 2}, "what was sent stays, as history"


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["drop", "ffff"], "no delivery goes to a target named 'ffff'"),
        (["drop", "a"], "a key's start has at least 4 characters"),
        (["retarget", "OLD", f"json://u:{CANARY}@nowhere.example/x"], "no configured target is named"),
    ],
)
def test_a_target_the_command_cannot_use_is_one_line_that_shows_no_secret(argv, problem, rotated, capsys):
    _, old = rotated
    argv = [old.key[:8] if item == "OLD" else item for item in argv]
    code, output = outbox_command(*argv, capsys=capsys)
    assert code == 2 and output.count("\n") == 1 and problem in output and CANARY not in output


def test_masking_takes_linear_time_on_a_run_of_scheme_like_words():
    from veille.redact import MASKED_CHARS, mask_urls

    assert_linear(lambda text: mask_urls(text, bare_paths=True), lambda n: "a:" * n, 2_000)
    masked = mask_urls("a:" * 100_000 + f"json://u:{CANARY}@host/{CANARY}", bare_paths=True)
    assert len(masked) <= MASKED_CHARS and CANARY not in masked
