"""Queued deliveries gathered into one digest message per target, each queued alert in exactly one digest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from veille.records import PlannedDelivery, PlannedDigest, QueuedAlert, RecordedDigest, TargetRef
from veille.store.guard import database_errors as _errors
from veille.store.guard import rows_changed
from veille.store.history import message_entries
from veille.store.models import AlertRow, ArticleRow, DeliveryRow, SourceRow

DIGEST_ENTRY = "digest"


class DigestQueries:
    """Mixed into SqlStore: what the digest flow reads and writes of the queued deliveries."""

    engine: Engine

    def queued_targets(self, until: datetime) -> list[TargetRef]:
        """The targets with deliveries queued for their digest up to `until`, by key."""
        query = (
            select(DeliveryRow.target_key, func.max(DeliveryRow.target_label))
            .where(DeliveryRow.status == "queued", DeliveryRow.created_at <= until)
            .group_by(DeliveryRow.target_key)
            .order_by(DeliveryRow.target_key)
        )
        with _errors("reading queued deliveries"), Session(self.engine) as session:
            return [TargetRef(key, label) for key, label in session.execute(query)]

    def record_digest(
        self,
        delivery: PlannedDelivery,
        until: datetime,
        now: datetime,
        plan: Callable[[Sequence[QueuedAlert]], PlannedDigest],
    ) -> RecordedDigest | None:
        """Take every delivery queued for `delivery.target` up to `until` into one digest, in one transaction:
        the digest's message (an alert row of category "digest", its text from `plan`), its delivery, and
        the queued deliveries marked "digested" into it. None when none was queued.

        The queued rows are taken by an UPDATE that still requires them queued: a digest run that overlaps
        takes none of them (on PostgreSQL it waits for this transaction, then finds them digested), so each
        queued alert goes out in exactly one digest.
        """
        target = delivery.target
        with _errors("recording a digest"), Session(self.engine) as session:
            row = AlertRow(
                story_id=None,
                article_id=None,
                category="digest",
                entry_id=DIGEST_ENTRY,
                entry_kind=DIGEST_ENTRY,
                entry_name=target.label,
                variant="",
                sentence="",
                occurrences=0,
                sources=1,
                severity="normal",
                title="",
                body="",
                details=None,
                created_at=now,
                routing_tags=[],
                unrouted=False,
            )
            session.add(row)
            session.flush()
            taken = rows_changed(
                session.execute(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.target_key == target.key,
                        DeliveryRow.status == "queued",
                        DeliveryRow.created_at <= until,
                    )
                    .values(status="digested", digest_alert_id=row.id)
                )
            )
            if not taken:
                session.rollback()
                return None
            items = _queued_alerts(session, row.id)
            planned = plan(items)
            row.title, row.body, row.details = planned.message.title, planned.message.body, planned.details
            row.occurrences = len(items)
            session.add(DeliveryRow.planned(row.id, replace(delivery, status="pending"), now))
            session.commit()
            return RecordedDigest(row.id, target, len(items), delivery.due_at)


def _queued_alerts(session: Session, digest_id: int) -> list[QueuedAlert]:
    """The alerts of the deliveries this digest took, with their entries, article and source, oldest first."""
    query = (
        select(AlertRow, DeliveryRow.hold_reason, DeliveryRow.created_at, ArticleRow.title, SourceRow.name)
        .join(DeliveryRow, DeliveryRow.alert_id == AlertRow.id)
        .outerjoin(ArticleRow, AlertRow.article_id == ArticleRow.id)
        .outerjoin(SourceRow, ArticleRow.source_id == SourceRow.id)
        .where(DeliveryRow.digest_alert_id == digest_id)
        .order_by(DeliveryRow.created_at, AlertRow.id)
    )
    rows = session.execute(query).all()
    entries = message_entries(session, [alert.id for alert, *_ in rows])
    return [
        QueuedAlert(
            alert.id,
            tuple(entries.get(alert.id, [(alert.entry_name, alert.entry_kind)])),
            # A message with no article (a source's health) is shown by its own title.
            article_title if article_title is not None else alert.title,
            source or "",
            alert.sources,
            alert.severity,
            reason,
            queued_at,
        )
        for alert, reason, queued_at, article_title, source in rows
    ]
