"""Mentions held as doubtful, and how each mention was found (issue #12).

- `doubtful_mentions` holds one row per (story, watched entry) that an article named only under its
  confidence threshold, with no rule releasing it: unique, so a story holds an entry once. The mention
  as found (variant, sentence, offsets, matched_by, confidence, reasons) and when it was released by
  hand, with the alert it became (`released_alert_id`).
- `mentions.matched_by`, `confidence` and `reasons`: how the matcher found a watched mention and how
  sure it is. Empty for the model's places and for mentions stored before this revision, which were all
  taken as sure.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "doubtful_mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("entry_kind", sa.String(16), nullable=False),
        sa.Column("entry_name", sa.Text(), nullable=False),
        sa.Column("variant", sa.Text(), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("matched_by", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("released_at", WHEN, nullable=True),
        sa.Column("released_alert_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_doubtful_mentions"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_doubtful_mentions_article_id_articles", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name="fk_doubtful_mentions_story_id_stories"),
        sa.ForeignKeyConstraint(
            ["released_alert_id"],
            ["alerts.id"],
            name="fk_doubtful_mentions_released_alert_id_alerts",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("story_id", "entry_id", name="uq_doubtful_mentions_story_entry"),
    )
    op.create_index("ix_doubtful_mentions_created", "doubtful_mentions", ["created_at"])

    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("matched_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    # The older schema has no doubtful mentions: those not released are lost, the alerts of those released stay.
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("reasons")
        batch.drop_column("confidence")
        batch.drop_column("matched_by")
    op.drop_index("ix_doubtful_mentions_created", "doubtful_mentions")
    op.drop_table("doubtful_mentions")
