"""Deliveries never lost or orphaned: the database's own id, alerts' routing tags, labels masked again.

- `veille_meta` holds a random id made here, once per database: the delivery journal names it, so
  an entry left by another database (or by this one before a restore) never marks a row as sent.
- `alerts.routing_tags` keeps the tags an alert was routed by, and `alerts.unrouted` says that no
  target had one of them: such an alert gets its deliveries when a matching target is configured.
- `ix_deliveries_target`: deliveries are looked up by target (renamed keys, the outbox command).
- Target labels and delivery errors stored by earlier versions showed webhook paths (json://, form://,
  xml://) whole: they are masked again with the mask Veille uses now.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import uuid

import sqlalchemy as sa
from alembic import op

# The application's mask, on purpose: a later, stricter mask must not leave old rows as they were.
from veille.redact import mask_url, mask_urls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "veille_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_veille_meta"),
    )
    op.bulk_insert(meta, [{"key": "database_id", "value": uuid.uuid4().hex}])

    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("routing_tags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("unrouted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_alerts_unrouted", ["unrouted"])
    with op.batch_alter_table("deliveries") as batch:
        batch.create_index("ix_deliveries_target", ["target_key", "status"])

    connection = op.get_bind()
    labels = connection.execute(sa.text("SELECT DISTINCT target_label FROM deliveries")).scalars().all()
    for label in labels:
        if mask_url(label) != label:
            connection.execute(
                sa.text("UPDATE deliveries SET target_label = :new WHERE target_label = :old"),
                {"new": mask_url(label), "old": label},
            )
    errors = connection.execute(sa.text("SELECT id, last_error FROM deliveries WHERE last_error IS NOT NULL")).all()
    for delivery_id, error in errors:
        if mask_urls(error, bare_paths=True) != error:
            connection.execute(
                sa.text("UPDATE deliveries SET last_error = :error WHERE id = :id"),
                {"error": mask_urls(error, bare_paths=True), "id": delivery_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_target")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_unrouted")
        batch.drop_column("unrouted")
        batch.drop_column("routing_tags")
    op.drop_table("veille_meta")
