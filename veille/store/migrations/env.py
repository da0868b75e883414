"""Alembic environment: always run by veille.store.migrate with a connection it opened and locked."""

from alembic import context

from veille.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
