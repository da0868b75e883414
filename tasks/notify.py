"""Tasks that deliver alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from veille.interfaces import Notifier, SentJournal, Store
from veille.notify.sender import DeliveryPolicy, send_due_deliveries
from veille.records import DeliveryReport
from veille.sanitize import loggable


@task(name="send_alerts", cache_policy=NO_CACHE)
def send_alerts(store: Store, notifier: Notifier, policy: DeliveryPolicy, journal: SentJournal) -> DeliveryReport:
    """Send every due delivery in the outbox, this run's and earlier runs' alike."""
    report = send_due_deliveries(store, notifier, policy, lambda: datetime.now(UTC), journal)
    logger = get_run_logger()
    for error in report.errors:
        logger.warning("delivery failed: %s", loggable(error))  # a service's answer, shown escaped
    return report
