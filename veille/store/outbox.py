"""The outbox beyond claim, send and record: the database's id, late routing, renamed target keys,
and the operator's view of it (deliveries not sent, by target; moving or dropping a target's).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.orm import Session

from veille.errors import StoreError
from veille.records import HeldCount, Retargeted, StoredDelivery, TargetBacklog
from veille.store.guard import database_errors as _errors
from veille.store.guard import rows_changed
from veille.store.models import AlertRow, DeliveryRow, MetaRow

if TYPE_CHECKING:
    from veille.records import Router, TargetRef

UNSENT = ("pending", "sending", "failed", "queued")
# What the operator may move or drop: a delivery being sent ('sending') is left to the run that has it.
MOVABLE = ("pending", "failed", "queued")


class OutboxQueries:
    """Mixed into SqlStore: the outbox beyond claim, send and record, and what `veille outbox` does."""

    engine: Engine

    def database_id(self) -> str:
        """The random id this database was given when it was created (revision 0003)."""
        with _errors("reading the database id"), Session(self.engine) as session:
            value = session.get(MetaRow, "database_id")
        if value is None:
            raise StoreError("the database has no id (veille_meta): it was not created by Veille's migrations")
        return value.value

    def route_unrouted(self, route: Router, now: datetime) -> tuple[int, int]:
        """Deliveries for the alerts no target took when they were created, to the targets that now do.

        Only those: a target added later does not get the alerts the others already had.
        Returns how many alerts were routed now, and how many still reach no target.
        """
        routed = waiting = 0
        with _errors("routing alerts that reached no target"), Session(self.engine) as session, session.begin():
            for alert in session.scalars(select(AlertRow).where(AlertRow.unrouted).order_by(AlertRow.id)):
                targets = route(alert.routing_tags or [])
                if not targets:
                    waiting += 1
                    continue
                session.add_all(DeliveryRow.pending(alert.id, target.key, target.label, now) for target in targets)
                alert.unrouted = False
                routed += 1
        return routed, waiting

    def rename_targets(self, renames: Mapping[str, TargetRef]) -> int:
        """Give deliveries keyed by an old key (`renames`' keys) their target's current key and label.

        A delivery whose alert the target already has under its current key keeps the old key: one
        delivery per (alert, target) holds.
        """
        moved = 0
        with _errors("renaming delivery targets"), Session(self.engine) as session, session.begin():
            present = session.scalars(
                select(DeliveryRow.target_key).where(DeliveryRow.target_key.in_(sorted(renames))).distinct()
            ).all()
            for old in present:
                new = renames[old]
                has_it = select(DeliveryRow.alert_id).where(DeliveryRow.target_key == new.key)
                moved += rows_changed(
                    session.execute(
                        update(DeliveryRow)
                        .where(DeliveryRow.target_key == old, DeliveryRow.alert_id.not_in(has_it))
                        .values(target_key=new.key, target_label=new.label)
                    )
                )
        return moved

    def stored_delivery(self, delivery_id: int) -> StoredDelivery | None:
        query = (
            select(DeliveryRow, AlertRow.title, AlertRow.body)
            .join(DeliveryRow.alert)
            .where(DeliveryRow.id == delivery_id)
        )
        with _errors("reading a delivery"), Session(self.engine) as session:
            found = session.execute(query).first()
        if found is None:
            return None
        row, title, body = found
        return StoredDelivery(row.id, row.alert_id, row.target_key, row.status, title, body)

    def backlog(self) -> list[TargetBacklog]:
        """Every target with deliveries not sent, oldest first: waiting (to send or retry, quiet hours
        included), failed for good, queued for its next digest."""
        failed = func.sum(case((DeliveryRow.status == "failed", 1), else_=0))
        queued = func.sum(case((DeliveryRow.status == "queued", 1), else_=0))
        waiting = func.sum(case((DeliveryRow.status.in_(("failed", "queued")), 0), else_=1))
        query = (
            select(
                DeliveryRow.target_key,
                func.max(DeliveryRow.target_label),
                waiting,
                failed,
                func.min(DeliveryRow.created_at),
                queued,
            )
            .where(DeliveryRow.status.in_(UNSENT))
            .group_by(DeliveryRow.target_key)
            .order_by(func.min(DeliveryRow.created_at), DeliveryRow.target_key)
        )
        with _errors("reading the outbox"), Session(self.engine) as session:
            return [
                TargetBacklog(key, label, int(w or 0), int(f or 0), first, int(q or 0))
                for key, label, w, f, first, q in session.execute(query)
            ]

    def held_counts(self, now: datetime) -> list[HeldCount]:
        """Deliveries held on purpose, by reason: pending until their quiet hours end (not yet tried), and
        queued for their target's digest."""
        waiting = (
            (DeliveryRow.status == "pending")
            & DeliveryRow.hold_reason.is_not(None)
            & (DeliveryRow.attempts == 0)
            & (DeliveryRow.next_attempt_at > now)
        )
        query = (
            select(DeliveryRow.status, DeliveryRow.hold_reason, func.count())
            .where(waiting | (DeliveryRow.status == "queued"))
            .group_by(DeliveryRow.status, DeliveryRow.hold_reason)
            .order_by(DeliveryRow.status, DeliveryRow.hold_reason)
        )
        with _errors("reading held deliveries"), Session(self.engine) as session:
            return [
                HeldCount(status, reason or "queued", int(count)) for status, reason, count in session.execute(query)
            ]

    def target_keys(self) -> dict[str, str]:
        """Every target key the deliveries name, to its label."""
        query = select(DeliveryRow.target_key, func.max(DeliveryRow.target_label)).group_by(DeliveryRow.target_key)
        with _errors("reading the outbox"), Session(self.engine) as session:
            return dict(session.execute(query).tuples().all())

    def movable_counts(self, key: str) -> dict[str, int]:
        query = (
            select(DeliveryRow.status, func.count())
            .where(DeliveryRow.target_key == key, DeliveryRow.status.in_(MOVABLE))
            .group_by(DeliveryRow.status)
        )
        with _errors("reading the outbox"), Session(self.engine) as session:
            return dict(session.execute(query).tuples().all())

    def retarget(self, old_key: str, new_key: str, new_label: str, now: datetime) -> Retargeted:
        """Move the pending and failed deliveries of `old_key` to `new_key`, due now with no attempt made, and
        its queued ones, which stay queued for the new target's digest.

        A delivery whose alert `new_key` already has stays where it is: one delivery per (alert, target).
        """
        has_it = select(DeliveryRow.alert_id).where(DeliveryRow.target_key == new_key)
        movable = (DeliveryRow.target_key == old_key) & DeliveryRow.status.in_(MOVABLE)
        with _errors("moving deliveries"), Session(self.engine) as session, session.begin():
            moved = rows_changed(
                session.execute(
                    update(DeliveryRow)
                    .where(movable, DeliveryRow.alert_id.not_in(has_it))
                    .values(
                        target_key=new_key,
                        target_label=new_label,
                        status=case((DeliveryRow.status == "queued", "queued"), else_="pending"),
                        attempts=0,
                        last_error=None,
                        next_attempt_at=now,
                        claimed_at=None,
                    )
                )
            )
            kept = session.scalar(select(func.count()).select_from(DeliveryRow).where(movable)) or 0
        return Retargeted(moved, kept)

    def retry_failed(self, key: str, now: datetime) -> int:
        """The failed deliveries of `key` pending again, due now with no attempt made (a target mended)."""
        failed = (DeliveryRow.target_key == key) & (DeliveryRow.status == "failed")
        with _errors("retrying deliveries"), Session(self.engine) as session, session.begin():
            return rows_changed(
                session.execute(
                    update(DeliveryRow)
                    .where(failed)
                    .values(status="pending", attempts=0, last_error=None, next_attempt_at=now, claimed_at=None)
                )
            )

    def drop_deliveries(self, key: str) -> int:
        """Delete the pending, failed and queued deliveries of `key`; what was sent stays, as history."""
        with _errors("dropping deliveries"), Session(self.engine) as session, session.begin():
            return rows_changed(
                session.execute(
                    delete(DeliveryRow).where(DeliveryRow.target_key == key, DeliveryRow.status.in_(MOVABLE))
                )
            )

    def unrouted_count(self) -> int:
        with _errors("counting alerts that reached no target"), Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.unrouted)) or 0
