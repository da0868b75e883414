"""The operator's reads on a real SQLite file and on the real PostgreSQL: recent alerts, articles naming places."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.builders import NOW, article, found, mention, route_to, watch_list, weapon
from tests.recording import record_detections
from veille.records import ArticleMentions, TargetRef
from veille.store.sql import SqlStore

WATCHLIST = watch_list("hama", "alep", weapon("mortier", "mortier"))
route = route_to(TargetRef("k1", "json://127.0.0.1/a"))


def named(text: str, *entries: str, key: str, source: str = "folder:test", **fields) -> ArticleMentions:
    return found(article(text, key=key, source=source, title=f"Titre {key}", **fields), *entries)


@pytest.fixture
def store(database_url):
    store = SqlStore.open(database_url)
    yield store
    store.close()


@pytest.fixture
def three_alerts(store):
    """Hama on day 0 (folder:test), mortier on day 1 (feed:sana), Hama and mortier on day 2 (folder:test)."""
    record_detections(store, [named("Tirs à hama.", "hama", key="a.txt")], WATCHLIST, route, NOW)
    record_detections(
        store, [named("Un mortier.", "mortier", key="b", source="feed:sana")], WATCHLIST, route, NOW + timedelta(1)
    )
    record_detections(
        store, [named("hama : un mortier.", "hama", "mortier", key="c.txt")], WATCHLIST, route, NOW + timedelta(2)
    )
    return store


def keys(lines) -> list[str]:
    return [line.location for line in lines]


def test_recent_alerts_come_newest_first_up_to_the_limit(three_alerts):
    assert keys(three_alerts.recent_alerts()) == ["test/c.txt", "test/b", "test/a.txt"]
    assert keys(three_alerts.recent_alerts(limit=2)) == ["test/c.txt", "test/b"]


def test_an_entry_filter_finds_the_alerts_carrying_it_as_a_second_entry_too(three_alerts):
    (lead,) = [a for a in three_alerts.recent_alerts() if a.location == "test/c.txt"]
    assert lead.entries == ("Hama", "mortier")
    assert keys(three_alerts.recent_alerts(entry_ids=["mortier"])) == ["test/c.txt", "test/b"]
    assert keys(three_alerts.recent_alerts(entry_ids=["alep"])) == []


def test_source_and_dates_filter_alerts_in_a_half_open_span(three_alerts):
    assert keys(three_alerts.recent_alerts(source="feed:sana")) == ["test/b"]
    assert keys(three_alerts.recent_alerts(since=NOW + timedelta(1))) == ["test/c.txt", "test/b"]
    assert keys(three_alerts.recent_alerts(until=NOW + timedelta(1))) == ["test/a.txt"]
    both = three_alerts.recent_alerts(entry_ids=["hama"], source="folder:test", since=NOW + timedelta(hours=1))
    assert keys(both) == ["test/c.txt"]


def test_mentioned_articles_count_each_articles_mentions_of_an_entry_within_its_dated_window(store):
    record_detections(store, [named("hama et hama.", "hama", key="a.txt")], WATCHLIST, route, NOW)
    twice = found(
        article("hama, hama et alep.", key="b.txt", title="Deux"),
        mention("hama, hama et alep.", "hama"),
        mention("hama, hama et alep.", "hama", nth=1),
        "alep",
    )
    record_detections(store, [twice], WATCHLIST, route, NOW)
    old = named("hama jadis.", "hama", key="old.txt", published_at=NOW - timedelta(days=30))
    record_detections(store, [old], WATCHLIST, route, NOW)
    found_ = store.mentioned_articles(["hama", "alep"], NOW - timedelta(days=7), NOW + timedelta(seconds=1))
    assert [(m.entry_id, m.location, m.mentions) for m in found_] == [
        ("alep", "test/b.txt", 1),
        ("hama", "test/a.txt", 1),
        ("hama", "test/b.txt", 2),
    ]
    assert {m.title for m in found_} == {"Titre a.txt", "Deux"} and {m.source for m in found_} == {"folder:test"}
    assert all(m.dated_at == NOW for m in found_)
    assert store.mentioned_articles([], NOW - timedelta(days=7), NOW) == []


def test_a_mention_under_its_entrys_threshold_puts_nothing_on_the_map(store):
    text = "Le savon d'alep."
    doubtful = found(article(text, key="s.txt"), replace(mention(text, "alep"), confidence=0.2))
    record_detections(store, [doubtful], WATCHLIST, route, NOW)
    window = (NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert [m.location for m in store.mentioned_articles(["alep"], *window)] == ["test/s.txt"]
    assert store.mentioned_articles(["alep"], *window, thresholds={"alep": 0.5}) == []
    assert len(store.mentioned_articles(["alep"], *window, thresholds={"alep": 0.1})) == 1
