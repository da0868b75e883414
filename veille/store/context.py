"""Reads that give the decision its context: what each story has (alerted, held, held as doubtful), each
entry's past, recent sends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from veille.records import EntryHistory
from veille.store.guard import database_errors as _reading
from veille.store.models import AlertEntryRow, ArticleRow, DeliveryRow, DoubtfulMentionRow, MentionRow, SourceRow

# Ids per IN (...) list: far below every database's limit on bound parameters.
_CHUNK = 500
# Deliveries that count against a target's rate limit: those sent, or to be sent, on their own.
_COUNTED = ("pending", "sending", "sent")


class ContextQueries:
    """Mixed into SqlStore: what `veille.decide` needs to know, read in a few queries per batch."""

    engine: Engine

    def story_context(self, story_ids: Iterable[int]) -> tuple[dict[int, frozenset[str]], dict[int, tuple[str, ...]]]:
        """For each story: the entries it already has (alerted or held), and the sources that carry it."""
        ids = sorted(set(story_ids))
        alerted: dict[int, set[str]] = {story: set() for story in ids}
        carriers: dict[int, set[str]] = {story: set() for story in ids}
        if not ids:
            return {}, {}
        entries = select(AlertEntryRow.story_id, AlertEntryRow.entry_id).where(AlertEntryRow.story_id.in_(ids))
        sources = (
            select(ArticleRow.story_id, SourceRow.name)
            .join(ArticleRow.source)
            .where(ArticleRow.story_id.in_(ids))
            .distinct()
        )
        with _reading("reading stories"), Session(self.engine) as session:
            for story, entry in session.execute(entries):
                alerted[story].add(entry)
            for story, name in session.execute(sources):
                carriers[story].add(name)
        return (
            {story: frozenset(entries) for story, entries in alerted.items()},
            {story: tuple(sorted(names)) for story, names in carriers.items()},
        )

    def held_as_doubtful(self, story_ids: Iterable[int]) -> dict[int, frozenset[str]]:
        """The entries each of these stories holds as doubtful already (not to be held again)."""
        ids = sorted(set(story_ids))
        held: dict[int, set[str]] = {}
        with _reading("reading doubtful mentions"), Session(self.engine) as session:
            for start in range(0, len(ids), _CHUNK):
                query = select(DoubtfulMentionRow.story_id, DoubtfulMentionRow.entry_id).where(
                    DoubtfulMentionRow.story_id.in_(ids[start : start + _CHUNK])
                )
                for story, entry in session.execute(query):
                    held.setdefault(story, set()).add(entry)
        return {story: frozenset(entries) for story, entries in held.items()}

    def entry_history(
        self, entry_ids: Iterable[str], now: datetime, days: int, thresholds: Mapping[str, float] | None = None
    ) -> dict[str, EntryHistory]:
        """Each entry's past: its latest article date, stories per day over the last `days` days, the
        stories of the last 31 days with their dates, and when a spike rule last fired on it.

        With `thresholds` (each entry's WatchList.threshold), only the mentions that reach it count, as
        the decision counts them (veille.decide.evaluate.remember_mentions); one stored without a
        confidence, before revision 0005, was sure.
        """
        ids = sorted(set(entry_ids))
        if not ids:
            return {}
        dated = article_date()
        horizon = now - timedelta(days=days)
        recent_horizon = now - timedelta(days=31)
        sure = _sure(ids, thresholds)
        latest = select(MentionRow.entry_id, func.max(dated)).join(ArticleRow, MentionRow.article_id == ArticleRow.id)
        latest = latest.where(MentionRow.entry_id.in_(ids), sure).group_by(MentionRow.entry_id)
        stories = (
            select(MentionRow.entry_id, ArticleRow.story_id, func.min(dated))
            .join(ArticleRow, MentionRow.article_id == ArticleRow.id)
            .where(MentionRow.entry_id.in_(ids), dated >= horizon, sure)
            .group_by(MentionRow.entry_id, ArticleRow.story_id)
        )
        spikes = select(AlertEntryRow.entry_id, AlertEntryRow.created_at, AlertEntryRow.rules).where(
            AlertEntryRow.entry_id.in_(ids), AlertEntryRow.created_at >= recent_horizon
        )
        last_seen: dict[str, datetime] = {}
        by_day: dict[str, dict[date, int]] = {entry: {} for entry in ids}
        recent: dict[str, dict[int | tuple[str, str], datetime]] = {entry: {} for entry in ids}
        last_spike: dict[str, datetime] = {}
        with _reading("reading the entries' history"), Session(self.engine) as session:
            for entry, when in session.execute(latest):
                if when is not None:
                    last_seen[entry] = _aware(when)
            for entry, story, first in session.execute(stories):
                first = _aware(first)
                by_day[entry][first.date()] = by_day[entry].get(first.date(), 0) + 1
                if first >= recent_horizon:
                    recent[entry][story] = first
            for entry, created, rules in session.execute(spikes):
                if any(isinstance(rule, dict) and rule.get("kind") == "spike" for rule in rules or ()):
                    created = _aware(created)
                    last_spike[entry] = max(created, last_spike.get(entry, created))
        return {
            entry: EntryHistory(last_seen.get(entry), by_day[entry], recent[entry], last_spike.get(entry))
            for entry in ids
        }

    def sources_never_read(self, names: Iterable[str]) -> frozenset[str]:
        """Of these sources, those never read successfully and holding no article: new to Veille."""
        wanted = set(names)
        if not wanted:
            return frozenset()
        known = (
            select(SourceRow.name)
            .where(SourceRow.name.in_(sorted(wanted)))
            .where((SourceRow.last_success_at.is_not(None)) | SourceRow.id.in_(select(ArticleRow.source_id)))
        )
        with _reading("reading sources"), Session(self.engine) as session:
            return frozenset(wanted - set(session.scalars(known)))

    def sent_recently(self, windows: Mapping[str, float], now: datetime) -> dict[str, int]:
        """For each target key, its deliveries made at once (not queued) in the last `windows[key]` hours."""
        if not windows:
            return {}
        counts = dict.fromkeys(windows, 0)
        with _reading("reading recent deliveries"), Session(self.engine) as session:
            for key, hours in windows.items():
                query = select(func.count()).where(
                    and_(
                        DeliveryRow.target_key == key,
                        DeliveryRow.status.in_(_COUNTED),
                        DeliveryRow.created_at >= now - timedelta(hours=hours),
                    )
                )
                counts[key] = session.scalar(query) or 0
        return counts


def _sure(ids: list[str], thresholds: Mapping[str, float] | None) -> ColumnElement[bool]:
    """Mentions of `ids` that reach their entry's threshold: one condition per distinct threshold (a few)."""
    if thresholds is None:
        return true()
    by_threshold: dict[float, list[str]] = {}
    for entry_id in ids:
        by_threshold.setdefault(thresholds.get(entry_id, 0.0), []).append(entry_id)
    return or_(
        MentionRow.confidence.is_(None),
        *(
            and_(MentionRow.entry_id.in_(entries), MentionRow.confidence >= threshold)
            for threshold, entries in by_threshold.items()
        ),
    )


def article_date() -> ColumnElement[datetime]:
    """An article's date as the rules read it: its published date, unless later than Veille's first sight."""
    return case(
        (
            and_(ArticleRow.published_at.is_not(None), ArticleRow.published_at < ArticleRow.first_seen_at),
            ArticleRow.published_at,
        ),
        else_=ArticleRow.first_seen_at,
    )


def _aware(moment: datetime | str) -> datetime:
    """A datetime from an aggregate (which skips the column's type): SQLite gives it naive, or as text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
