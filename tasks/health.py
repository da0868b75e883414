"""The task that tells the operator of sources that went bad or recovered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.store import rate_windows
from veille.decide import DecisionConfig
from veille.decide.health import OPERATOR_TAG, health_transitions, plan_health_alerts
from veille.interfaces import Store
from veille.records import HealthNotice
from veille.sanitize import loggable


@task(name="alert_source_health", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def alert_source_health(
    store: Store, sources: Sequence[str], decision: DecisionConfig, failures_threshold: int, now: datetime
) -> list[HealthNotice]:
    """Record a message to the operator for each of these sources whose health changed since they were told.

    Decided inside the task from a fresh read of the store: a retry after a commit finds the state
    already told and records nothing twice.
    """
    changes = health_transitions(store.source_health_facts(sources), now, failures_threshold)
    if not changes:
        return []
    sent_recently = store.sent_recently(rate_windows(decision), now)
    planned = plan_health_alerts(changes, decision.targets, sent_recently, now, failures_threshold)
    notices = store.record_health(planned, now)
    logger = get_run_logger()
    for notice in notices:
        logger.warning("source %s: %s", loggable(notice.source), loggable(notice.says))
        if not notice.deliveries:
            logger.warning("no notification target is tagged %r, nor untagged: this reaches no one", OPERATOR_TAG)
    return notices
