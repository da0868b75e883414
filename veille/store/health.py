"""Source health alerts in the store: the facts a decision needs, and writing what it decided."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from veille.records import HealthNotice, PlannedHealthAlert, SourceHealthFacts
from veille.store.guard import database_errors as _errors
from veille.store.models import AlertRow, ArticleRow, DeliveryRow, SourceRow

# Moments of new articles read per source: enough reads for a median, bounded whatever its history.
ARRIVALS = 50
HEALTH_ENTRY_ID = "source-health"


class HealthQueries:
    """Mixed into SqlStore: source health for veille.decide.health, and its messages written with it."""

    engine: Engine

    def source_health_facts(self, names: Iterable[str]) -> list[SourceHealthFacts]:
        """Each of these sources' failures in a row, last success and error, when its latest new articles
        came (the last ARRIVALS distinct moments) and what the operator was last told of it."""
        wanted = sorted(set(names))
        if not wanted:
            return []
        sources = select(SourceRow).where(SourceRow.name.in_(wanted)).order_by(SourceRow.name)
        with _errors("reading source health"), Session(self.engine) as session:
            rows = list(session.scalars(sources))
            arrivals = self._arrivals(session, [row.id for row in rows])
        facts = [
            SourceHealthFacts(
                name=row.name,
                consecutive_failures=row.consecutive_failures or 0,
                last_success_at=row.last_success_at,
                last_error=row.last_error,
                arrivals=tuple(arrivals.get(row.id, ())),
                health_state=row.health_state,
                health_changed_at=row.health_changed_at,
            )
            for row in rows
        ]
        return facts

    @staticmethod
    def _arrivals(session: Session, source_ids: list[int]) -> dict[int, list[datetime]]:
        """The last ARRIVALS distinct moments each source's new articles came, latest first: one query for
        all of them (10,000 feeds are 10,000 round trips otherwise)."""
        moments = (
            select(ArticleRow.source_id, ArticleRow.first_seen_at)
            .where(ArticleRow.source_id.in_(source_ids))
            .distinct()
            .subquery()
        )
        latest_first = moments.c.first_seen_at.desc()
        rank = func.row_number().over(partition_by=moments.c.source_id, order_by=latest_first).label("rank")
        ranked = select(moments.c.source_id, moments.c.first_seen_at, rank).subquery()
        query = (
            select(ranked.c.source_id, ranked.c.first_seen_at)
            .where(ranked.c.rank <= ARRIVALS)
            .order_by(ranked.c.source_id, ranked.c.first_seen_at.desc())
        )
        found: dict[int, list[datetime]] = {}
        for source_id, moment in session.execute(query):
            found.setdefault(source_id, []).append(moment)
        return found

    def record_health(self, planned: Sequence[PlannedHealthAlert], now: datetime) -> list[HealthNotice]:
        """Each source's new health state with its message and deliveries, all in one transaction.

        A source whose state is no longer the one the change started from (another run told the
        operator meanwhile) is left as it is, without a message: one message per change.
        """
        notices: list[HealthNotice] = []
        if not planned:
            return notices
        with _errors("recording source health alerts"), Session(self.engine) as session, session.begin():
            for item in planned:
                change = item.change
                row = session.scalars(
                    select(SourceRow).where(SourceRow.name == change.source).with_for_update()
                ).one_or_none()
                if row is None or (row.health_state or "ok") != change.previous:
                    continue
                row.health_state, row.health_changed_at = change.state, now
                alert = AlertRow(
                    story_id=None,
                    article_id=None,
                    category="health",
                    entry_id=HEALTH_ENTRY_ID,
                    entry_kind="health",
                    entry_name=change.source,
                    variant="",
                    sentence="",
                    occurrences=0,
                    sources=1,
                    severity=item.severity,
                    title=item.message.title,
                    body=item.message.body,
                    details=item.details,
                    created_at=now,
                    # No target takes it yet: it waits, with its tags, for one configured later.
                    routing_tags=list(item.tags),
                    unrouted=not item.deliveries,
                )
                session.add(alert)
                session.flush()
                session.add_all(DeliveryRow.planned(alert.id, d, now) for d in item.deliveries)
                notices.append(HealthNotice(alert.id, change.source, change.state, item.says, len(item.deliveries)))
        return notices
