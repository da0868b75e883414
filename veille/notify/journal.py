"""Deliveries a target accepted while the database could not record them, kept on disk until it can.

Without it, an outage longer than the sender waits out would leave such a delivery claimed but not
sent in the database, and the next run would send it a second time once its lease passed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from veille.errors import StoreError
from veille.records import JournalEntry
from veille.store.continuity import database_digest

logger = logging.getLogger(__name__)


def _line(entry: JournalEntry) -> str:
    return (
        json.dumps(
            {
                "database": entry.database,
                "delivery": entry.delivery,
                "alert": entry.alert,
                "target": entry.target,
                "digest": entry.digest,
                "sent_at": entry.sent_at.isoformat(),
            }
        )
        + "\n"
    )


def message_digest(title: str, body: str) -> str:
    """What a journal entry knows of the alert's text, to tell it from another alert of the same id."""
    return hashlib.sha256(f"{title}\0{body}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


class FileSentJournal:
    """JSON lines, one per accepted delivery, fsynced before the run goes on.

    A monitor and a replay may send at once, so changes hold a lock file beside the journal. A line
    that cannot be read (cut short by a kill, bytes that are not UTF-8, a number out of range, a
    wrong type) is skipped with one warning naming the journal and the line, and dropped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, entry: JournalEntry) -> None:
        line = _line(entry)
        with self._locked(), self.path.open("ab+") as file:
            if file.tell() and (file.seek(-1, os.SEEK_END), file.read(1))[1] != b"\n":
                line = "\n" + line  # after a line a kill cut short: keep this one apart, so it reads
            file.write(line.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())

    def entries(self) -> list[JournalEntry]:
        if not self.path.exists():  # the usual case: no lock file made for nothing
            return []
        with self._locked():
            found, unreadable = self._read()
            if unreadable:
                self._rewrite(found)  # warned once: the next run reads a clean journal
            return found

    def forget(self, entries: Iterable[JournalEntry]) -> None:
        gone = set(entries)
        with self._locked():
            found, _ = self._read()
            self._rewrite([entry for entry in found if entry not in gone])

    def _rewrite(self, kept: list[JournalEntry]) -> None:
        if not kept:
            self.path.unlink(missing_ok=True)
            return
        partial = self.path.with_suffix(".tmp")
        partial.write_text("".join(_line(entry) for entry in kept), encoding="utf-8")
        os.replace(partial, self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The journal to itself; a file system problem becomes one StoreError naming the journal."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                yield
        except OSError as exc:
            raise StoreError(f"cannot use the delivery journal {self.path}: {exc.strerror or exc}") from exc

    def _read(self) -> tuple[list[JournalEntry], int]:
        """The entries, and how many lines could not be read (each warned about)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return [], 0
        found, unreadable = [], 0
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                found.append(parse_entry(raw))
            except ValueError as exc:
                unreadable += 1
                logger.warning("%s:%d: unreadable delivery journal line skipped (%s)", self.path, number, exc)
        return found, unreadable


def parse_entry(raw: bytes) -> JournalEntry:
    """One journal line, or ValueError saying what is wrong with it."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except json.JSONDecodeError:
        raise ValueError("not JSON, or cut short") from None
    if not isinstance(data, dict):
        raise ValueError("not an object")
    delivery, sent_at = data.get("delivery"), data.get("sent_at")
    if type(delivery) is not int or delivery <= 0:
        raise ValueError("'delivery' is not a delivery id")
    if not isinstance(sent_at, str):
        raise ValueError("'sent_at' is not a date")
    try:
        moment = datetime.fromisoformat(sent_at)
    except ValueError:
        raise ValueError("'sent_at' is not a date") from None
    if moment.tzinfo is None:
        raise ValueError("'sent_at' has no time zone")
    fields = {name: data.get(name) for name in ("database", "alert", "target", "digest")}
    if fields["alert"] is not None and type(fields["alert"]) is not int:
        raise ValueError("'alert' is not an alert id")
    if any(value is not None and not isinstance(value, str) for name, value in fields.items() if name != "alert"):
        raise ValueError("'database', 'target' or 'digest' is not text")
    return JournalEntry(delivery, moment, **fields)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def journal_path(data_dir: Path, database_url: str) -> Path:
    """One journal per database, since delivery ids are the database's: named by a digest of its URL
    (without its password, so changing it keeps the journal, and it never reaches the name)."""
    return data_dir / f"unrecorded-deliveries-{database_digest(database_url)}.jsonl"
