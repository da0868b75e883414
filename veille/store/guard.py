"""What SQLAlchemy hands back, made safe to use: its errors as one short StoreError a user can read,
an UPDATE's or DELETE's count of rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import CursorResult, Result
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
        raise StoreError(
            f"database error while {doing}: {type(cause).__name__}: {lines[0] if lines else ''}"
        ) from error


def rows_changed(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run by Session.execute changed.

    Session.execute is typed to return a Result, which has no rowcount; for DML it is a CursorResult.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount
