"""The store: one SQLAlchemy engine, each method one short transaction."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    create_engine,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from veille.errors import StoreError, WriteConflict
from veille.minhash import from_bytes, to_bytes
from veille.records import (
    BatchPlan,
    CreatedAlert,
    DoubtfulMention,
    DueDelivery,
    EntryMatch,
    HeldDoubtful,
    HeldEntry,
    PlacedArticle,
    PlannedAlert,
    ReadError,
    RecordedBatch,
    SourceBatch,
    SourceHealth,
    SourceOutcome,
    SourceState,
    StoryRef,
)
from veille.redact import database_url_problem
from veille.store.context import ContextQueries
from veille.store.digests import DigestQueries
from veille.store.doubtful import DoubtfulQueries
from veille.store.guard import database_errors as _errors
from veille.store.guard import rows_changed
from veille.store.health import HealthQueries
from veille.store.history import HistoryQueries
from veille.store.lock import RunLock, exclusive_section, run_lock
from veille.store.migrate import upgrade
from veille.store.models import (
    AlertEntryRow,
    AlertRow,
    ArticleRow,
    DeliveryRow,
    DoubtfulMentionRow,
    MentionRow,
    SourceRow,
    StoryRow,
)
from veille.store.outbox import OutboxQueries
from veille.store.recent import RecentQueries
from veille.stories import StoryIndex, is_signature

# Keys of one source per query of stored rows: well under the bound parameters SQLite allows (32,766).
_KEYS_PER_QUERY = 500


class SqlStore(
    HistoryQueries, OutboxQueries, ContextQueries, DigestQueries, HealthQueries, DoubtfulQueries, RecentQueries
):
    """Articles, mentions, alerts and deliveries in any database SQLAlchemy speaks."""

    def __init__(self, engine: Engine, was_new: bool = False) -> None:
        self.engine = engine
        # Whether open() found no schema and created it: a new, empty database.
        self.was_new = was_new

    @classmethod
    def open(cls, url: str, refuse_new_because: str | None = None) -> SqlStore:
        """Connect and create missing tables; errors never show the URL (it may hold a password).

        `refuse_new_because`: why a new, empty database would be a mistake (veille.store.continuity);
        given, such a database is refused before anything is created in it.
        """
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError("VEILLE_DATABASE_URL is not a database URL SQLAlchemy understands") from None
        problem = database_url_problem(parsed.host)
        if problem:
            raise StoreError(problem)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        with _errors("opening the database"):
            new = not inspect(engine).has_table("alembic_version")
        if new and refuse_new_because is not None:
            engine.dispose()
            raise StoreError(
                f"the database is new and empty, but {refuse_new_because}: a mistyped VEILLE_DATABASE_URL "
                "would send every alert again. Check it, or set VEILLE_ACCEPT_NEW_DATABASE=1 to start afresh"
            )
        with _errors("bringing the database schema up to date"):
            upgrade(engine)
        return cls(engine, was_new=new)

    def close(self) -> None:
        self.engine.dispose()

    def run_lock(self, name: str, holder: str, shared: bool = False) -> AbstractContextManager[RunLock]:
        """Held while a run of kind `name` processes; see veille.store.lock."""
        return run_lock(self.engine, name, holder, shared)

    def recording(self) -> AbstractContextManager[None]:
        """Held while a batch decides and writes, one batch at a time across processes; see veille.store.lock."""
        return exclusive_section(self.engine, "recording")

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

    def stored_stories(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The story of each of these (source, key) articles that is stored already."""
        wanted = set(keys)
        if not wanted:
            return {}
        query = (
            select(SourceRow.name, ArticleRow.key, ArticleRow.story_id)
            .join(ArticleRow.source)
            .where(SourceRow.name.in_(sorted({source for source, _ in wanted})))
            .where(ArticleRow.key.in_(sorted({key for _, key in wanted})))
        )
        with _errors("reading stories"), Session(self.engine) as session:
            return {(name, key): story for name, key, story in session.execute(query) if (name, key) in wanted}

    def record_plan(self, plan: BatchPlan, now: datetime) -> RecordedBatch:
        """Write what the decision planned, in one transaction: articles and mentions in their stories,
        alerts with their entries and deliveries, held entries, mentions held as doubtful, and the
        doubtful mentions the plan releases marked with the alert that carries their entry.

        An article the database refuses (a value it cannot hold) costs only itself: the plan is written
        again article by article, and that one comes back in `rejected`, named, not stored (so it is new
        again next run), with its alerts. A problem of the database itself still fails the whole plan.

        Raises WriteConflict, having written nothing, when a unique constraint refuses the plan: another run
        wrote meanwhile the same story's alert for an entry, or the same article; the caller decides again
        on what is stored now (tasks.store.record_batch).
        """
        try:
            recorded = RecordedBatch([])
            with _errors("recording detections"), Session(self.engine) as session, session.begin():
                writer = _PlanWriter(self, session, plan, now)
                for item in plan.articles:
                    writer.write(item, recorded)
                recorded.grown.update(writer.grown)
            return recorded
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError) and _unique_violation(exc.__cause__):
                raise WriteConflict(f"another run wrote first: {_first_line(exc)}") from exc.__cause__
            if not _one_item_problem(exc):
                raise
        except Exception as exc:
            if not _one_item_problem(exc):
                raise
        return self._record_one_by_one(plan, now)

    def _record_one_by_one(self, plan: BatchPlan, now: datetime) -> RecordedBatch:
        """Each article with its alerts in a savepoint of its own; one the database refuses is rejected."""
        recorded = RecordedBatch([])
        with _errors("recording detections"), Session(self.engine) as session, session.begin():
            writer = _PlanWriter(self, session, plan, now)
            for item in plan.articles:
                mine = RecordedBatch([])
                opened, rows = dict(writer.stories), dict(writer.rows)
                try:
                    with session.begin_nested():
                        writer.write(item, mine)
                except Exception as exc:
                    if not _one_item_problem(exc):
                        raise
                    # The stories it opened and the row it added went with its savepoint.
                    writer.stories, writer.rows = opened, rows
                    article = item.article
                    recorded.rejected.append(
                        ReadError(article.source, article.key, f"cannot be stored: {_first_line(exc)}")
                    )
                    continue
                recorded.alerts.extend(mine.alerts)
                recorded.held.extend(mine.held)
                recorded.stored.update(mine.stored)
                recorded.doubtful.extend(mine.doubtful)
                recorded.released.update(mine.released)
            recorded.grown.update(writer.grown)
        return recorded

    def _source_ids(self, session: Session, names: set[str], now: datetime) -> dict[str, int]:
        known = session.execute(select(SourceRow.name, SourceRow.id).where(SourceRow.name.in_(names)))
        rows = dict(known.tuples().all())
        added = [SourceRow(name=name, created_at=now, consecutive_failures=0) for name in sorted(names - rows.keys())]
        session.add_all(added)
        session.flush()  # one batched INSERT for all of them
        rows.update((row.name, row.id) for row in added)
        return rows

    def load_story_index(self, since: datetime, threshold: float) -> StoryIndex:
        """Signatures of the articles first seen since `since`, ready to find the story of a new one."""
        index = StoryIndex(threshold)
        query = select(ArticleRow.id, ArticleRow.story_id, ArticleRow.signature).where(
            ArticleRow.first_seen_at >= since, ArticleRow.signature.is_not(None)
        )
        with _errors("reading story signatures"), Session(self.engine) as session:
            for article_id, story_id, data in session.execute(query):
                index.add(str(article_id), story_id, from_bytes(data))
        return index

    def add_new_stories(self, index: StoryIndex, since: datetime) -> int:
        """Add to `index` the articles first seen since `since` that it lacks (other runs stored them); how many."""
        recent = select(ArticleRow.id).where(ArticleRow.first_seen_at >= since, ArticleRow.signature.is_not(None))
        with _errors("reading story signatures"), Session(self.engine) as session:
            missing = [article_id for article_id in session.scalars(recent) if str(article_id) not in index]
            for start in range(0, len(missing), 1000):
                query = select(ArticleRow.id, ArticleRow.story_id, ArticleRow.signature).where(
                    ArticleRow.id.in_(missing[start : start + 1000])
                )
                for article_id, story_id, data in session.execute(query):
                    index.add(str(article_id), story_id, from_bytes(data))
        return len(missing)

    def rename_source(self, old: str, new: str) -> bool:
        """Give source `old` the name `new`, with its articles, unless `new` exists already; whether it did."""
        with _errors("renaming a source"), Session(self.engine) as session, session.begin():
            if session.scalar(select(SourceRow.id).where(SourceRow.name == new)) is not None:
                return False
            return rows_changed(session.execute(update(SourceRow).where(SourceRow.name == old).values(name=new))) == 1

    def source_states(self, names: Iterable[str]) -> dict[str, SourceState]:
        """What the last reads of these sources left: validators for a conditional GET, last fetch."""
        columns = (SourceRow.name, SourceRow.etag, SourceRow.last_modified, SourceRow.last_fetched_at)
        query = select(*columns, SourceRow.consecutive_failures).where(SourceRow.name.in_(sorted(set(names))))
        with _errors("reading sources"), Session(self.engine) as session:
            return {row.name: _state(row) for row in session.execute(query)}

    def record_source_reads(self, batches: Iterable[SourceBatch], now: datetime) -> None:
        """Health of each source after a read: success or failure, validators, warnings."""
        batches = [batch for batch in batches if batch.outcome is not SourceOutcome.NOT_DUE]
        with _errors("recording source health"), Session(self.engine) as session, session.begin():
            ids = self._source_ids(session, {batch.source for batch in batches}, now)
            failures = dict(
                session.execute(
                    select(SourceRow.id, SourceRow.consecutive_failures).where(SourceRow.id.in_(ids.values()))
                )
                .tuples()
                .all()
            )
            # Grouped by the columns they set: each group is one executemany, not a statement per source.
            groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
            for batch in batches:
                values = _read_values(batch, now, failures.get(ids[batch.source]) or 0)
                groups.setdefault(tuple(sorted(values)), []).append({"id": ids[batch.source], **values})
            for rows in groups.values():
                session.execute(update(SourceRow), rows)

    def source_health(self, names: Iterable[str]) -> list[SourceHealth]:
        """Each source's last success and error, failures in a row, and articles stored."""
        counts = select(ArticleRow.source_id, func.count().label("entries")).group_by(ArticleRow.source_id).subquery()
        query = (
            select(SourceRow, func.coalesce(counts.c.entries, 0))
            .outerjoin(counts, counts.c.source_id == SourceRow.id)
            .where(SourceRow.name.in_(sorted(set(names))))
            .order_by(SourceRow.name)
        )
        with _errors("reading source health"), Session(self.engine) as session:
            return [
                SourceHealth(
                    row.name,
                    row.last_success_at,
                    row.last_error,
                    row.last_error_at,
                    row.consecutive_failures or 0,
                    row.last_warning,
                    entries,
                )
                for row, entries in session.execute(query)
            ]

    def due_deliveries(self, now: datetime, lease_seconds: float) -> list[DueDelivery]:
        """Pending deliveries whose time has come, and those a dead run claimed and never recorded."""
        query = (
            select(DeliveryRow, AlertRow.title, AlertRow.body, AlertRow.details)
            .join(DeliveryRow.alert)
            .where(_due(now, lease_seconds))
            .order_by(DeliveryRow.id)
        )
        with _errors("reading deliveries"), Session(self.engine) as session:
            return [
                DueDelivery(
                    row.id,
                    row.target_key,
                    row.target_label,
                    title,
                    body,
                    row.attempts,
                    row.alert_id,
                    details,
                    row.hold_reason,
                )
                for row, title, body, details in session.execute(query)
            ]

    def claim_delivery(
        self, delivery_id: int, now: datetime, lease_seconds: float, target_key: str | None = None
    ) -> bool:
        """Take a due delivery for this run; False when another run has it or it is no longer due.

        With `target_key`, also False when it no longer goes there (the operator moved it meanwhile).
        """
        statement = (
            update(DeliveryRow)
            .where(
                DeliveryRow.id == delivery_id,
                _due(now, lease_seconds),
                DeliveryRow.target_key == target_key if target_key is not None else true(),
            )
            .values(status="sending", claimed_at=now, attempts=DeliveryRow.attempts + 1)
        )
        with _errors("claiming a delivery"), Session(self.engine) as session, session.begin():
            return rows_changed(session.execute(statement)) == 1

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
            return dict(session.execute(query).tuples().all())

    def _set(self, delivery_id: int, **values: object) -> None:
        with _errors("recording a delivery"), Session(self.engine) as session, session.begin():
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))


