"""Golden files: the Articles expected from real feeds, and the alerts, reports and digests Veille writes.

Each case is rendered with a fixed clock, fixed ids and fixed URLs (no port, no absolute path) and
compared with its file under tests/data/. After a deliberate change, rewrite the files with

    VEILLE_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py -p no:cacheprovider

and read `git diff tests/data` before committing it (tests/data/README.md says when and why).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser.encodings
import pytest

from tests.builders import (
    NOW,
    alert_line,
    article,
    batch,
    created_alert,
    decide,
    decision,
    found,
    held_doubtful,
    mention,
    period_figures,
    place,
    planned_alert,
    rule,
    source_health,
    watch_list,
    weapon,
)
from tests.corpus import EXPECTED_SUFFIX, VENDORED, feed_files, served_headers
from tests.golden import DATA, assert_matches_golden
from veille.decide.render import render_alert
from veille.digest import render_digest
from veille.ingest.feeds import FeedError, parse_feed
from veille.records import Article, DeliveryReport, EntryHistory, PlannedAlert, ReadError
from veille.report import render_digest_report, render_monitor_report, render_replay_report
from veille.summary import RunSummary

SINCE = NOW - timedelta(hours=24)
PUBLISHED = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)


# --- Feeds: each vendored corpus file and the Articles expected from it ---------------------------

FEEDS = feed_files(VENDORED)


@pytest.fixture
def no_guessed_encoding(monkeypatch):
    """Fails a feed whose parse reaches chardet: it would parse otherwise wherever chardet is installed."""
    guessed = []
    monkeypatch.setattr(feedparser.encodings, "lazy_chardet_encoding", lambda data: guessed.append(True) or "")
    yield
    assert not guessed, "this feed's encoding is guessed (chardet): its parse depends on what is installed"


def parsed_feed(path: Path) -> dict[str, object]:
    """What parse_feed makes of `path`, served with its own headers from a fixed URL, as JSON-ready data."""
    data = path.read_bytes()
    headers = {name.lower(): value for name, value in served_headers(path, data).items()}
    url = f"https://feeds.example.org/{path.relative_to(VENDORED).as_posix()}"
    result: dict[str, object] = {"url": url, "headers": headers}
    try:
        parsed = parse_feed(data, headers, "feed:golden", url, tags=("golden",))
    except FeedError as exc:
        return {**result, "error": str(exc)}
    return {**result, "problem": parsed.problem, "articles": [article_data(a) for a in parsed.articles]}


def article_data(item: Article) -> dict[str, object]:
    data = dataclasses.asdict(item)
    data["published_at"] = item.published_at.isoformat() if item.published_at else None
    return data


def test_the_vendored_corpus_covers_every_kind_of_feed():
    folders = {path.relative_to(VENDORED).parts[0] for path in FEEDS}

    assert folders == {"wellformed", "illformed", "encoding", "json"}
    assert 20 <= len(FEEDS) <= 30
    assert (VENDORED / "LICENSE").read_text(encoding="utf-8").startswith("feedparser and its unit tests")


@pytest.mark.usefixtures("no_guessed_encoding")
@pytest.mark.parametrize("path", FEEDS, ids=[path.relative_to(VENDORED).as_posix() for path in FEEDS])
def test_a_real_feed_gives_the_articles_of_its_golden_file(path):
    actual = json.dumps(parsed_feed(path), ensure_ascii=False, indent=2) + "\n"

    assert_matches_golden(path.with_name(path.name + EXPECTED_SUFFIX), actual)


# --- Alerts ---------------------------------------------------------------------------------------

HOSTILE = "@everyone <b>Alerte</b> [clic](https://evil.example/p) voir evil.top"
STRIKE = "Des missiles Kalibr ont frappé Deir ez-Zor, puis des Kalibr encore. Hama est calme."


def an_article_naming_three_entries_by_three_rules() -> PlannedAlert:
    """A weapon near a place in one sentence, and a place back in the news after 94 days: one message."""
    first, second = "Des missiles Kalibr ont frappé Deir ez-Zor, puis des Kalibr encore.", "Hama est calme."
    item = found(
        STRIKE,
        mention(STRIKE, "missiles Kalibr", "kalibr", sentence=first),
        mention(STRIKE, "Deir ez-Zor", "deir-ez-zor", sentence=first),
        mention(STRIKE, "Kalibr", "kalibr", nth=1, sentence=first),
        mention(STRIKE, "Hama", sentence=second),
        source="feed:afp",
        key="https://www.afp.example/a/2",
        title="Frappes dans l'Est",
        location="https://www.afp.example/a/2",
        published_at=PUBLISHED,
    )
    watched = watch_list(
        weapon("kalibr"), place("deir-ez-zor", "Deir ez-Zor", coordinates=(35.336, 40.141)), place("hama")
    )
    rules = decision(
        watched,
        rule(),
        rule("weapon-near-place", "co_occurrence", entries={"kinds": ["weapon"]}, with_entries={"kinds": ["place"]}),
        rule("back", "first_seen", quiet_days=30, severity="high"),
    )
    past = {
        "kalibr": EntryHistory(last_seen_at=PUBLISHED - timedelta(days=2)),
        "deir-ez-zor": EntryHistory(last_seen_at=PUBLISHED - timedelta(days=1)),
        "hama": EntryHistory(last_seen_at=PUBLISHED - timedelta(days=94, hours=3)),
    }
    (alert,) = decide([item], rules, history=past).alerts
    return alert


def a_place_written_otherwise_found_by_a_fold() -> PlannedAlert:
    """A variant no alias spells, found by a folding rule, less than certain: the message says how and why."""
    text = "Des frappes ont visé Deir Ezzor et Hama dans la nuit."
    fold = dataclasses.replace(
        mention(text, "Deir Ezzor", "deir-ez-zor"),
        matched_by="fold",
        confidence=0.92,
        reasons=("a spelling variant (doubled consonant)", "the model tags it LOC"),
    )
    item = found(text, fold, mention(text, "Hama"), source="feed:afp", title="Frappes", location="https://a.example/3")
    watched = watch_list(place("deir-ez-zor", "Deir ez-Zor", coordinates=(35.336, 40.141)), place("hama"))
    (alert,) = decide([item], decision(watched)).alerts
    return alert


ALERTS: dict[str, tuple[PlannedAlert, tuple[str, ...]]] = {
    "a-place-named-once-in-a-file": (planned_alert(), ()),
    "a-weapon-spelled-otherwise-three-times-carried-by-three-feeds": (
        planned_alert(
            "Des tirs de mortiers sur Alep, puis des mortiers, encore des mortiers.",
            weapon("mortier", "mortier"),
            "mortiers",
            source="feed:afp",
            key="https://www.afp.example/a/1",
            title="Alep sous les tirs",
            location="https://www.afp.example/a/1",
            published_at=PUBLISHED,
        ),
        ("feed:afp", "feed:lemonde", "feed:reuters"),
    ),
    "a-hostile-article-made-inert": (
        planned_alert(
            f"{HOSTILE} Des tirs à Hama.",
            title=f"{HOSTILE}\nSource: forged",
            source="feed:hostile",
            location="https://news.example.org/a(b)*_~|\u202e@everyone",
        ),
        (),
    ),
    "a-long-title-shortened": (planned_alert(title="Syrie : " + "les combats reprennent autour de Hama, " * 6), ()),
    "an-article-naming-three-entries-by-three-rules": (an_article_naming_three_entries_by_three_rules(), ("feed:afp",)),
    "a-place-written-otherwise-found-by-a-fold": (a_place_written_otherwise_found_by_a_fold(), ()),
}


@pytest.mark.parametrize("name", ALERTS)
def test_an_alert_reads_as_its_golden_file(name):
    alert, sources = ALERTS[name]

    message = render_alert(alert.article, alert.hits, alert.severity, sources, NOW)

    assert_matches_golden(DATA / "alerts" / f"{name}.txt", f"{message.title}\n\n{message.body}\n")


# --- Digests --------------------------------------------------------------------------------------

BUSY_ALERTS = [
    alert_line(1, "Hama", article_title="Tirs à Hama", source="folder:seeds", location="seeds/1.txt"),
    alert_line(
        2,
        "mortier",
        "weapon",
        "mortiers",
        "Des tirs de mortiers sur Alep.",
        "Alep sous les tirs",
        "https://www.afp.example/a/1",
        "feed:afp",
    ),
    alert_line(
        3,
        "Alep",
        sentence="Des tirs de mortiers sur Alep.",
        article_title="Alep sous les tirs",
        location="https://www.afp.example/a/1",
        source="feed:afp",
    ),
    alert_line(
        4,
        "Kalibr",
        "weapon",
        "missiles Kalibr",
        "Un tir de missiles Kalibr.",
        "Frappes | [lien](x)",
        "https://www.lemonde.example/b",
        "feed:lemonde",
    ),
    alert_line(
        5,
        "Palmyre",
        sentence="Retour à Palmyre.",
        article_title="Palmyre",
        location="seeds/2.txt",
        source="folder:seeds",
    ),
]
BUSY_PERIOD = period_figures(
    alerts=BUSY_ALERTS,
    articles={"feed:afp": 12, "feed:lemonde": 7, "folder:seeds": 2},
    deliveries={"sent": 6, "pending": 1, "failed": 1},
    failing_sources=[("feed:down", 4, "HTTP 503 Service Unavailable"), ("feed:odd", 1, "not a feed (text/html)")],
)
# Every delivery status a report shows: sent to one target, to two, waiting, failed, and an alert without target.
STATUSES = {1: Counter(sent=2), 2: Counter(sent=1, pending=1), 3: Counter(sent=1), 4: Counter(sent=1, failed=1)}
# Mentions held as doubtful: one waiting to be released, one released since, one its story alerted since.
HELD_AS_DOUBTFUL = [
    held_doubtful(
        7,
        "Alep",
        "rue d'Alep",
        0.31,
        ("inside a street's name (rue d'Alep)", "a common noun before it"),
        article_title="La rue d'Alep rouvre",
        location="https://www.lemonde.example/c",
        source="feed:lemonde",
    ),
    held_doubtful(
        8,
        "mortier",
        "mortier",
        0.18,
        ("building vocabulary in the sentence (ciment, chantier)",),
        sentence="Le mortier du chantier a pris.",
        kind="weapon",
        article_title="Un chantier",
        location="seeds/3.txt",
        source="folder:seeds",
        released_at=NOW,
        released_alert_id=6,
    ),
    held_doubtful(
        9,
        "Hama",
        "Hamad",
        0.42,
        ("a person's name (the model tags it PER)",),
        matched_by="fuzzy",
        sentence="Hamad a quitté la ville.",
        article_title="Départ",
        location="seeds/4.txt",
        source="folder:seeds",
        alerted_since=1,
    ),
]
DIGESTS = {
    "a-busy-day": BUSY_PERIOD,
    "a-quiet-day": period_figures(articles={"feed:afp": 3}),
    "a-day-with-mentions-held-as-doubtful": period_figures(
        alerts=BUSY_ALERTS[:1], articles={"folder:seeds": 4}, doubtful=HELD_AS_DOUBTFUL
    ),
}


@pytest.mark.parametrize("name", DIGESTS)
def test_a_digest_reads_as_its_golden_file(name):
    message = render_digest(DIGESTS[name], SINCE, NOW)

    assert_matches_golden(DATA / "digests" / f"{name}.txt", f"{message.title}\n\n{message.body}\n")


# --- Reports --------------------------------------------------------------------------------------


def busy_monitor_run() -> str:
    seeds = [
        article("Tirs à Hama.", key="1.txt", location="seeds/1.txt", source="folder:seeds"),
        article("Rien.", key="2.txt", location="seeds/2.txt", source="folder:seeds"),
    ]
    summary = RunSummary(
        files_read=5,
        read_errors=[ReadError("folder:seeds", "seeds/bad.txt", "not UTF-8 (byte 0xff at 12)")],
        new=3,
        changed=1,
        unchanged=1,
        watched_mentions=6,
        place_entities=9,
        alerts=[
            created_alert(n, line.entry_name, line.kind, line.variant, line.location, 2)
            for n, line in enumerate(BUSY_ALERTS, start=1)
        ],
        delivery=DeliveryReport(
            sent=5,
            retrying=1,
            failed=1,
            recorded_from_journal=1,
            unrouted=1,
            errors=["tgram://****:****/****: Bad Request: chat not found"],
        ),
        still_pending=1,
        doubtful=HELD_AS_DOUBTFUL[:1],
        batches=[
            batch("folder:seeds", *seeds),
            batch(
                "feed:afp",
                article(source="feed:afp", key="https://www.afp.example/a/1"),
                warning="malformed feed: SAXParseException: <unknown>:13:0: unclosed token",
            ),
            batch("feed:lemonde", not_modified=True),
            batch("feed:slow", not_due=True),
            batch("feed:down", failure="HTTP 503 Service Unavailable"),
        ],
        new_by_source=Counter({"folder:seeds": 2, "feed:afp": 1}),
        sources=[
            source_health("folder:seeds", 2),
            source_health("feed:afp", 40),
            source_health("feed:lemonde", 31, last_warning="malformed feed: undefined entity"),
            source_health("feed:slow", 8),
            source_health("feed:down", 17, 4, "HTTP 503 Service Unavailable"),
        ],
    )
    return render_monitor_report(summary, BUSY_ALERTS, STATUSES, 42.25, ["cheerful-fox"])


def quiet_monitor_run() -> str:
    summary = RunSummary(
        files_read=2,
        unchanged=2,
        batches=[batch("folder:seeds", article(), article(key="b.txt"))],
        sources=[source_health("folder:seeds", 2)],
    )
    return render_monitor_report(summary, [], {}, 3.0)


def dry_run_replay() -> str:
    planned = [
        planned_alert(title="Tirs à Hama", source="folder:seeds", location="seeds/1.txt"),
        planned_alert(
            "Des tirs de mortiers sur Alep.",
            weapon("mortier", "mortier"),
            "mortiers",
            title="Alep sous les tirs",
            source="feed:afp",
            location="https://www.afp.example/a/1",
        ),
    ]
    return render_replay_report(planned, [], {}, True, 120, 0, SINCE, NOW)


def replay() -> str:
    return render_replay_report([], BUSY_ALERTS[:2], STATUSES, False, 120, 3, None, None)


def digest_run() -> str:
    return render_digest_report(
        BUSY_PERIOD, STATUSES, SINCE, NOW, ["veille://", "json://hooks.example.org/****"], ["tgram://****:****/****"]
    )


# Articles whose title or address tries to break out of the report: each one link at most, inert text.
HOSTILE_ARTICLES = [
    ("Fin du lien) [clic](javascript:alert(1))", "https://e.example/a)b](javascript:alert(1))"),
    ("<script>alert(1)</script>", "https://e.example/<script>alert(1)</script>"),
    ("Titre\n# Faux titre\n| a | b |", "https://e.example/a b\nc"),
    ("Identifiants", "https://user:secret@e.example/a"),
    ("Autre schéma", "javascript:alert(document.cookie)"),
    ("Nom de domaine", "https://пример.рф/новости?q=«x»"),
    ("Long " + "mot" * 200, "https://e.example/" + "x" * 500),
    ("", "https://e.example/sans-titre"),
]


def hostile_links_monitor_run() -> str:
    alerts = [
        alert_line(n, "Hama", article_title=title, location=location, source="feed:x")
        for n, (title, location) in enumerate(HOSTILE_ARTICLES, start=1)
    ]
    return render_monitor_report(RunSummary(), alerts, {}, 1.0, map_file="data/map`x`.html")


REPORTS = {
    "monitor-hostile-links.md": hostile_links_monitor_run,
    "monitor-busy.md": busy_monitor_run,
    "monitor-quiet.md": quiet_monitor_run,
    "replay-dry-run.md": dry_run_replay,
    "replay.md": replay,
    "digest.md": digest_run,
}


@pytest.mark.parametrize("name", REPORTS)
def test_a_run_report_reads_as_its_golden_file(name):
    assert_matches_golden(DATA / "reports" / name, REPORTS[name]())
