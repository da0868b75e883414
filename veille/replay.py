"""Replay: detection run again over stored articles. Pure: what a dry run would alert on."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import replace

from veille.detect import plan_alerts
from veille.records import ArticleMentions, PlannedAlert, StoredArticle
from veille.watchlist import WatchList


def plan_replay(
    stored: Sequence[StoredArticle],
    found: Sequence[ArticleMentions],
    alerted: MutableMapping[int, set[str]],
    watchlist: WatchList,
) -> list[PlannedAlert]:
    """The alerts a batch of stored articles would create: one per story and entry never alerted.

    `stored` and `found` are in the same order; `alerted` (entries already alerted, by story) must
    hold every story of the batch, and gains what is planned here, so later batches do not plan it twice.
    """
    by_story: dict[int, list[ArticleMentions]] = {}
    for item, mentions in zip(stored, found, strict=True):
        by_story.setdefault(item.story_id, []).append(mentions)
    planned = []
    for story_id, items in by_story.items():
        story_alerts = plan_alerts(items, alerted[story_id], watchlist)
        alerted[story_id] |= {alert.entry.id for alert in story_alerts}
        # A replay over thousands of articles keeps its plan: not their texts.
        planned += [replace(alert, article=replace(alert.article, text="")) for alert in story_alerts]
    return planned
