"""Specification of veille.replay.plan_replay: what a replay over stored articles would alert on.

Pure: stored articles and their mentions in, planned alerts out; no database, no Prefect, no model.
"""

from __future__ import annotations

import pytest

from tests.builders import found, stored, watch_list, weapon
from veille.records import ArticleMentions
from veille.replay import plan_replay

WATCHED = watch_list("hama", "alep", weapon("kalibr"))


def replay(batch: list[tuple[int, ArticleMentions]], alerted: dict[int, set[str]]) -> list[tuple[str, str]]:
    """(entry id, article key) of each alert planned for `batch`, a list of (story id, ArticleMentions)."""
    items = [item for _, item in batch]
    planned = plan_replay(
        [stored(story, item, row) for row, (story, item) in enumerate(batch, start=1)], items, alerted, WATCHED
    )
    return [(p.entry.id, p.article.key) for p in planned]


@pytest.mark.parametrize(
    ("batch", "alerted", "expected"),
    [
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt"))], {1: set()}, [("hama", "1.txt")], id="one article, one entry"
        ),
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt")), (1, found("Hama encore.", "Hama", key="2.txt"))],
            {1: set()},
            [("hama", "1.txt")],
            id="two copies of one story: one alert",
        ),
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt")), (2, found("Hama encore.", "Hama", key="2.txt"))],
            {1: set(), 2: set()},
            [("hama", "1.txt"), ("hama", "2.txt")],
            id="two stories: one alert each",
        ),
        pytest.param(
            [(1, found("Hama et Alep.", "Hama", "Alep", key="1.txt"))],
            {1: {"hama"}},
            [("alep", "1.txt")],
            id="an entry the story was alerted for: skipped",
        ),
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt"))], {1: {"hama"}}, [], id="everything already alerted: nothing"
        ),
        pytest.param([(1, found("Rien ici.", key="1.txt"))], {1: set()}, [], id="no mention: nothing"),
    ],
)
def test_a_replay_plans_one_alert_per_story_and_entry_never_alerted(batch, alerted, expected):
    assert replay(batch, alerted) == expected


def test_what_a_batch_plans_is_not_planned_again_by_a_later_batch():
    alerted: dict[int, set[str]] = {1: set()}

    first = replay([(1, found("Hama et Kalibr.", "Hama", "Kalibr", key="1.txt"))], alerted)
    later = replay([(1, found("Hama et Kalibr, suite.", "Hama", "Kalibr", key="2.txt"))], alerted)

    assert first == [("hama", "1.txt"), ("kalibr", "1.txt")]
    assert alerted == {1: {"hama", "kalibr"}}
    assert later == []


def test_a_planned_alert_keeps_its_article_but_not_the_article_s_text():
    item = found("Des tirs à Hama.", "Hama", key="1.txt", title="Tirs", location="https://e.org/1")

    (planned,) = plan_replay([stored(7, item)], [item], {7: set()}, WATCHED)

    assert planned.article.text == ""
    kept = planned.article
    assert (kept.key, kept.title, kept.location) == ("1.txt", "Tirs", "https://e.org/1")
    assert planned.article.content_hash == item.article.content_hash
    assert planned.mention == item.mentions[0]


def test_stored_articles_and_their_mentions_must_come_in_pairs():
    item = found("Hama.", "Hama")

    with pytest.raises(ValueError):
        plan_replay([stored(1, item), stored(2, item)], [item], {1: set(), 2: set()}, WATCHED)
