"""Mentions held as doubtful in the store, on a real SQLite file and on the real PostgreSQL: written with the
plan, read back whole, held once per story, left out of an entry's past, shown for a period."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import NOW, decision, found, mention, model_place, route_to, rule, watch_list
from tests.recording import record_detections
from veille.decide.release import release_by_hand
from veille.records import ArticleMentions, DecisionContext, Mention, TargetRef
from veille.rules.config import RulesConfig
from veille.store.models import AlertRow, MentionRow
from veille.store.sql import SqlStore

WATCHLIST = watch_list("hama", "alep")
ROUTE = route_to(TargetRef("k1", "veille://"))
STREET = "Des tirs rue d'Alep, à Homs."


@pytest.fixture
def store(database_url):
    store = SqlStore.open(database_url)
    yield store
    store.close()


def doubtful(text: str, written: str, confidence: float = 0.3, nth: int = 0) -> Mention:
    return replace(
        mention(text, written, nth=nth),
        matched_by="fold",
        confidence=confidence,
        reasons=("inside a street's name", "a common noun before it"),
    )


def article(text: str, *mentions: Mention, key: str = "a.txt") -> ArticleMentions:
    return found(text, *mentions, source="folder:seeds", key=key, title="Rue", location=f"seeds/{key}")


def test_a_doubtful_mention_is_stored_with_everything_the_matcher_said_and_read_back_whole(store):
    street = doubtful(STREET, "Alep")
    recorded = record_detections(store, [article(STREET, street, model_place(STREET, "Homs"))], WATCHLIST, ROUTE, NOW)

    assert recorded.alerts == [] and store.delivery_counts() == {}
    (held,) = recorded.doubtful
    article_id, story_id = recorded.stored[("folder:seeds", "a.txt")]
    assert (held.entry_id, held.entry_name, held.kind, held.mention) == ("alep", "Alep", "place", street)
    assert (held.article_id, held.story_id, held.location, held.source) == (
        article_id,
        story_id,
        "seeds/a.txt",
        "folder:seeds",
    )
    assert store.doubtful_mentions() == [held]
    assert store.doubtful_mentions([held.id], released=False) == [held]
    assert store.doubtful_mentions(released=True) == []
    assert store.held_as_doubtful([story_id, story_id + 1]) == {story_id: frozenset({"alep"})}
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(MentionRow.text, MentionRow.matched_by, MentionRow.confidence, MentionRow.reasons)
        )
        assert sorted(rows, key=lambda row: row[0]) == [
            ("Alep", "fold", 0.3, ["inside a street's name", "a common noun before it"]),
            ("Homs", None, None, None),
        ], "the model's places have no confidence to keep"


def test_a_story_holds_an_entry_once_and_a_later_sure_mention_of_it_alerts(store):
    record_detections(store, [article(STREET, doubtful(STREET, "Alep"))], WATCHLIST, ROUTE, NOW)
    # The same article edited keeps its story: named doubtfully again, then surely.
    again = f"{STREET} Rue d'Alep encore."
    second = record_detections(store, [article(again, doubtful(again, "Alep", 0.4, nth=1))], WATCHLIST, ROUTE, NOW)
    sure = f"{again} Puis Alep bombardée."
    third = record_detections(
        store,
        [article(sure, doubtful(sure, "Alep"), replace(mention(sure, "Alep", nth=2), confidence=0.9))],
        WATCHLIST,
        ROUTE,
        NOW,
    )

    assert (second.doubtful, second.alerts) == ([], [])
    assert [alert.entries for alert in third.alerts] == [("Alep",)]
    (held,) = store.doubtful_mentions()
    assert (held.mention.confidence, held.alerted_since) == (0.3, third.alerts[0].alert_id), (
        "alerted in its story since"
    )


def test_an_entry_s_past_counts_its_sure_mentions_and_those_stored_before_confidences(store):
    sure, street = "Alep bombardée.", STREET
    record_detections(
        store, [article(sure, replace(mention(sure, "Alep"), confidence=0.9), key="s.txt")], WATCHLIST, ROUTE, NOW
    )
    later = NOW + timedelta(days=3)
    record_detections(store, [article(street, doubtful(street, "Alep"), key="d.txt")], WATCHLIST, ROUTE, later)

    counted = store.entry_history(["alep"], later, 31, {"alep": 0.5})["alep"]
    everything = store.entry_history(["alep"], later, 31)["alep"]

    assert (counted.last_seen_at, len(counted.recent)) == (NOW, 1), "the street's mention is not the city's past"
    assert (everything.last_seen_at, len(everything.recent)) == (later, 2)
    with store.engine.begin() as connection:
        connection.execute(MentionRow.__table__.update().values(confidence=None, matched_by=None))
    assert store.entry_history(["alep"], later, 31, {"alep": 0.5})["alep"].last_seen_at == later, "old rows were sure"


def test_a_period_s_figures_list_the_mentions_held_as_doubtful_in_it(store):
    record_detections(store, [article(STREET, doubtful(STREET, "Alep"), key="1.txt")], WATCHLIST, ROUTE, NOW)
    other = "Rue de Hama."
    record_detections(
        store, [article(other, doubtful(other, "Hama"), key="2.txt")], WATCHLIST, ROUTE, NOW + timedelta(days=2)
    )

    figures = store.period_figures(NOW - timedelta(hours=1), NOW + timedelta(days=1))

    assert [(held.entry_name, held.location) for held in figures.doubtful] == [("Alep", "seeds/1.txt")]


def test_a_stored_article_is_read_back_by_its_id(store):
    recorded = record_detections(store, [article(STREET, doubtful(STREET, "Alep"))], WATCHLIST, ROUTE, NOW)
    article_id, story_id = recorded.stored[("folder:seeds", "a.txt")]

    stored = store.stored_articles([article_id, article_id + 100])

    assert list(stored) == [article_id]
    assert (stored[article_id].story_id, stored[article_id].article.text, stored[article_id].first_seen_at) == (
        story_id,
        STREET,
        NOW,
    )


def test_a_first_seen_rule_reads_past_the_doubtful_mentions_stored_since_the_last_sure_one(store):
    back = RulesConfig(rules=(rule("back", "first_seen", quiet_days=30),))
    sure, street, today = "Alep bombardée.", STREET, "Nouvelles frappes sur Alep ce matin."

    def run(text: str, key: str, when, *mentions: Mention):
        return record_detections(store, [article(text, *mentions, key=key)], WATCHLIST, ROUTE, when, rules=back)

    run(sure, "1.txt", NOW - timedelta(days=40), replace(mention(sure, "Alep"), confidence=0.9))
    run(street, "2.txt", NOW - timedelta(days=3), doubtful(street, "Alep"))
    (alert,) = run(today, "3.txt", NOW, replace(mention(today, "Alep"), confidence=0.9)).alerts

    assert alert.rules == ("back",), "three days ago was a street: Alep itself is back after 40 days"
    with store.engine.connect() as connection:
        body = connection.execute(select(AlertRow.body).where(AlertRow.id == alert.alert_id)).scalar_one()
    assert "  Rule back: back in the news after 40 days" in body.split("\n")


def released(store: SqlStore, ids: list[int]):
    """The release flow's plan for `ids` (on their stored articles, in the context the store gives), recorded."""
    held = store.doubtful_mentions(ids)
    articles = store.stored_articles(item.article_id for item in held)
    alerted, carriers = store.story_context(item.story_id for item in held)
    context = DecisionContext(now=NOW, alerted=alerted, story_sources=carriers)
    plan = release_by_hand([(item, articles[item.article_id]) for item in held], context, decision(WATCHLIST))
    return store.record_plan(plan, NOW)


