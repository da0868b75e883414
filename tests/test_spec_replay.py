"""Specification of a replay's decisions: stored articles decided again, batch after batch.

A replay (flows/replay.py) places each stored article in its own story and calls decide_batch; what a
batch decided (BatchPlan.alerted and .history) is the context of the next, as the store would be.
Pure: no database, no Prefect, no model.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import NOW, decide, decision, found, placed, rule, watch_list, weapon
from veille.decide import decide_batch
from veille.records import ArticleMentions, BatchPlan, DecisionContext, EntryHistory, StoryRef

WATCHED = watch_list("hama", "alep", weapon("kalibr"))
DEFAULT = decision(WATCHED)


def replay(batch: list[tuple[int, ArticleMentions]], alerted: dict[int, frozenset[str]]) -> list[tuple[str, str]]:
    """(entry id, article key) of each entry of each message planned for `batch`, a list of (story id, item)."""
    plan = decide([placed(item, story) for story, item in batch], DEFAULT, alerted=alerted)
    return [(hit.entry.id, alert.article.key) for alert in plan.alerts for hit in alert.hits]


@pytest.mark.parametrize(
    ("batch", "alerted", "expected"),
    [
        pytest.param([(1, found("Hama.", "Hama", key="1.txt"))], {}, [("hama", "1.txt")], id="one article, one entry"),
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt")), (1, found("Hama encore.", "Hama", key="2.txt"))],
            {},
            [("hama", "1.txt")],
            id="two copies of one story: one alert",
        ),
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt")), (2, found("Hama encore.", "Hama", key="2.txt"))],
            {},
            [("hama", "1.txt"), ("hama", "2.txt")],
            id="two stories: one alert each",
        ),
        pytest.param(
            [(1, found("Hama et Alep.", "Hama", "Alep", key="1.txt"))],
            {1: frozenset({"hama"})},
            [("alep", "1.txt")],
            id="an entry the story was alerted for: skipped",
        ),
        pytest.param(
            [(1, found("Hama.", "Hama", key="1.txt"))],
            {1: frozenset({"hama"})},
            [],
            id="everything already alerted: nothing",
        ),
        pytest.param([(1, found("Rien ici.", key="1.txt"))], {}, [], id="no mention: nothing"),
    ],
)
def test_a_replay_plans_each_entry_once_per_story_never_alerted(batch, alerted, expected):
    assert replay(batch, alerted) == expected


def carried(plan: BatchPlan, now=NOW) -> DecisionContext:
    """The next batch's context as a replay makes it: the stored stories' entries and the entries' past."""
    alerted = {story.id: entries for story, entries in plan.alerted.items() if story.id is not None}
    return DecisionContext(now=now, alerted=alerted, history=plan.history)


def test_what_a_batch_plans_is_not_planned_again_by_a_later_batch():
    first = decide([placed(found("Hama et Kalibr.", "Hama", "Kalibr", key="1.txt"), 1)], DEFAULT)
    context = carried(first)

    later = decide_batch([placed(found("Hama et Kalibr, suite.", "Hama", "Kalibr", key="2.txt"), 1)], context, DEFAULT)

    assert [alert.entry_ids for alert in first.alerts] == [("hama", "kalibr")]
    assert first.alerted == {StoryRef(id=1): frozenset({"hama", "kalibr"})}
    assert later.alerts == ()
    assert later.alerted == first.alerted


def test_a_plan_s_alerted_holds_the_context_s_and_the_batch_s():
    plan = decide(
        [placed(found("Alep.", "Alep", key="1.txt"), 1), placed(found("Hama.", "Hama", key="2.txt"), 2)],
        DEFAULT,
        alerted={1: frozenset({"hama"}), 3: frozenset({"kalibr"})},
    )

    assert plan.alerted == {
        StoryRef(id=1): frozenset({"hama", "alep"}),
        StoryRef(id=2): frozenset({"hama"}),
        StoryRef(id=3): frozenset({"kalibr"}),
    }


def test_an_entry_s_past_carried_to_the_next_batch_keeps_a_first_seen_rule_from_firing_twice():
    rules = decision(WATCHED, rule("new", "first_seen", quiet_days=30))
    first = decide([placed(found("Hama.", "Hama", key="1.txt"), 1)], rules)
    next_day = NOW + timedelta(days=1)

    later = decide_batch(
        [placed(found("Hama encore.", "Hama", key="2.txt"), 2, read_at=next_day)], carried(first, next_day), rules
    )
    without_past = decide([placed(found("Hama encore.", "Hama", key="2.txt"), 2, read_at=next_day)], rules)

    assert [hit.rules[0].why for alert in first.alerts for hit in alert.hits] == ["first mention ever"]
    assert first.history["hama"] == EntryHistory(NOW, {NOW.date(): 1}, {1: NOW})
    assert later.alerts == ()
    assert [alert.entry_ids for alert in without_past.alerts] == [("hama",)]
