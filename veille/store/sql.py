"""The store: one SQLAlchemy engine, each method one short transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, event, func, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from veille.detect import plan_alerts, render_alert
from veille.errors import StoreError
from veille.records import ArticleMentions
from veille.store.models import AlertRow, ArticleRow, Base, DeliveryRow, MentionRow, SourceRow
from veille.watchlist import WatchList


@dataclass(frozen=True)
class TargetRef:
    """A notification target as the store knows it: a key that hides the URL, and a safe label."""

    key: str
    label: str


Router = Callable[[Sequence[str]], Sequence[TargetRef]]


@dataclass(frozen=True)
class CreatedAlert:
    alert_id: int
    location: str
    entry_name: str
    kind: str
    variant: str
    deliveries: int


@dataclass(frozen=True)
class DueDelivery:
    id: int
    target_key: str
    target_label: str
    title: str
    body: str
    attempts: int


class SqlStore:
    """Articles, mentions, alerts and deliveries in any database SQLAlchemy speaks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> SqlStore:
        """Connect and create missing tables; errors never show the URL (it may hold a password)."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError("VEILLE_DATABASE_URL is not a database URL SQLAlchemy understands") from None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        with _errors("creating tables"):
            Base.metadata.create_all(engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    def known_hashes(self, sources: Iterable[str]) -> dict[tuple[str, str], str]:
        """Content hash of every stored article of `sources`, by (source, key)."""
        names = sorted(set(sources))
        if not names:
            return {}
        query = (
            select(SourceRow.name, ArticleRow.key, ArticleRow.content_hash)
            .join(ArticleRow.source)
            .where(SourceRow.name.in_(names))
        )
        with _errors("reading articles"), Session(self.engine) as session:
            return {(name, key): digest for name, key, digest in session.execute(query)}

    def record_detections(
        self, found: Sequence[ArticleMentions], watchlist: WatchList, route: Router, now: datetime
    ) -> list[CreatedAlert]:
        """Store articles and their mentions, and create alerts and deliveries, in one transaction."""
        created: list[CreatedAlert] = []
        with _errors("recording detections"), Session(self.engine) as session, session.begin():
            sources = self._source_ids(session, {item.article.source for item in found}, now)
            for item in found:
                article_row = self._upsert_article(session, sources[item.article.source], item, now)
                alerted = session.scalars(select(AlertRow.entry_id).where(AlertRow.article_id == article_row.id))
                for planned in plan_alerts(item, alerted.all(), watchlist):
                    message = render_alert(planned, now)
                    alert = AlertRow(
                        article_id=article_row.id,
                        entry_id=planned.entry.id,
                        entry_kind=planned.entry.kind,
                        entry_name=planned.entry.name,
                        variant=planned.mention.text,
                        sentence=planned.mention.sentence,
                        occurrences=planned.occurrences,
                        title=message.title,
                        body=message.body,
                        created_at=now,
                    )
                    session.add(alert)
                    session.flush()
                    targets = route(planned.tags)
                    session.add_all(
                        DeliveryRow(
                            alert_id=alert.id,
                            target_key=target.key,
                            target_label=target.label,
                            status="pending",
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                        for target in targets
                    )
                    created.append(
                        CreatedAlert(alert.id, item.article.location, planned.entry.name, planned.entry.kind,
                                     planned.mention.text, len(targets))
                    )
        return created

    def _source_ids(self, session: Session, names: set[str], now: datetime) -> dict[str, int]:
        rows = {row.name: row.id for row in session.scalars(select(SourceRow).where(SourceRow.name.in_(names)))}
        for name in sorted(names - rows.keys()):
            row = SourceRow(name=name, created_at=now)
            session.add(row)
            session.flush()
            rows[name] = row.id
        return rows

    def _upsert_article(self, session: Session, source_id: int, item: ArticleMentions, now: datetime) -> ArticleRow:
        article = item.article
        row = session.scalars(
            select(ArticleRow).where(ArticleRow.source_id == source_id, ArticleRow.key == article.key)
        ).one_or_none()
        if row is None:
            row = ArticleRow(source_id=source_id, key=article.key, first_seen_at=now)
            session.add(row)
        elif row.content_hash == article.content_hash:
            return row
        row.title, row.location, row.text = article.title, article.location, article.text
        row.content_hash, row.published_at, row.changed_at = article.content_hash, article.published_at, now
        session.flush()
        # Mentions describe the current text; alerts already sent stay, they are history.
        session.execute(delete(MentionRow).where(MentionRow.article_id == row.id))
        session.add_all(
            MentionRow(article_id=row.id, entry_id=m.entry_id, label=m.label, text=m.text, start=m.start,
                       end=m.end, sentence=m.sentence)
            for m in item.mentions
        )
        return row

    def due_deliveries(self, now: datetime, lease_seconds: float) -> list[DueDelivery]:
        """Pending deliveries whose time has come, and those a dead run claimed and never recorded."""
        query = (
            select(DeliveryRow, AlertRow.title, AlertRow.body)
            .join(DeliveryRow.alert)
            .where(_due(now, lease_seconds))
            .order_by(DeliveryRow.id)
        )
        with _errors("reading deliveries"), Session(self.engine) as session:
            return [
                DueDelivery(row.id, row.target_key, row.target_label, title, body, row.attempts)
                for row, title, body in session.execute(query)
            ]

    def claim_delivery(self, delivery_id: int, now: datetime, lease_seconds: float) -> bool:
        """Take a due delivery for this run; False when another run has it or it is no longer due."""
        statement = (
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, _due(now, lease_seconds))
            .values(status="sending", claimed_at=now, attempts=DeliveryRow.attempts + 1)
        )
        with _errors("claiming a delivery"), Session(self.engine) as session, session.begin():
            return session.execute(statement).rowcount == 1

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        self._set(delivery_id, status="sent", sent_at=now, last_error=None)

    def mark_failed_attempt(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failure: pending again until `retry_at`, or failed for good when it is None."""
        if retry_at is None:
            self._set(delivery_id, status="failed", last_error=error)
        else:
            self._set(delivery_id, status="pending", last_error=error, next_attempt_at=retry_at)

    def delivery_counts(self) -> dict[str, int]:
        with _errors("counting deliveries"), Session(self.engine) as session:
            query = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            return {status: count for status, count in session.execute(query)}

    def _set(self, delivery_id: int, **values: object) -> None:
        with _errors("recording a delivery"), Session(self.engine) as session, session.begin():
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))



@contextmanager
def _errors(doing: str) -> Iterator[None]:
    """Turn SQLAlchemy's errors (whose text holds SQL and parameters) into one short StoreError."""
    try:
        yield
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        lines = str(cause).strip().splitlines()
        raise StoreError(f"database error while {doing}: {type(cause).__name__}: {lines[0] if lines else ''}") from error


def _due(now: datetime, lease_seconds: float):
    stale = now - timedelta(seconds=lease_seconds)
    return or_(
        (DeliveryRow.status == "pending") & (DeliveryRow.next_attempt_at <= now),
        (DeliveryRow.status == "sending") & (DeliveryRow.claimed_at < stale),
    )


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets a reader (the UI, a second run) work while a run writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
