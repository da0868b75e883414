"""`veille db upgrade`: the database's schema brought to the latest version, before a run does it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from veille.errors import ConfigError, StoreError, VeilleError
from veille.redact import mask_urls
from veille.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The database of VEILLE_DATABASE_URL (default: data/veille.db). Every run upgrades it itself; "
        "this does it on purpose, say after an upgrade of Veille, and says from which version to which."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("upgrade", help="bring the schema to the latest version (a new database is created)")
    commands.add_parser("version", help="the schema's version and the latest one, changing nothing")


def run(args: argparse.Namespace) -> int:
    from flows.common import open_store
    from veille.store import migrate

    try:
        settings = load_settings()
        shown = mask_urls(settings.database_url_value)
        before = _revision(settings.database_url_value)
        head = migrate.head_revision()
        if args.command == "version" or before == head:
            state = "already the latest" if before == head else f"latest {head}"
            print(f"{shown}: schema {before or 'none (no database yet)'}; {state}")
            return 0
        # As a run opens it: a new, empty database beside the trace of another is refused here too.
        open_store(settings).close()
    except ConfigError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    except VeilleError as exc:
        print(f"veille: {mask_urls(str(exc))}", file=sys.stderr)
        return 1
    print(f"{shown}: schema upgraded from {before or 'none (a new database)'} to {head}")
    return 0


def _revision(url: str) -> str | None:
    """The schema version of the database at `url`, None for one not created yet; reads, creates nothing."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from veille.store import migrate

    try:
        parsed = make_url(url)
    except SQLAlchemyError:
        raise ConfigError("VEILLE_DATABASE_URL is not a database URL SQLAlchemy understands") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return None
    try:
        engine = create_engine(parsed)
        try:
            if not inspect(engine).has_table("alembic_version"):
                return None
            return migrate.current_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(
            f"cannot read the database {parsed.render_as_string(hide_password=True)}: {type(exc).__name__}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.db")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
