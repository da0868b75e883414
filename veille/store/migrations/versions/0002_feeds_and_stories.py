"""Feeds and stories: source health and validators, stories, alerts per story.

Every existing article becomes a story of its own (story id = article id), and each alert moves to
its article's story: nothing already alerted can alert again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        for name in ("etag", "last_modified", "last_error", "last_warning"):
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
        for name in ("last_fetched_at", "last_success_at", "last_error_at"):
            batch.add_column(sa.Column(name, WHEN, nullable=True))
        batch.add_column(sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.execute("INSERT INTO stories (id, title, created_at) SELECT id, title, first_seen_at FROM articles")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 "
            "FROM stories), false)"
        )

    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE articles SET story_id = id")
    with op.batch_alter_table("articles") as batch:
        batch.alter_column("story_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_articles_story_id_stories", "stories", ["story_id"], ["id"])
        batch.create_index("ix_articles_story_id", ["story_id"])

    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sources", sa.Integer(), nullable=False, server_default="1"))
    op.execute("UPDATE alerts SET story_id = (SELECT story_id FROM articles WHERE articles.id = alerts.article_id)")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("story_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_alerts_article_entry", type_="unique")
        batch.create_unique_constraint("uq_alerts_story_entry", ["story_id", "entry_id"])
        batch.create_foreign_key("fk_alerts_story_id_stories", "stories", ["story_id"], ["id"])


def downgrade() -> None:
    # Copies grouped in one story since the upgrade each keep their own alerts' article: the
    # per-article constraint comes back only if no article has two alerts for one entry.
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("fk_alerts_story_id_stories", type_="foreignkey")
        batch.drop_constraint("uq_alerts_story_entry", type_="unique")
        batch.create_unique_constraint("uq_alerts_article_entry", ["article_id", "entry_id"])
        batch.drop_column("sources")
        batch.drop_column("story_id")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_story_id")
        batch.drop_constraint("fk_articles_story_id_stories", type_="foreignkey")
        batch.drop_column("signature")
        batch.drop_column("story_id")
    op.drop_table("stories")
    with op.batch_alter_table("sources") as batch:
        for name in (
            "consecutive_failures",
            "last_error_at",
            "last_success_at",
            "last_fetched_at",
            "last_warning",
            "last_error",
            "last_modified",
            "etag",
        ):
            batch.drop_column(name)
