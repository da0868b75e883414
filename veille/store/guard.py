"""Database errors turned into one short StoreError a user can read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from veille.errors import StoreError


@contextmanager
def database_errors(doing: str) -> Iterator[None]:
    """Turn SQLAlchemy's errors (whose text holds SQL and parameters) into one short StoreError."""
    try:
        yield
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        lines = str(cause).strip().splitlines()
        raise StoreError(f"database error while {doing}: {type(cause).__name__}: {lines[0] if lines else ''}") from error
