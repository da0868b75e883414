"""One message per article, rules, delivery modes, source health alerts.

- `alert_entries` holds one row per (story, watched entry) that rules fired on, unique: what made
  `alerts` unique per (story, entry) before. An alert row is now one message (an article and every
  entry of it that fired), a digest or a health message; existing alerts become one entry each.
- `alerts.category`, `severity`, `details` (the alert as fields); `story_id` and `article_id` are
  empty for a digest or a health message.
- `deliveries.status` gains "queued" (waits for its target's digest) and "digested" (sent inside the
  digest `digest_alert_id`); `hold_reason` says why a delivery waits.
- `sources.health_state` and `health_changed_at`: what the operator was last told of a source.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
OLD_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed')"
# Revision 0001 named it once more through the naming convention: this is its name in every database.
OLD_CHECK = "ck_deliveries_ck_deliveries_status"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'queued', 'digested')"


def upgrade() -> None:
    op.create_table(
        "alert_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("entry_kind", sa.String(16), nullable=False),
        sa.Column("entry_name", sa.Text(), nullable=False),
        sa.Column("variant", sa.Text(), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("held", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_entries"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_entries_alert_id_alerts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name="fk_alert_entries_story_id_stories"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_alert_entries_article_id_articles", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("story_id", "entry_id", name="uq_alert_entries_story_entry"),
    )
    op.create_index("ix_alert_entries_entry", "alert_entries", ["entry_id", "created_at"])
    op.create_index("ix_alert_entries_alert", "alert_entries", ["alert_id"])
    # Every alert so far was one entry of one story, fired by the one rule there was.
    op.execute(
        "INSERT INTO alert_entries (alert_id, story_id, article_id, entry_id, entry_kind, entry_name, variant, "
        "sentence, occurrences, rules, created_at) "
        "SELECT id, story_id, article_id, entry_id, entry_kind, entry_name, variant, sentence, occurrences, "
        """'[{"id": "mention", "kind": "mention", "severity": "normal", "why": "new mention"}]', created_at """
        "FROM alerts"
    )

    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_story_entry", type_="unique")
        batch.alter_column("story_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("category", sa.String(16), nullable=False, server_default="alert"))
        batch.add_column(sa.Column("severity", sa.String(16), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
        batch.create_check_constraint(op.f("ck_alerts_category"), "category IN ('alert', 'digest', 'health')")
        batch.create_index("ix_alerts_story", ["story_id"])

    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(op.f(OLD_CHECK), type_="check")
        batch.create_check_constraint(op.f("ck_deliveries_status"), NEW_STATUSES)
        batch.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("digest_alert_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_deliveries_digest_alert_id_alerts", "alerts", ["digest_alert_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("health_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("health_changed_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("health_changed_at")
        batch.drop_column("health_state")
    # Digests and health messages have no place in the older schema; the alerts they stood for stay sent.
    op.execute("UPDATE deliveries SET status = 'sent' WHERE status = 'digested'")
    op.execute("UPDATE deliveries SET status = 'pending' WHERE status = 'queued'")
    op.execute("DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE category <> 'alert')")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("fk_deliveries_digest_alert_id_alerts", type_="foreignkey")
        batch.drop_column("digest_alert_id")
        batch.drop_column("hold_reason")
        batch.drop_constraint(op.f("ck_deliveries_status"), type_="check")
        batch.create_check_constraint(op.f(OLD_CHECK), OLD_STATUSES)
    op.execute("DELETE FROM alerts WHERE category <> 'alert'")
    # An alert of several entries keeps its first; the older schema holds one entry per (story, entry).
    op.execute(
        "DELETE FROM alerts WHERE id IN (SELECT a.id FROM alerts a JOIN alerts b ON a.story_id = b.story_id "
        "AND a.entry_id = b.entry_id AND a.id > b.id)"
    )
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_story")
        batch.drop_constraint(op.f("ck_alerts_category"), type_="check")
        batch.drop_column("details")
        batch.drop_column("severity")
        batch.drop_column("category")
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("story_id", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_alerts_story_entry", ["story_id", "entry_id"])
    op.drop_index("ix_alert_entries_alert", "alert_entries")
    op.drop_index("ix_alert_entries_entry", "alert_entries")
    op.drop_table("alert_entries")
