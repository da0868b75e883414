"""Reads for the operator's commands: the latest alerts, filtered, and the articles naming watched places."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from veille.records import AlertLine, MentionedArticle
from veille.store.guard import database_errors as _reading
from veille.store.history import alert_lines_of
from veille.store.models import AlertEntryRow, AlertRow, ArticleRow, MentionRow, SourceRow


class RecentQueries:
    """Mixed into SqlStore: what `veille alerts` and `veille map` show."""

    engine: Engine

    def recent_alerts(
        self,
        *,
        entry_ids: Iterable[str] | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> list[AlertLine]:
        """Alerts on articles created in [since, until), newest first, at most `limit`: only those carrying
        one of `entry_ids` (any of their entries, not only the first) and of the source `source`, when given."""
        query = select(AlertRow).where(AlertRow.category == "alert")
        if entry_ids is not None:
            carried = select(AlertEntryRow.alert_id).where(
                AlertEntryRow.alert_id.is_not(None), AlertEntryRow.entry_id.in_(sorted(set(entry_ids)))
            )
            query = query.where(or_(AlertRow.id.in_(carried), AlertRow.entry_id.in_(sorted(set(entry_ids)))))
        if source is not None:
            query = query.where(SourceRow.name == source)
        if since is not None:
            query = query.where(AlertRow.created_at >= since)
        if until is not None:
            query = query.where(AlertRow.created_at < until)
        query = query.order_by(AlertRow.created_at.desc(), AlertRow.id.desc()).limit(max(limit, 0))
        with _reading("reading alerts"), Session(self.engine) as session:
            return alert_lines_of(session, query)

    def mentioned_articles(
        self,
        entry_ids: Iterable[str],
        since: datetime,
        until: datetime,
        thresholds: Mapping[str, float] | None = None,
    ) -> list[MentionedArticle]:
        """Each article dated in [since, until) (published, else first seen) that names one of `entry_ids`,
        with its count of mentions, by entry then newest first. With `thresholds` (by entry id), only the
        mentions of at least that confidence count (or stored without one): a doubtful "savon d'Alep"
        does not put Aleppo on the map."""
        wanted = sorted(set(entry_ids))
        if not wanted:
            return []
        dated = func.coalesce(ArticleRow.published_at, ArticleRow.first_seen_at)
        conditions = [MentionRow.entry_id.in_(wanted), dated >= since, dated < until]
        if thresholds:
            # One clause per threshold, not per entry: 10,000 entries share a few thresholds.
            by_minimum: dict[float, list[str]] = {}
            for entry_id, minimum in sorted(thresholds.items()):
                by_minimum.setdefault(minimum, []).append(entry_id)
            conditions.append(
                or_(
                    MentionRow.confidence.is_(None),
                    MentionRow.entry_id.not_in(sorted(thresholds)),
                    *(
                        MentionRow.entry_id.in_(entry_ids) & (MentionRow.confidence >= minimum)
                        for minimum, entry_ids in sorted(by_minimum.items())
                    ),
                )
            )
        # One row per (entry, article), counting its mentions: grouped by every column it shows.
        shown = (
            MentionRow.entry_id,
            ArticleRow.id,
            ArticleRow.title,
            ArticleRow.location,
            SourceRow.name,
            ArticleRow.published_at,
            ArticleRow.first_seen_at,
        )
        query = (
            select(*shown, func.count())
            .join(ArticleRow, MentionRow.article_id == ArticleRow.id)
            .join(SourceRow, ArticleRow.source_id == SourceRow.id)
            .where(*conditions)
            .group_by(*shown)
        )
        with _reading("reading mentions"), Session(self.engine) as session:
            found = [
                MentionedArticle(entry_id or "", article_id, title, location, source, published or seen, count)
                for entry_id, article_id, title, location, source, published, seen, count in session.execute(query)
            ]
        return sorted(found, key=lambda m: (m.entry_id, -m.dated_at.timestamp(), m.article_id))
