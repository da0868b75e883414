"""Reads over what the store already holds: stored articles for replay, figures for digests and reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from veille.records import AlertLine, Article, PeriodFigures, StoredArticle
from veille.store.doubtful import read_doubtful
from veille.store.guard import database_errors as _reading
from veille.store.models import AlertEntryRow, AlertRow, ArticleRow, DeliveryRow, DoubtfulMentionRow, SourceRow

Query = TypeVar("Query", bound=Select[Any])
# Ids per IN (...) list: far below every database's limit on bound parameters.
_CHUNK = 500


class HistoryQueries:
    """Mixed into SqlStore: reads that serve replay, digests and run reports."""

    engine: Engine

    def stored_articles(self, article_ids: Iterable[int]) -> dict[int, StoredArticle]:
        """These stored articles, by id; an id the database does not hold is left out."""
        ids = sorted(set(article_ids))
        found: dict[int, StoredArticle] = {}
        with _reading("reading stored articles"), Session(self.engine) as session:
            for start in range(0, len(ids), _CHUNK):
                query = (
                    select(ArticleRow, SourceRow.name)
                    .join(ArticleRow.source)
                    .where(ArticleRow.id.in_(ids[start : start + _CHUNK]))
                )
                found.update((row.id, _stored(row, name)) for row, name in session.execute(query))
        return found

    def articles_between(
        self, since: datetime | None, until: datetime | None, after_id: int = 0, limit: int = 100
    ) -> list[StoredArticle]:
        """Stored articles dated in [since, until), by id after `after_id`: their published date, else first seen."""
        query = _dated_between(
            select(ArticleRow, SourceRow.name)
            .join(ArticleRow.source)
            .where(ArticleRow.id > after_id)
            .order_by(ArticleRow.id)
            .limit(limit),
            since,
            until,
        )
        with _reading("reading stored articles"), Session(self.engine) as session:
            return [_stored(row, name) for row, name in session.execute(query)]

    def count_articles_between(self, since: datetime | None, until: datetime | None) -> int:
        query = _dated_between(select(func.count()).select_from(ArticleRow), since, until)
        with _reading("counting stored articles"), Session(self.engine) as session:
            return session.scalar(query) or 0

    def delivery_statuses(self, alert_ids: Iterable[int]) -> dict[int, Counter[str]]:
        """For each alert, how many of its deliveries are pending, sending, sent, failed, queued or digested.

        One held on purpose is counted as "STATUS: REASON": "pending: quiet hours until 07:00 Europe/Paris"
        (not tried yet), "queued: over the rate limit of 10 per 1 h".
        """
        ids = sorted(set(alert_ids))
        statuses: dict[int, Counter[str]] = {alert_id: Counter() for alert_id in ids}
        if not ids:
            return statuses
        query = (
            select(DeliveryRow.alert_id, DeliveryRow.status, DeliveryRow.hold_reason, DeliveryRow.attempts)
            .where(DeliveryRow.alert_id.in_(ids))
            .order_by(DeliveryRow.id)
        )
        with _reading("reading deliveries"), Session(self.engine) as session:
            for alert_id, status, reason, attempts in session.execute(query):
                held = reason is not None and (status == "queued" or (status == "pending" and attempts == 0))
                statuses[alert_id][f"{status}: {reason}" if held else status] += 1
        return statuses

    def alert_lines(self, alert_ids: Iterable[int]) -> list[AlertLine]:
        ids = sorted(set(alert_ids))
        if not ids:
            return []
        with _reading("reading alerts"), Session(self.engine) as session:
            return alert_lines_of(session, select(AlertRow).where(AlertRow.id.in_(ids)).order_by(AlertRow.id))

    def period_figures(self, since: datetime, until: datetime) -> PeriodFigures:
        """New articles by source, alerts created, their deliveries' status, failing sources, and the
        mentions held as doubtful."""
        figures = PeriodFigures()
        with _reading("reading the period's figures"), Session(self.engine) as session:
            articles = (
                select(SourceRow.name, func.count())
                .join(ArticleRow.source)
                .where(ArticleRow.first_seen_at >= since, ArticleRow.first_seen_at < until)
                .group_by(SourceRow.name)
            )
            figures.articles = Counter(dict(session.execute(articles).tuples().all()))
            in_period = (AlertRow.created_at >= since) & (AlertRow.created_at < until)
            figures.alerts = alert_lines_of(session, select(AlertRow).where(in_period).order_by(AlertRow.id))
            # The alerts' own deliveries: a digest's or a health message's are not "of these alerts".
            deliveries = (
                select(DeliveryRow.status, func.count())
                .join(DeliveryRow.alert)
                .where(in_period, AlertRow.category == "alert")
                .group_by(DeliveryRow.status)
            )
            figures.deliveries = Counter(dict(session.execute(deliveries).tuples().all()))
            failing = select(SourceRow).where(SourceRow.consecutive_failures > 0).order_by(SourceRow.name)
            figures.failing_sources = [
                (row.name, row.consecutive_failures, row.last_error or "") for row in session.scalars(failing)
            ]
            figures.doubtful = read_doubtful(
                session, DoubtfulMentionRow.created_at >= since, DoubtfulMentionRow.created_at < until
            )
        return figures


def _stored(row: ArticleRow, source: str) -> StoredArticle:
    article = Article(
        source=source,
        key=row.key,
        title=row.title,
        location=row.location,
        text=row.text,
        published_at=row.published_at,
        content_hash=row.content_hash,
    )
    return StoredArticle(row.id, row.story_id, article, row.first_seen_at)


def _dated_between(query: Query, since: datetime | None, until: datetime | None) -> Query:
    """Articles whose published date, or lacking one the day Veille first saw them, is in [since, until)."""
    dated = func.coalesce(ArticleRow.published_at, ArticleRow.first_seen_at)
    if since is not None:
        query = query.where(dated >= since)
    if until is not None:
        query = query.where(dated < until)
    return query


def message_entries(session: Session, alert_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """(name, kind) of every entry of each of these messages, in the order they were recorded."""
    entries: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(alert_ids), _CHUNK):
        names = (
            select(AlertEntryRow.alert_id, AlertEntryRow.entry_name, AlertEntryRow.entry_kind)
            .where(AlertEntryRow.alert_id.in_(alert_ids[start : start + _CHUNK]))
            .order_by(AlertEntryRow.id)
        )
        for alert_id, name, kind in session.execute(names):
            entries.setdefault(alert_id, []).append((name, kind))
    return entries


def alert_lines_of(session: Session, alerts: Select[tuple[AlertRow]]) -> list[AlertLine]:
    """`alerts` (a select of AlertRow) with their article and source, in one query."""
    query = (
        alerts.add_columns(ArticleRow.title, ArticleRow.location, SourceRow.name)
        .join(ArticleRow, AlertRow.article_id == ArticleRow.id)
        .join(SourceRow, ArticleRow.source_id == SourceRow.id)
    )
    rows = session.execute(query).all()
    entries = message_entries(session, [alert.id for alert, *_ in rows])
    return [
        AlertLine(
            alert.id,
            alert.entry_id,
            alert.entry_name,
            alert.entry_kind,
            alert.variant,
            alert.sentence,
            title,
            location,
            source,
            alert.created_at,
            tuple(name for name, _ in entries.get(alert.id, [(alert.entry_name, alert.entry_kind)])),
            alert.sources,
            alert.severity,
            tuple(kind for _, kind in entries.get(alert.id, [(alert.entry_name, alert.entry_kind)])),
        )
        for alert, title, location, source in rows
    ]