def _stored_rows(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], ArticleRow]:
    """The stored rows of these (source id, key), by them."""
    rows: dict[tuple[int, str], ArticleRow] = {}
    by_source: dict[int, list[str]] = {}
    for source_id, key in keys:
        by_source.setdefault(source_id, []).append(key)
    for source_id, source_keys in by_source.items():
        for start in range(0, len(source_keys), _KEYS_PER_QUERY):
            chosen = source_keys[start : start + _KEYS_PER_QUERY]
            query = select(ArticleRow).where(ArticleRow.source_id == source_id, ArticleRow.key.in_(chosen))
            rows.update(((row.source_id, row.key), row) for row in session.scalars(query))
    return rows


class _PlanWriter:
    """Writes a plan's articles and alerts in one session, opening the batch's new stories as it goes."""

    def __init__(self, store: SqlStore, session: Session, plan: BatchPlan, now: datetime) -> None:
        self.session, self.now = session, now
        self.sources = store._source_ids(session, {item.article.source for item in plan.articles}, now)
        # The batch's stored rows in one query instead of one per article (most are new); keys are bounded and
        # cleaned in the Article record, so the query cannot fail on one of them.
        keys = [(self.sources[item.article.source], item.article.key) for item in plan.articles]
        self.rows = _stored_rows(session, keys)
        self.alerts: dict[tuple[str, str], list[PlannedAlert]] = {}
        for alert in plan.alerts:
            self.alerts.setdefault((alert.article.source, alert.article.key), []).append(alert)
        self.doubtful: dict[tuple[str, str], list[DoubtfulMention]] = {}
        for doubtful in plan.doubtful:
            self.doubtful.setdefault((doubtful.article.source, doubtful.article.key), []).append(doubtful)
        self.released = plan.released
        # StoryRef of a story this batch opens, to the id it got.
        self.stories: dict[StoryRef, int] = {}
        # Alerts whose story a copy joined: their first entry and how many sources carry it now.
        self.grown: dict[int, tuple[str, int]] = {}

    def write(self, item: PlacedArticle, recorded: RecordedBatch) -> None:
        article = item.article
        row = self._upsert_article(item)
        recorded.stored[(article.source, article.key)] = (row.id, row.story_id)
        for alert in self.alerts.get((article.source, article.key), ()):
            self._write_alert(alert, row, recorded)
        for doubtful in self.doubtful.get((article.source, article.key), ()):
            self._write_doubtful(doubtful, row, recorded)

    def _story_id(self, item: PlacedArticle) -> int:
        if item.story.id is not None:
            return item.story.id
        if item.story not in self.stories:
            story = StoryRow(title=item.article.title, created_at=self.now)
            self.session.add(story)
            self.session.flush()
            self.stories[item.story] = story.id
        return self.stories[item.story]

    def _upsert_article(self, item: PlacedArticle) -> ArticleRow:
        session, article, now = self.session, item.article, self.now
        source_id = self.sources[article.source]
        row = self.rows.get((source_id, article.key))
        if row is not None and row.content_hash == article.content_hash:
            return row
        new = row is None
        if row is None:
            row = ArticleRow(source_id=source_id, key=article.key, first_seen_at=now, story_id=self._story_id(item))
            session.add(row)
            self.rows[(source_id, article.key)] = row
            joined = item.story.id is not None
        else:
            joined = False  # an edited article stays in its story: an edit is not a new story
        row.title, row.location, row.text = article.title, article.location, article.text
        row.content_hash, row.published_at, row.changed_at = article.content_hash, article.published_at, now
        row.signature = to_bytes(item.signature) if is_signature(item.signature) else None
        session.flush()
        if not new:  # mentions describe the current text; alerts already sent stay, they are history
            session.execute(delete(MentionRow).where(MentionRow.article_id == row.id))
        session.add_all(
            MentionRow(
                article_id=row.id,
                entry_id=m.entry_id,
                label=m.label,
                text=m.text,
                start=m.start,
                end=m.end,
                sentence=m.sentence,
                # The model's places carry the record's defaults, which say nothing of them.
                matched_by=m.matched_by if m.entry_id is not None else None,
                confidence=m.confidence if m.entry_id is not None else None,
                reasons=list(m.reasons) if m.entry_id is not None else None,
            )
            for m in item.found.mentions
        )
        if joined:
            self._count_carriers(row.story_id)
        return row

    def _count_carriers(self, story_id: int) -> None:
        """A copy joined a stored story: its alerts say how many sources carry it now, kept true."""
        carriers = self.session.scalar(
            select(func.count(func.distinct(ArticleRow.source_id))).where(ArticleRow.story_id == story_id)
        )
        grown = self.session.scalars(
            select(AlertRow).where(AlertRow.story_id == story_id, AlertRow.sources < (carriers or 1))
        ).all()
        for alert in grown:
            alert.sources = carriers or 1
            self.grown[alert.id] = (alert.entry_name, alert.sources)

    def _write_alert(self, planned: PlannedAlert, article: ArticleRow, recorded: RecordedBatch) -> None:
        session, now = self.session, self.now
        if planned.held is not None:
            session.add_all(self._entry_rows(planned, article, None))
            recorded.held.extend(
                HeldEntry(hit.entry.name, planned.article.location, planned.held) for hit in planned.hits
            )
            return
        lead = planned.hits[0]
        sources = planned.details.get("sources")
        alert = AlertRow(
            story_id=article.story_id,
            article_id=article.id,
            category="alert",
            entry_id=lead.entry.id,
            entry_kind=lead.entry.kind,
            entry_name=lead.entry.name,
            variant=lead.mention.text,
            sentence=lead.mention.sentence,
            occurrences=lead.occurrences,
            sources=len(sources) if isinstance(sources, list) else 1,
            severity=planned.severity,
            title=planned.message.title,
            body=planned.message.body,
            details=planned.details,
            created_at=now,
            # An alert no target takes waits, with its tags, for one configured later (route_unrouted).
            routing_tags=list(planned.tags),
            unrouted=not planned.deliveries,
        )
        session.add(alert)
        session.flush()
        session.add_all(self._entry_rows(planned, article, alert.id))
        session.add_all(DeliveryRow.planned(alert.id, d, now) for d in planned.deliveries)
        if self.released:
            self._mark_released(planned, article, alert.id, recorded)
        recorded.alerts.append(
            CreatedAlert(
                alert.id,
                planned.article.location,
                lead.entry.name,
                lead.entry.kind,
                lead.mention.text,
                len(planned.deliveries),
                alert.sources,
                tuple(hit.entry.name for hit in planned.hits),
                tuple(dict.fromkeys(f.rule_id for hit in planned.hits for f in hit.rules)),
                sum(1 for d in planned.deliveries if d.reason is not None),
                tuple(
                    EntryMatch(
                        hit.entry.name, hit.entry.kind, hit.mention.text, hit.mention.matched_by, hit.mention.confidence
                    )
                    for hit in planned.hits
                ),
            )
        )

    def _mark_released(
        self, planned: PlannedAlert, article: ArticleRow, alert_id: int, recorded: RecordedBatch
    ) -> None:
        """The doubtful mentions the plan releases that this alert carries: released, with its id."""
        rows = self.session.scalars(
            select(DoubtfulMentionRow).where(
                DoubtfulMentionRow.id.in_(self.released),
                DoubtfulMentionRow.article_id == article.id,
                DoubtfulMentionRow.entry_id.in_(planned.entry_ids),
                DoubtfulMentionRow.released_at.is_(None),
            )
        ).all()
        for row in rows:
            row.released_at, row.released_alert_id = self.now, alert_id
            recorded.released[row.id] = alert_id

    def _write_doubtful(self, doubtful: DoubtfulMention, article: ArticleRow, recorded: RecordedBatch) -> None:
        entry, mention = doubtful.entry, doubtful.mention
        row = DoubtfulMentionRow(
            article_id=article.id,
            story_id=article.story_id,
            entry_id=entry.id,
            entry_kind=entry.kind,
            entry_name=entry.name,
            variant=mention.text,
            sentence=mention.sentence,
            start=mention.start,
            end=mention.end,
            matched_by=mention.matched_by,
            confidence=mention.confidence,
            reasons=list(mention.reasons),
            created_at=self.now,
        )
        self.session.add(row)
        self.session.flush()
        recorded.doubtful.append(
            HeldDoubtful(
                row.id,
                self.now,
                entry.id,
                entry.name,
                entry.kind,
                mention,
                doubtful.article.title,
                doubtful.article.location,
                doubtful.article.source,
                article.id,
                article.story_id,
            )
        )

    def _entry_rows(self, planned: PlannedAlert, article: ArticleRow, alert_id: int | None) -> list[AlertEntryRow]:
        return [
            AlertEntryRow(
                alert_id=alert_id,
                story_id=article.story_id,
                article_id=article.id,
                entry_id=hit.entry.id,
                entry_kind=hit.entry.kind,
                entry_name=hit.entry.name,
                variant=hit.mention.text,
                sentence=hit.mention.sentence,
                occurrences=hit.occurrences,
                rules=[{"id": f.rule_id, "kind": f.kind, "severity": f.severity, "why": f.why} for f in hit.rules],
                held=planned.held,
                created_at=self.now,
            )
            for hit in planned.hits
        ]


