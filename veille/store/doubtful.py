"""Mentions held as doubtful, as the run summary, the digest and `veille release` read them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, Select, and_, select, true
from sqlalchemy.orm import Session

from veille.records import HeldDoubtful, Mention
from veille.store.guard import database_errors as _reading
from veille.store.models import AlertEntryRow, ArticleRow, DoubtfulMentionRow, SourceRow

# Ids per IN (...) list: far below every database's limit on bound parameters.
_CHUNK = 500


class DoubtfulQueries:
    """Mixed into SqlStore: the doubtful mentions held, for summaries, digests and their release."""

    engine: Engine

    def doubtful_mentions(
        self,
        ids: Iterable[int] | None = None,
        *,
        released: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HeldDoubtful]:
        """Doubtful mentions by id: those of `ids` (None: all), released or not (None: both), created in
        [since, until); each with its article and, when its story carries its entry in an alert, that alert."""
        wanted = None if ids is None else sorted(set(ids))
        where: list[ColumnElement[bool]] = []
        if released is not None:
            column = DoubtfulMentionRow.released_at
            where.append(column.is_not(None) if released else column.is_(None))
        if since is not None:
            where.append(DoubtfulMentionRow.created_at >= since)
        if until is not None:
            where.append(DoubtfulMentionRow.created_at < until)
        chunks = (
            [true()]
            if wanted is None
            else [DoubtfulMentionRow.id.in_(wanted[start : start + _CHUNK]) for start in range(0, len(wanted), _CHUNK)]
        )
        found: list[HeldDoubtful] = []
        with _reading("reading doubtful mentions"), Session(self.engine) as session:
            for chunk in chunks:
                found += read_doubtful(session, chunk, *where)
        return sorted(found, key=lambda item: item.id)


def read_doubtful(session: Session, *where: ColumnElement[bool]) -> list[HeldDoubtful]:
    """The doubtful mentions that meet `where`, by id, in one query."""
    return [_held(*row) for row in session.execute(_query().where(*where))]


def _query() -> Select[tuple[DoubtfulMentionRow, str, str, str, int | None]]:
    """Doubtful mentions with their article, source, and the alert of their story carrying their entry, if any."""
    return (
        select(DoubtfulMentionRow, ArticleRow.title, ArticleRow.location, SourceRow.name, AlertEntryRow.alert_id)
        .join(ArticleRow, DoubtfulMentionRow.article_id == ArticleRow.id)
        .join(SourceRow, ArticleRow.source_id == SourceRow.id)
        .outerjoin(
            AlertEntryRow,
            and_(
                AlertEntryRow.story_id == DoubtfulMentionRow.story_id,
                AlertEntryRow.entry_id == DoubtfulMentionRow.entry_id,
            ),
        )
        .order_by(DoubtfulMentionRow.id)
    )


def _held(row: DoubtfulMentionRow, title: str, location: str, source: str, alert_id: int | None) -> HeldDoubtful:
    mention = Mention(
        row.entry_id,
        "watched",
        row.variant,
        row.start,
        row.end,
        row.sentence,
        row.matched_by,
        row.confidence,
        tuple(str(reason) for reason in row.reasons or ()),
    )
    return HeldDoubtful(
        row.id,
        row.created_at,
        row.entry_id,
        row.entry_name,
        row.entry_kind,
        mention,
        title,
        location,
        source,
        row.article_id,
        row.story_id,
        row.released_at,
        row.released_alert_id,
        alert_id,
    )
