"""Database tables, as SQLAlchemy 2.0 typed models; uniqueness is enforced by the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from veille.records import PlannedDelivery

# queued: waits for its target's next digest (a digest rule, or over the target's rate limit);
# digested: went out inside a digest, itself an alert row of category "digest" (digest_alert_id).
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "queued", "digested")
ALERT_CATEGORIES = ("alert", "digest", "health")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Every constraint named, so that migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class MetaRow(Base):
    """Facts about the database itself, such as the random id made when it was created."""

    __tablename__ = "veille_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SourceRow(Base):
    """A folder or a feed, with its health and the validators of its last fetch."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_warning: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # What the operator was last told of it (None: nothing yet): "failing", "silent" or "ok".
    health_state: Mapped[str | None] = mapped_column(String(16))
    health_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StoryRow(Base):
    """One story, however many sources carried it: alerts are about stories."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_articles_source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    key: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # MinHash of the text (veille.stories), to find later copies of the same story.
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    source: Mapped[SourceRow] = relationship()


class MentionRow(Base):
    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_article", "article_id"), Index("ix_mentions_entry", "entry_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    sentence: Mapped[str] = mapped_column(Text)
    # How the matcher found a watched mention and how sure it is; None for the model's places and for
    # mentions stored before revision 0005, which were all taken as sure.
    matched_by: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str] | None] = mapped_column(JSON)


class AlertRow(Base):
    """One message: an article and every watched entry its rules fired (category "alert"), a digest, or a
    source's health. `entry_*`, `variant` and `sentence` are those of its first entry (AlertEntryRow has
    them all); a digest or a health message has no story or article."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_unrouted", "unrouted"),
        Index("ix_alerts_story", "story_id"),
        CheckConstraint(f"category IN {ALERT_CATEGORIES!r}", name="category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(16), default="alert")
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_kind: Mapped[str] = mapped_column(String(16))
    entry_name: Mapped[str] = mapped_column(Text)
    variant: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer)
    sources: Mapped[int] = mapped_column(Integer, default=1)
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # The alert as fields (entry ids, rules, article URL and date, sentences, coordinates, sources):
    # what the built-in target writes beside the text.
    details: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The tags it was routed by (None before revision 0003); `unrouted`: no target had one of them
    # yet, so the first target configured with one gets it.
    routing_tags: Mapped[list[str] | None] = mapped_column(JSON)
    unrouted: Mapped[bool] = mapped_column(Boolean, default=False)

    article: Mapped[ArticleRow | None] = relationship()


class AlertEntryRow(Base):
    """One watched entry of one story that rules fired on: unique, so a story alerts once per entry.

    `alert_id` is the message that carried it; None when it was held (`held`: why, such as the
    baseline read of a new feed) and so never notified.
    """

    __tablename__ = "alert_entries"
    __table_args__ = (
        UniqueConstraint("story_id", "entry_id", name="uq_alert_entries_story_entry"),
        Index("ix_alert_entries_entry", "entry_id", "created_at"),
        Index("ix_alert_entries_alert", "alert_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_kind: Mapped[str] = mapped_column(String(16))
    entry_name: Mapped[str] = mapped_column(Text)
    variant: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer)
    # The rules that fired, each {"id", "kind", "severity", "why"}.
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    held: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DoubtfulMentionRow(Base):
    """An entry a story's article named only under its confidence threshold, released by no rule: held as
    doubtful, shown, sent to no one until released by hand. Unique per (story, entry), as alert_entries.

    The mention is its most confident one in the article; `released_alert_id` the alert it became.
    """

    __tablename__ = "doubtful_mentions"
    __table_args__ = (
        UniqueConstraint("story_id", "entry_id", name="uq_doubtful_mentions_story_entry"),
        Index("ix_doubtful_mentions_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_kind: Mapped[str] = mapped_column(String(16))
    entry_name: Mapped[str] = mapped_column(Text)
    variant: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    matched_by: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))


class DeliveryRow(Base):
    """One alert to one notification target: an outbox row, claimed, sent, recorded."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "target_key", name="uq_deliveries_alert_target"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_target", "target_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    # A hash of the target's identity (veille.notify.targets.target_key): the URL itself may carry a
    # token and never enters the database.
    target_key: Mapped[str] = mapped_column(String(64))
    target_label: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Why it waits (quiet hours until ..., over the rate limit, a digest rule): said in summaries and digests.
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # The digest it went out in (status "digested").
    digest_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))

    alert: Mapped[AlertRow] = relationship(foreign_keys=[alert_id])

    @classmethod
    def pending(
        cls,
        alert_id: int,
        target_key: str,
        target_label: str,
        now: datetime,
        due_at: datetime | None = None,
        status: str = "pending",
        hold_reason: str | None = None,
    ) -> DeliveryRow:
        """A new delivery of an alert to a target: due now, at `due_at` (quiet hours), or queued for a digest."""
        return cls(
            alert_id=alert_id,
            target_key=target_key,
            target_label=target_label,
            status=status,
            attempts=0,
            next_attempt_at=due_at or now,
            created_at=now,
            hold_reason=hold_reason,
        )

    @classmethod
    def planned(cls, alert_id: int, delivery: PlannedDelivery, now: datetime) -> DeliveryRow:
        """The delivery the decision planned (veille.decide.deliveries), for the alert `alert_id`."""
        return cls.pending(
            alert_id, delivery.target.key, delivery.target.label, now, delivery.due_at, delivery.status, delivery.reason
        )