def _unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused a duplicate (a run that wrote first), not a missing reference or a NULL."""
    code = getattr(error.orig, "sqlstate", None)  # psycopg
    if code is not None:
        return bool(code == "23505")
    return "UNIQUE constraint failed" in str(error.orig)  # sqlite3


def _one_item_problem(exc: BaseException) -> bool:
    """Whether `exc` is about a value of one item (the database refuses it), not about the database.

    A lost connection or a lock fail the whole batch as before, and a unique constraint another run won
    is a WriteConflict (the batch decides again); a value too long, a NUL, an unencodable character are not.
    """
    cause = exc.__cause__ if isinstance(exc, StoreError) else exc
    if isinstance(cause, DataError):
        return True
    if isinstance(cause, StatementError) and not isinstance(cause, DBAPIError):
        # Raised while binding a value, before the database saw it (a naive datetime, say).
        return isinstance(cause.orig, (ValueError, TypeError))
    return isinstance(cause, (ValueError, TypeError))


def _first_line(exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc, StoreError) else exc
    cause = getattr(cause, "orig", None) or cause
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200] if lines else ''}"


def _state(row: Row[tuple[str, str | None, str | None, datetime | None, int]]) -> SourceState:
    validators = {name: value for name, value in (("etag", row.etag), ("last-modified", row.last_modified)) if value}
    return SourceState(validators, row.last_fetched_at, row.consecutive_failures or 0)


def _due(now: datetime, lease_seconds: float) -> ColumnElement[bool]:
    stale = now - timedelta(seconds=lease_seconds)
    return or_(
        (DeliveryRow.status == "pending") & (DeliveryRow.next_attempt_at <= now),
        (DeliveryRow.status == "sending") & (DeliveryRow.claimed_at < stale),
    )


def _sqlite_connect(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy's recipe: let it emit BEGIN itself (below) instead of pysqlite's own.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets a reader (the UI, a second run) work while a run writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads, then writes after another run's commit, fails at once with
    # SQLITE_BUSY in WAL mode; IMMEDIATE takes the write lock up front and waits for it (busy_timeout).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _read_values(batch: SourceBatch, now: datetime, failures: int) -> dict[str, object]:
    """The columns of a source's row that one read of it sets."""
    if batch.outcome is SourceOutcome.FAILED:
        return {
            "last_fetched_at": now,
            "consecutive_failures": failures + 1,
            "last_error": batch.problem,
            "last_error_at": now,
        }
    values: dict[str, object] = {
        "last_fetched_at": now,
        "consecutive_failures": 0,
        "last_success_at": now,
        "etag": batch.validators.get("etag"),
        "last_modified": batch.validators.get("last-modified"),
    }
    if batch.outcome is SourceOutcome.READ:  # a 304 says nothing new of the body: its warning stands
        values["last_warning"] = batch.problem
    return values
