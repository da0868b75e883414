"""Work through the delivery outbox: claim, send, record; a failure waits for a later run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from veille.errors import StoreError
from veille.interfaces import Notifier, SentJournal, Store
from veille.notify.journal import message_digest
from veille.records import DeliveryReport, JournalEntry, StoredDelivery
from veille.summary import plural

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int
    backoff_seconds: float
    lease_seconds: float
    # Waits between tries to claim a delivery or record its outcome while the database is unavailable
    # (~15 s in all): a blink neither fails the run nor sends again an alert the target accepted.
    outage_waits: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)


def send_due_deliveries(
    store: Store, notifier: Notifier, policy: DeliveryPolicy, now: Callable[[], datetime], journal: SentJournal
) -> DeliveryReport:
    """Send every due delivery once; a target that fails is not tried again in this pass.

    Sends an earlier run accepted but could not record are recorded first, from `journal`, so they
    are not due again; alerts that reached no target get deliveries to the targets that now take them.
    `now` is the run's clock (Settings.clock): a delivery held by quiet hours is due when it says their end
    has come, and a claim's lease is measured on it too.
    """
    database = _riding_out_outage(policy, store.database_id)
    report = DeliveryReport(recorded_from_journal=_record_journal(store, journal, policy, database))
    renamed = store.rename_targets(notifier.legacy_keys())
    if renamed:
        logger.info(
            "%s keyed the way of an earlier version now carry their target's key",
            plural(renamed, "delivery", "deliveries"),
        )
    report.routed_late, report.unrouted = store.route_unrouted(notifier.targets_for, now())
    if report.unrouted:
        logger.warning("%s reached no target: no target has one of their tags", plural(report.unrouted, "alert"))
    down: set[str] = set()
    for delivery in store.due_deliveries(now(), policy.lease_seconds):
        if not notifier.has_target(delivery.target_key):
            # Its target left the configuration: kept pending, in case it comes back.
            report.orphaned += 1
            continue
        if delivery.target_key in down:
            report.deferred += 1
            continue
        if not _riding_out_outage(
            policy, store.claim_delivery, delivery.id, now(), policy.lease_seconds, delivery.target_key
        ):
            report.taken_by_another_run += 1
            continue
        error = notifier.send(delivery.target_key, delivery.title, delivery.body, fields=delivery.details)
        if error is None:
            _record_sent(
                store,
                journal,
                policy,
                JournalEntry(
                    delivery.id,
                    now(),
                    database,
                    delivery.alert_id,
                    delivery.target_key,
                    message_digest(delivery.title, delivery.body),
                ),
            )
            report.sent += 1
            if delivery.hold_reason is not None:
                report.released += 1
            continue
        down.add(delivery.target_key)
        attempts = delivery.attempts + 1
        report.errors.append(f"{delivery.target_label}: {error} (attempt {attempts})")
        if attempts >= policy.max_attempts:
            _riding_out_outage(policy, store.mark_failed_attempt, delivery.id, error, None)
            report.failed += 1
        else:
            retry_at = now() + timedelta(seconds=retry_delay(attempts, policy.backoff_seconds))
            _riding_out_outage(policy, store.mark_failed_attempt, delivery.id, error, retry_at)
            report.retrying += 1
    report.held = store.held_counts(now())
    return report


def _record_sent(store: Store, journal: SentJournal, policy: DeliveryPolicy, entry: JournalEntry) -> None:
    """Record an accepted delivery; while the database cannot, the journal holds it for the next run."""
    try:
        return store.mark_sent(entry.delivery, entry.sent_at)
    except StoreError:
        journal.write(entry)  # before waiting: a run killed or failing meanwhile must not lose it
    _riding_out_outage(policy, store.mark_sent, entry.delivery, entry.sent_at)
    journal.forget([entry])


def _record_journal(store: Store, journal: SentJournal, policy: DeliveryPolicy, database: str) -> int:
    """Record the sends the journal holds for this database; an entry never marks another delivery as sent."""
    recorded, settled, foreign = 0, [], 0
    for entry in journal.entries():
        if entry.database is not None and entry.database != database:
            foreign += 1  # the URL names another database now (a new one, a mistake): kept for its own
            continue
        row = _riding_out_outage(policy, store.stored_delivery, entry.delivery)
        if row is None and entry.database is not None:
            continue  # this database's, from after the backup it was restored from: kept, never applied
        if row is not None and is_that_delivery(entry, row) and row.status != "sent":
            _riding_out_outage(policy, store.mark_sent, entry.delivery, entry.sent_at)
            recorded += 1
        settled.append(entry)  # recorded, or about another delivery than the one of that id: done with
    if settled:
        journal.forget(settled)
    if recorded:
        logger.warning(
            "recorded %s a target had accepted while the database was unavailable",
            plural(recorded, "delivery", "deliveries"),
        )
    if foreign:
        logger.warning(
            "the delivery journal holds %s of another database: kept, not applied to this one", plural(foreign, "send")
        )
    return recorded


def is_that_delivery(entry: JournalEntry, row: StoredDelivery) -> bool:
    """Whether a journal entry is about this stored delivery: same alert, target and alert text."""
    if entry.database is None:
        # A line of an earlier version names the delivery alone: only a claim left unrecorded matches.
        return row.status == "sending"
    return (row.alert_id, row.target_key, message_digest(row.title, row.body)) == (
        entry.alert,
        entry.target,
        entry.digest,
    )


def _riding_out_outage(policy: DeliveryPolicy, write: Callable[..., T], *args: object) -> T:
    """`write(*args)`, waiting out a short database outage; past it, the StoreError stands."""
    for wait in policy.outage_waits:
        try:
            return write(*args)
        except StoreError as exc:
            logger.warning("cannot write a delivery's state yet (%s); again in %.1f s", exc, wait)
            time.sleep(wait)
    return write(*args)


def retry_delay(attempts: int, base_seconds: float, cap_seconds: float = 3600.0) -> float:
    """Seconds to wait after `attempts` failures: base, 2×base, 4×base, … capped."""
    if attempts <= 0 or base_seconds <= 0:
        return 0.0
    # In floats, the doubling bounded: 2 ** 1100 as an int times a float base raised OverflowError
    # (max_delivery_attempts has no upper bound), where a float product past the cap only becomes inf.
    return min(cap_seconds, base_seconds * 2.0 ** min(attempts - 1, 1000))
