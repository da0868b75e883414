"""Whether a new, empty database is a fresh start or a mistake.

A mistyped VEILLE_DATABASE_URL would silently create a new database: every article would be new
again and every alert sent again. So the data directory remembers the databases it was used with
(`databases.txt`), and a new, empty database beside the trace of another is refused unless the
user says it is a fresh start (VEILLE_ACCEPT_NEW_DATABASE). A data directory from before that
file existed is judged by what it holds: a journal of unrecorded sends or a SQLite database of
Veille's are proof of another database; an alert file only suggests one (the operator's alarm of
a first run that failed writes there too), so it is warned about, not refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from veille.errors import StoreError
from veille.summary import plural

KNOWN_DATABASES = "databases.txt"
_JOURNALS = "unrecorded-deliveries-*.jsonl"
_SQLITE_DEFAULT = "veille.db"


@dataclass(frozen=True)
class EarlierState:
    """What in the data directory points to another database; `certain` when it proves one."""

    evidence: str
    certain: bool


def database_digest(url: str) -> str:
    """A short digest naming one database; the password is left out (changing it keeps the digest)."""
    identity = make_url(url).render_as_string(hide_password=True)
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def earlier_state(data_dir: Path, alerts_file: Path, url: str) -> EarlierState | None:
    """The trace of another database in `data_dir` (or the built-in target's `alerts_file`), if any."""
    known = _known(data_dir)
    if known:
        others = known - {database_digest(url)}
        if not others:
            return None
        return EarlierState(
            f"{data_dir / KNOWN_DATABASES} lists {plural(len(others), 'other database')} used with this data directory",
            certain=True,
        )
    journals = sorted(data_dir.glob(_JOURNALS))
    if journals:
        return EarlierState(f"{journals[0]} holds sends of an earlier database", certain=True)
    sqlite = data_dir / _SQLITE_DEFAULT
    if _size(sqlite):  # asked about a new database, so not this one
        return EarlierState(f"{sqlite} is an earlier database", certain=True)
    if _size(alerts_file):
        return EarlierState(f"{alerts_file} holds alerts sent before", certain=False)
    return None


def remember_database(data_dir: Path, url: str) -> None:
    """Note that `data_dir` is used with this database (once); a file system problem is a StoreError."""
    digest = database_digest(url)
    if digest in _known(data_dir):
        return
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with (data_dir / KNOWN_DATABASES).open("a", encoding="utf-8") as handle:
            handle.write(digest + "\n")
    except OSError as exc:
        raise StoreError(f"cannot note the database in {data_dir / KNOWN_DATABASES}: {exc.strerror or exc}") from exc


def _known(data_dir: Path) -> set[str]:
    try:
        text = (data_dir / KNOWN_DATABASES).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
