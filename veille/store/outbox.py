"""The outbox as an operator sees it: deliveries not sent, by target; moving or dropping a target's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.orm import Session

from veille.store.guard import database_errors as _errors
from veille.store.models import AlertRow, DeliveryRow

UNSENT = ("pending", "sending", "failed")
# What the operator may move or drop: a delivery being sent ('sending') is left to the run that has it.
MOVABLE = ("pending", "failed")


@dataclass(frozen=True)
class TargetBacklog:
    """A target's deliveries not sent: how many wait, how many failed for good, since when."""

    key: str
    label: str
    waiting: int
    failed: int
    oldest: datetime


@dataclass(frozen=True)
class Retargeted:
    moved: int
    # Deliveries left with the old target: the new one already has their alert.
    kept: int


class OutboxQueries:
    """Mixed into SqlStore: what `python -m flows.outbox` reads and changes."""

    engine: Engine

    def backlog(self) -> list[TargetBacklog]:
        """Every target with deliveries not sent, oldest first."""
        failed = func.sum(case((DeliveryRow.status == "failed", 1), else_=0))
        waiting = func.sum(case((DeliveryRow.status == "failed", 0), else_=1))
        query = (
            select(DeliveryRow.target_key, func.max(DeliveryRow.target_label), waiting, failed,
                   func.min(DeliveryRow.created_at))
            .where(DeliveryRow.status.in_(UNSENT)).group_by(DeliveryRow.target_key)
            .order_by(func.min(DeliveryRow.created_at), DeliveryRow.target_key)
        )
        with _errors("reading the outbox"), Session(self.engine) as session:
            return [TargetBacklog(key, label, int(w or 0), int(f or 0), first)
                    for key, label, w, f, first in session.execute(query)]

    def target_keys(self) -> dict[str, str]:
        """Every target key the deliveries name, to its label."""
        query = select(DeliveryRow.target_key, func.max(DeliveryRow.target_label)).group_by(DeliveryRow.target_key)
        with _errors("reading the outbox"), Session(self.engine) as session:
            return dict(session.execute(query).tuples().all())

    def movable_counts(self, key: str) -> dict[str, int]:
        query = (select(DeliveryRow.status, func.count()).where(DeliveryRow.target_key == key,
                                                                DeliveryRow.status.in_(MOVABLE))
                 .group_by(DeliveryRow.status))
        with _errors("reading the outbox"), Session(self.engine) as session:
            return dict(session.execute(query).tuples().all())

    def retarget(self, old_key: str, new_key: str, new_label: str, now: datetime) -> Retargeted:
        """Move the pending and failed deliveries of `old_key` to `new_key`, due now with no attempt made.

        A delivery whose alert `new_key` already has stays where it is: one delivery per (alert, target).
        """
        has_it = select(DeliveryRow.alert_id).where(DeliveryRow.target_key == new_key)
        movable = (DeliveryRow.target_key == old_key) & DeliveryRow.status.in_(MOVABLE)
        with _errors("moving deliveries"), Session(self.engine) as session, session.begin():
            moved = session.execute(
                update(DeliveryRow).where(movable, DeliveryRow.alert_id.not_in(has_it))
                .values(target_key=new_key, target_label=new_label, status="pending", attempts=0, last_error=None,
                        next_attempt_at=now, claimed_at=None)).rowcount
            kept = session.scalar(select(func.count()).select_from(DeliveryRow).where(movable)) or 0
        return Retargeted(moved, kept)

    def drop_deliveries(self, key: str) -> int:
        """Delete the pending and failed deliveries of `key`; what was sent stays, as history."""
        with _errors("dropping deliveries"), Session(self.engine) as session, session.begin():
            return session.execute(
                delete(DeliveryRow).where(DeliveryRow.target_key == key, DeliveryRow.status.in_(MOVABLE))).rowcount

    def unrouted_count(self) -> int:
        with _errors("counting alerts that reached no target"), Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.unrouted)) or 0
