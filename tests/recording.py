"""Recording detections in one call, as the monitor does it: place, read the context, decide, write.

For store-level tests that route with a plain Router (tags to targets) rather than configured targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from tasks.store import BatchSettings, plan_batch
from veille.decide import DecisionConfig
from veille.decide.stories import index_stored
from veille.interfaces import Store
from veille.records import ArticleMentions, PlannedDelivery, RecordedBatch, Router
from veille.rules.config import DEFAULT_RULES, RulesConfig
from veille.stories import StoryIndex
from veille.watchlist import WatchList


def record_detections(
    store: Store,
    found: Sequence[ArticleMentions],
    watchlist: WatchList,
    route: Router,
    now: datetime,
    stories: StoryIndex | None = None,
    rules: RulesConfig = DEFAULT_RULES,
    baseline: frozenset[str] = frozenset(),
) -> RecordedBatch:
    """Decide on `found` and record it; each alert's deliveries go where `route` sends its tags, due now."""
    stories = stories if stories is not None else StoryIndex()
    plan = plan_batch(store, found, DecisionConfig(watchlist, rules, ()), stories, now, BatchSettings(baseline))
    routed = tuple(
        alert
        if alert.held
        else replace(alert, deliveries=tuple(PlannedDelivery(target, "pending", now) for target in route(alert.tags)))
        for alert in plan.alerts
    )
    recorded = store.record_plan(replace(plan, alerts=routed), now)
    index_stored(stories, plan.articles, recorded.stored)
    return recorded
