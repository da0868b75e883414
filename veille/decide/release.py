"""Doubtful mentions released by hand (`veille release ID`): each becomes an alert through the
same decision as any mention, taken as sure.

Pure, as the rest of the decision: the flow reads the mentions, their articles and the context, and
writes the plan this returns with `Store.record_plan`, which marks each mention released with its alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from veille.decide import DecisionConfig, decide_batch
from veille.records import (
    ArticleMentions,
    BatchPlan,
    DecisionContext,
    HeldDoubtful,
    Mention,
    PlacedArticle,
    StoredArticle,
    StoryRef,
)
from veille.rules.config import EntrySelector, Rule, RulesConfig

RELEASED_BY_HAND = "released by hand"
# The rule that fires on a released mention that none of the configured rules fires on (a first_seen
# rule that finds the entry seen recently, a rule for other sources): released by hand, it is sent.
BY_HAND_RULE = "by-hand"


def release_by_hand(
    items: Sequence[tuple[HeldDoubtful, StoredArticle]], context: DecisionContext, config: DecisionConfig
) -> BatchPlan:
    """The plan that sends each held mention as an alert on its stored article, in its story.

    Each article is decided on its released mentions alone (what else it names was decided when it was
    read), each taken as sure: every configured rule sees it whatever its confidence, and it keeps its
    reasons, with "released by hand" after them. An entry none of them fires on is fired by the rule
    `by-hand`. One its story has alerted since is left out of the plan's alerts, as any entry alerted
    in its story. `released` names every item, for the store to mark with the alert that carries it.
    """
    placed = _placed(items, context)
    rules = tuple(rule.model_copy(update={"min_confidence": 0.0}) for rule in config.rules.rules)
    plan = decide_batch(placed, context, replace(config, rules=config.rules.model_copy(update={"rules": rules})))
    alerted = {(alert.story, entry_id) for alert in plan.alerts for entry_id in alert.entry_ids}
    missing = sorted(
        {
            held.entry_id
            for held, _ in items
            if (StoryRef(id=held.story_id), held.entry_id) not in alerted
            and held.entry_id not in context.alerted.get(held.story_id, frozenset())
        }
    )
    if missing:
        fallback = Rule(
            id=_free_id(BY_HAND_RULE, {rule.id for rule in rules}),
            kind="mention",
            entries=EntrySelector(ids=tuple(missing)),
            min_confidence=0.0,
            description="a doubtful mention released by hand",
        )
        with_fallback = RulesConfig(rules=(*rules, fallback), targets=config.rules.targets)
        plan = decide_batch(placed, context, replace(config, rules=with_fallback))
    return replace(plan, released=tuple(held.id for held, _ in items))


def released_mention(held: HeldDoubtful) -> Mention:
    """The held mention as a released one: its reasons, then "released by hand"."""
    return replace(held.mention, reasons=(*held.mention.reasons, RELEASED_BY_HAND))


def _placed(items: Sequence[tuple[HeldDoubtful, StoredArticle]], context: DecisionContext) -> list[PlacedArticle]:
    """One placed article per stored article, with its released mentions, read when Veille first read it."""
    by_article: dict[int, tuple[StoredArticle, list[Mention]]] = {}
    for held, stored in items:
        by_article.setdefault(stored.id, (stored, []))[1].append(released_mention(held))
    return [
        PlacedArticle(
            ArticleMentions(stored.article, tuple(mentions)),
            StoryRef(id=stored.story_id),
            stored.first_seen_at or context.now,
        )
        for stored, mentions in by_article.values()
    ]


def _free_id(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... when a configured rule has that id already."""
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate
