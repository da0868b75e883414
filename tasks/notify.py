"""Tasks that deliver alerts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from veille.decide.deliveries import TargetProfile
from veille.digest import digest_delivery, plan_queued_digest
from veille.interfaces import Notifier, SentJournal, Store
from veille.notify.sender import DeliveryPolicy, send_due_deliveries
from veille.records import AlertMessage, DeliveryReport, RecordedDigest
from veille.sanitize import loggable
from veille.summary import plural


@task(name="send_alerts", cache_policy=NO_CACHE)
def send_alerts(
    store: Store, notifier: Notifier, policy: DeliveryPolicy, journal: SentJournal, clock: Callable[[], datetime]
) -> DeliveryReport:
    """Send every due delivery in the outbox, this run's and earlier runs' alike, due by `clock` (Settings.clock)."""
    report = send_due_deliveries(store, notifier, policy, clock, journal)
    logger = get_run_logger()
    for error in report.errors:
        logger.warning("delivery failed: %s", loggable(error))  # a service's answer, shown escaped
    return report


# Not retried: a retry after some targets' digests were recorded would not know them, and would send those
# targets the summary apart. A failure leaves the rest queued, for the next digest run.
@task(name="record_digests", cache_policy=NO_CACHE)
def record_digests(
    store: Store,
    targets: Sequence[TargetProfile],
    summary: AlertMessage,
    summary_keys: frozenset[str],
    until: datetime,
) -> list[RecordedDigest]:
    """One digest per configured target with queued deliveries, each queued alert in exactly one; for a target
    in `summary_keys` (it gets the daily summary too) the summary goes inside it."""
    logger = get_run_logger()
    profiles = {target.ref.key: target for target in targets}
    recorded, orphaned = [], []
    for ref in store.queued_targets(until):
        profile = profiles.get(ref.key)
        if profile is None:
            orphaned.append(ref)
            continue
        plan = partial(
            plan_queued_digest,
            until=until,
            target_label=profile.ref.label,
            summary=summary if ref.key in summary_keys else None,
        )
        digest = store.record_digest(digest_delivery(profile, until), until, until, plan)
        if digest is not None:  # None: an overlapping digest run took them first
            recorded.append(digest)
    if orphaned:
        logger.warning(
            "%s no longer configured keep their queued deliveries (veille outbox list): %s",
            plural(len(orphaned), "target"),
            loggable(", ".join(ref.label for ref in orphaned)),
        )
    return recorded
