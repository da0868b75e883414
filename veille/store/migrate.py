"""Schema migrations (Alembic), run when the store opens: a new or older database is brought to head.

Developers make a new revision after changing veille/store/models.py with
    .venv/bin/python -m veille.store.migrate revision "what changed"
and check it by hand: autogenerate is a draft, not a migration.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# Any number: two runs starting at once on a new PostgreSQL database take turns.
_PG_LOCK = 7_362_016


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:  # only an installation without its migrations/versions/ files
        raise RuntimeError(f"no migration found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, in one transaction, one process at a time."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one; with foreign keys on, that
            # DROP would cascade and delete every alert and mention. The pragma only works outside a
            # transaction, hence on the raw connection before BEGIN.
            _raw_execute(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
                run(_config(connection))
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left {len(broken)} rows with a broken foreign key")
        finally:
            if sqlite:
                _raw_execute(connection, "PRAGMA foreign_keys=ON")


def _raw_execute(connection: Connection, statement: str) -> None:
    """Run `statement` on the driver's connection, outside SQLAlchemy's transaction."""
    raw = connection.connection.dbapi_connection
    if raw is None:  # SQLAlchemy detaches it only from a connection invalidated or closed
        raise RuntimeError("the database connection was closed during the migration")
    raw.execute(statement)


def main(argv: list[str]) -> int:
    from sqlalchemy import create_engine

    if len(argv) != 2 or argv[0] != "revision":
        # The developers' revision command: its usage goes to the terminal, not a log.
        print('usage: python -m veille.store.migrate revision "message"', file=sys.stderr)  # noqa: T201
        return 2
    engine = create_engine("sqlite://")
    upgrade(engine)
    with engine.begin() as connection:
        command.revision(_config(connection), message=argv[1], autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
