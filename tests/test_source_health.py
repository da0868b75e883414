"""Source health alerts through the real pipeline: feeds served on 127.0.0.1, the monitor flow under
Prefect's test harness, real SQLite and PostgreSQL, a real webhook for the operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import read_alert_file, run_monitor, write_sources
from tests.feedserver import RSS, Reply, rss
from veille.decide.deliveries import TargetProfile
from veille.decide.health import health_transitions, plan_health_alerts
from veille.records import Article, ArticleMentions, BatchPlan, PlacedArticle, SourceBatch, StoryRef, TargetRef
from veille.settings import load_settings
from veille.store.models import AlertRow, DeliveryRow, SourceRow
from veille.store.sql import SqlStore

# In the past, so that what the runs plan at this clock is due for the outbox's real one.
START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
HAMA = "Des tirs de mortier ont visé Hama dans la nuit, selon des témoins sur place."


@pytest.fixture
def allow_the_feed_server(workdir, monkeypatch, prefect_harness):
    """For the flow tests, under Prefect's harness: the feed server listens on 127.0.0.1, which Veille
    refuses unless told (after workdir's clean slate)."""
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")


@pytest.fixture
def operator(workdir, receiver, allow_the_feed_server):
    """The built-in target for the news (silent), and a webhook tagged operator: what the operator receives."""
    lines = [
        "version: 1",
        "urls:",
        "  - veille://:",
        "      tag: alerts",
        "      console: no",
        f"  - {receiver.url}:",
        "      tag: operator",
    ]
    (workdir / "config" / "targets.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return receiver.start()


def titles(receiver) -> list[str]:
    return [message["title"] for message in receiver.received]


def health_rows() -> list[tuple[str, str, str, list[str]]]:
    """Every health message in the database: source, title, its deliveries' statuses."""
    store = SqlStore.open(load_settings().database_url_value)
    try:
        with Session(store.engine) as session:
            rows = session.scalars(select(AlertRow).where(AlertRow.category == "health").order_by(AlertRow.id)).all()
            return [
                (
                    row.entry_name,
                    row.entry_kind,
                    row.title,
                    list(session.scalars(select(DeliveryRow.status).where(DeliveryRow.alert_id == row.id))),
                )
                for row in rows
            ]
    finally:
        store.close()


def told_state(name: str) -> str | None:
    store = SqlStore.open(load_settings().database_url_value)
    try:
        with Session(store.engine) as session:
            return session.scalar(select(SourceRow.health_state).where(SourceRow.name == name))
    finally:
        store.close()


def test_a_feed_failing_three_runs_in_a_row_tells_the_operator_once_and_once_when_it_recovers(
    workdir, feed_server, operator
):
    feed_server.routes["/feed"] = Reply(503, b"<b>down</b> @channel")
    feed_server.routes["/ok"] = Reply(200, rss(("1", "Hama", HAMA)), RSS)
    write_sources(
        workdir, [{"name": "agence", "url": feed_server.url("/feed")}, {"name": "sure", "url": feed_server.url("/ok")}]
    )

    first, second = run_monitor(), run_monitor()
    assert titles(operator) == [] and first.health == [] and second.health == []

    third = run_monitor()
    assert titles(operator) == ["Veille: source feed:agence is failing (3 polls in a row)"]
    [message] = operator.received
    assert "Last error: HTTP 503 Service Unavailable (after 3 attempts)" in message["message"]
    assert "monitor-summary" in message["message"]
    assert [(n.source, n.says) for n in third.health] == [("feed:agence", "failing (3 polls in a row)")]
    health_line = "  health:        1 message to the operator: feed:agence failing (3 polls in a row)"
    assert health_line in third.render().split("\n")
    assert told_state("feed:agence") == "failing" and told_state("feed:sure") is None

    fourth, fifth = run_monitor(), run_monitor()
    assert len(operator.received) == 1, "a source still failing says nothing more"
    assert fourth.health == [] and fifth.health == []
    assert "health:" not in fifth.render()

    feed_server.routes["/feed"] = Reply(200, rss(("a1", "Hama", HAMA)), RSS)
    recovered = run_monitor()
    assert titles(operator)[1:] == ["Veille: source feed:agence recovered"]
    assert "feed:agence, reported failing on " in operator.received[1]["message"]
    assert [(n.source, n.says) for n in recovered.health] == [("feed:agence", "recovered")]
    assert told_state("feed:agence") == "ok"

    run_monitor()
    assert len(operator.received) == 2, "a recovered source says nothing more either"
    assert health_rows() == [
        ("feed:agence", "health", "Veille: source feed:agence is failing (3 polls in a row)", ["sent"]),
        ("feed:agence", "health", "Veille: source feed:agence recovered", ["sent"]),
    ]
    news = [line["title"] for line in read_alert_file(workdir)]
    assert not [title for title in news if "source feed:" in title], "the news target is not the operator's"


def test_a_feed_silent_far_longer_than_usual_tells_the_operator_once(workdir, feed_server, operator, monkeypatch):
    items: list[tuple[str, str, str]] = []
    feed_server.routes["/feed"] = lambda request: Reply(200, rss(*items), RSS)
    write_sources(workdir, [{"name": "agence", "url": feed_server.url("/feed")}])

    def run_at(moment: datetime, new_item: bool):
        if new_item:
            items.insert(0, (f"n{len(items)}", "Dépêche", f"Dépêche numéro {len(items)} de la journée."))
        monkeypatch.setenv("VEILLE_NOW", moment.isoformat())
        return run_monitor()

    # A new entry every 6 h, five reads: what is usual for it.
    for number in range(5):
        assert run_at(START + timedelta(hours=6 * number), new_item=True).health == []
    last_article = START + timedelta(hours=24)
    # 20 h of nothing is not silence: the limit is max(3 x 6 h, 24 h) = 24 h.
    assert run_at(last_article + timedelta(hours=20), new_item=False).health == []
    assert titles(operator) == []

    silent = run_at(last_article + timedelta(days=5), new_item=False)
    assert titles(operator) == ["Veille: source feed:agence is silent for 5 days (usually a new article every 6 h)"]
    assert [n.says for n in silent.health] == ["silent for 5 days (usually a new article every 6 h)"]
    assert told_state("feed:agence") == "silent"

    assert run_at(last_article + timedelta(days=6), new_item=False).health == []
    assert len(operator.received) == 1, "a source still silent says nothing more"

    back = run_at(last_article + timedelta(days=6, hours=6), new_item=True)
    assert titles(operator)[1:] == ["Veille: source feed:agence recovered"]
    assert [n.says for n in back.health] == ["recovered"]
    assert [(source, title) for source, _, title, _ in health_rows()] == [
        ("feed:agence", "Veille: source feed:agence is silent for 5 days (usually a new article every 6 h)"),
        ("feed:agence", "Veille: source feed:agence recovered"),
    ]


def test_a_feed_not_due_is_not_silent_for_it(workdir, feed_server, operator, monkeypatch):
    items: list[tuple[str, str, str]] = []
    feed_server.routes["/feed"] = lambda request: Reply(200, rss(*items), RSS)
    feed = {"name": "lent", "url": feed_server.url("/feed")}
    write_sources(workdir, [feed])
    for number in range(5):
        items.insert(0, (f"n{number}", "Dépêche", f"Dépêche numéro {number}."))
        monkeypatch.setenv("VEILLE_NOW", (START + timedelta(hours=6 * number)).isoformat())
        run_monitor()
    # From now on polled at most every 10 days: 5 days after its last read, nobody has asked it.
    write_sources(workdir, [{**feed, "poll_minutes": 14400}])
    fetched = len(feed_server.hits("/feed"))

    monkeypatch.setenv("VEILLE_NOW", (START + timedelta(hours=24, days=5)).isoformat())
    summary = run_monitor()

    assert len(feed_server.hits("/feed")) == fetched, "not due: not fetched"
    assert summary.health == [] and titles(operator) == []


def test_without_an_operator_target_the_untagged_one_is_told(workdir, feed_server, receiver, allow_the_feed_server):
    (workdir / "config" / "targets.yaml").write_text(
        f"version: 1\nurls:\n  - veille://:\n      tag: alerts\n      console: no\n  - {receiver.url}\n",
        encoding="utf-8",
    )
    receiver.start()
    feed_server.routes["/feed"] = Reply(404, b"gone")
    write_sources(workdir, [{"name": "agence", "url": feed_server.url("/feed")}])

    for _ in range(3):
        run_monitor()

    assert titles(receiver) == ["Veille: source feed:agence is failing (3 polls in a row)"]
    assert read_alert_file(workdir) == [], "a target tagged for the news is not the operator's"


# The store's side, on both databases.

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
OPERATOR_TARGET = TargetProfile(TargetRef("k-operator", "json://127.0.0.1/****"), frozenset({"operator"}))


def stored_articles(store: SqlStore, source: str, keys: list[str], now: datetime) -> None:
    """Articles of `source` recorded in one batch at `now`, without mentions or alerts."""
    placed = tuple(
        PlacedArticle(
            ArticleMentions(Article(source, key, "t", f"http://example.org/{key}", f"texte {key}"), ()),
            StoryRef(opened_by=(source, key)),
            now,
        )
        for key in keys
    )
    store.record_plan(BatchPlan(placed, ()), now)


def test_the_facts_give_each_source_s_distinct_arrivals_and_what_the_operator_was_told(database_url):
    store = SqlStore.open(database_url)
    try:
        stored_articles(store, "feed:a", ["1", "2", "3"], NOW - timedelta(hours=12))
        stored_articles(store, "feed:a", ["4"], NOW - timedelta(hours=6))
        stored_articles(store, "feed:b", ["1"], NOW)
        for _ in range(2):
            store.record_source_reads([SourceBatch.failed("feed:a", "HTTP 503")], NOW)

        facts = {f.name: f for f in store.source_health_facts(["feed:a", "feed:b", "feed:unknown"])}

        assert sorted(facts) == ["feed:a", "feed:b"]
        a = facts["feed:a"]
        assert a.arrivals == (NOW - timedelta(hours=6), NOW - timedelta(hours=12)), "one moment per batch, newest first"
        assert all(moment.tzinfo is not None for moment in a.arrivals)
        assert (a.consecutive_failures, a.last_error, a.last_success_at, a.health_state) == (2, "HTTP 503", None, None)
    finally:
        store.close()


def test_a_change_is_written_once_with_its_message_and_deliveries(database_url):
    store = SqlStore.open(database_url)
    try:
        for _ in range(3):
            store.record_source_reads([SourceBatch.failed("feed:a", "HTTP 503")], NOW)
        changes = health_transitions(store.source_health_facts(["feed:a"]), NOW, 3)
        planned = plan_health_alerts(changes, [OPERATOR_TARGET], {}, NOW, 3)

        first = store.record_health(planned, NOW)
        again = store.record_health(planned, NOW)

        assert [(n.source, n.state, n.deliveries) for n in first] == [("feed:a", "failing", 1)]
        assert again == [], "the state is no longer the one the change started from: told already"
        (facts,) = store.source_health_facts(["feed:a"])
        assert (facts.health_state, facts.health_changed_at) == ("failing", NOW)
        assert health_transitions([facts], NOW, 3) == [], "the next run finds nothing to tell"
        [(due, title)] = [(d.target_key, d.title) for d in store.due_deliveries(NOW, 600)]
        assert (due, title) == ("k-operator", "Veille: source feed:a is failing (3 polls in a row)")
        figures = store.period_figures(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
        assert figures.alerts == [] and not figures.deliveries, "a health message is no news alert of the digest"
    finally:
        store.close()