def test_a_release_is_recorded_as_an_alert_and_marks_its_mention_released_in_the_same_transaction(store):
    (held,) = record_detections(store, [article(STREET, doubtful(STREET, "Alep"))], WATCHLIST, ROUTE, NOW).doubtful

    recorded = released(store, [held.id])

    (alert,) = recorded.alerts
    assert recorded.released == {held.id: alert.alert_id}
    (after,) = store.doubtful_mentions([held.id])
    assert (after.released_at, after.released_alert_id, after.alerted_since) == (NOW, alert.alert_id, alert.alert_id)
    assert store.doubtful_mentions(released=False) == []


def test_a_release_after_its_story_alerted_the_entry_creates_and_marks_nothing(store):
    (held,) = record_detections(store, [article(STREET, doubtful(STREET, "Alep"))], WATCHLIST, ROUTE, NOW).doubtful
    sure = f"{STREET} Puis Alep bombardée."
    city = replace(mention(sure, "Alep", nth=1), confidence=0.9)
    (alert,) = record_detections(store, [article(sure, doubtful(sure, "Alep"), city)], WATCHLIST, ROUTE, NOW).alerts

    recorded = released(store, [held.id])

    assert (recorded.alerts, recorded.released) == ([], {})
    (after,) = store.doubtful_mentions([held.id])
    assert (after.released_at, after.alerted_since) == (None, alert.alert_id)
