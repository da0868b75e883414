"""A lock that keeps two runs of one kind from processing at the same time, wherever they were started.

Prefect's deployment concurrency limit only sees runs of that deployment; a run started from the
command line, or through another Prefect server, would slip past it. This lock lives with the data:
a PostgreSQL advisory lock held by a connection, or an exclusive lock on a file beside the SQLite
database. Both are released by the operating system or the server when the process dies, so a
killed run never leaves a lock behind; its forked model processes, which inherit the file and the
connection, end with it (veille.extract.processes).
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from veille.store.guard import database_errors

logger = logging.getLogger(__name__)

# Advisory lock keys of this module sit in their own range, away from the migrations' key.
_PG_KEY_BASE = 0x5E1_0000


@dataclass(frozen=True)
class RunLock:
    """Whether this run holds the lock; if not, `held_by` says who does, as far as known."""

    acquired: bool
    held_by: str = ""


@contextmanager
def run_lock(engine: Engine, name: str, holder: str, shared: bool = False) -> Iterator[RunLock]:
    """Hold the lock `name` for the block, or yield acquired=False at once when another run holds it.

    `holder` (a short description of this run, no secret) is what a run turned away is told. A `shared`
    lock is held by any number of runs at once and keeps out the one that wants it alone: the shards of
    the monitor share "monitor", a run of every source takes it alone.
    """
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with _postgres_lock(engine, name, holder, shared) as lock:
            yield lock
    elif dialect == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _file_lock(Path(f"{engine.url.database}.{name}.lock"), holder, shared) as lock:
            yield lock
    else:
        # An in-memory database lives in one process; another backend has no lock of ours yet.
        if dialect != "sqlite":
            logger.warning("no run lock on %s databases: overlapping runs rely on the database's constraints", dialect)
        yield RunLock(True)


@contextmanager
def _postgres_lock(engine: Engine, name: str, holder: str, shared: bool) -> Iterator[RunLock]:
    kind = "_shared" if shared else ""
    with database_errors(f"taking the {name} run lock"):
        connection = engine.connect()
    try:
        with database_errors(f"taking the {name} run lock"):
            schema = connection.execute(text("SELECT current_schema()")).scalar() or ""
            key = _lock_key(name, schema)
            acquired = connection.execute(text(f"SELECT pg_try_advisory_lock{kind}(:key)"), {"key": key}).scalar()
            if acquired:
                # Session-level: shows in pg_stat_activity, where a run turned away reads it.
                connection.execute(
                    text("SELECT set_config('application_name', :holder, false)"), {"holder": holder[:63]}
                )
            else:
                held_by = connection.execute(
                    text(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :key"
                    ),
                    {"key": key},
                ).scalar()
            connection.commit()
        if not acquired:
            yield RunLock(False, held_by or "another process")
            return
        try:
            yield RunLock(True)
        finally:
            try:
                connection.execute(text(f"SELECT pg_advisory_unlock{kind}(:key)"), {"key": key})
                connection.execute(text("SELECT set_config('application_name', '', false)"))
                connection.commit()
            except Exception:  # the server ends the session's locks with the connection anyway
                logger.warning("could not release the %s run lock; it goes with the connection", name)
    finally:
        connection.close()


@contextmanager
def _file_lock(path: Path, holder: str, shared: bool = False) -> Iterator[RunLock]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            held_by = os.pread(descriptor, 1000, 0).decode("utf-8", "replace").strip()
            yield RunLock(False, held_by or "another process")
            return
        if not shared:  # the holders of a shared lock would overwrite each other's names
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, holder.encode("utf-8"), 0)
        try:
            yield RunLock(True)
        finally:
            if not shared:
                os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def exclusive_section(engine: Engine, name: str) -> Iterator[None]:
    """Wait for, then hold, the lock `name` for a short block that no two processes may run at once."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with database_errors(f"taking the {name} lock"):
            connection = engine.connect()
        try:
            with database_errors(f"taking the {name} lock"):
                schema = connection.execute(text("SELECT current_schema()")).scalar() or ""
                key = _lock_key(name, schema)
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                connection.commit()
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
                except Exception:  # the server ends the session's locks with the connection anyway
                    logger.warning("could not release the %s lock; it goes with the connection", name)
        finally:
            connection.close()
    elif dialect == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        path = Path(f"{engine.url.database}.{name}.lock")
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)
    else:
        yield


def _lock_key(name: str, schema: str) -> int:
    """The advisory lock key of `name` in `schema`: advisory locks are per database, not per schema, and two
    Veilles in two schemas of one database must not turn each other's runs away."""
    return _PG_KEY_BASE + zlib.crc32(f"{name}:{schema}".encode()) % 0x10000
