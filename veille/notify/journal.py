"""Deliveries a target accepted while the database could not record them, kept on disk until it can.

Without it, an outage longer than the sender waits out would leave such a delivery claimed but not
sent in the database, and the next run would send it a second time once its lease passed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url

from veille.errors import StoreError


class SentJournal(Protocol):
    def write(self, delivery_id: int, sent_at: datetime) -> None:
        """Keep, durably, that `delivery_id` was accepted at `sent_at`."""
        ...

    def entries(self) -> dict[int, datetime]: ...

    def forget(self, delivery_ids: Iterable[int]) -> None:
        """Drop entries the database now holds."""
        ...


class FileSentJournal:
    """JSON lines, one per accepted delivery, fsynced before the run goes on.

    A monitor and a replay may send at once, so changes hold a lock file beside the journal.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, delivery_id: int, sent_at: datetime) -> None:
        line = json.dumps({"delivery": delivery_id, "sent_at": sent_at.isoformat()}) + "\n"
        with self._locked(), self.path.open("ab+") as file:
            if file.tell() and (file.seek(-1, os.SEEK_END), file.read(1))[1] != b"\n":
                line = "\n" + line  # after a line a kill cut short: keep this one apart, so it reads
            file.write(line.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())

    def entries(self) -> dict[int, datetime]:
        if not self.path.exists():  # the usual case: no lock file made for nothing
            return {}
        with self._locked():
            return self._read()

    def forget(self, delivery_ids: Iterable[int]) -> None:
        gone = set(delivery_ids)
        with self._locked():
            kept = {key: value for key, value in self._read().items() if key not in gone}
            if not kept:
                self.path.unlink(missing_ok=True)
                return
            partial = self.path.with_suffix(".tmp")
            partial.write_text("".join(json.dumps({"delivery": key, "sent_at": value.isoformat()}) + "\n"
                                       for key, value in kept.items()), encoding="utf-8")
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

    def _read(self) -> dict[int, datetime]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        found = {}
        for line in lines:
            try:
                entry = json.loads(line)
                found[int(entry["delivery"])] = datetime.fromisoformat(entry["sent_at"])
            except (ValueError, KeyError, TypeError):
                continue  # cut short by a kill while writing it: like a kill before it, the stated window
        return found


def journal_path(data_dir: Path, database_url: str) -> Path:
    """One journal per database, since delivery ids are the database's: named by a digest of its URL."""
    # The password is left out, so changing it keeps the journal, and it never reaches the name.
    identity = make_url(database_url).render_as_string(hide_password=True)
    return data_dir / f"unrecorded-deliveries-{hashlib.sha256(identity.encode()).hexdigest()[:12]}.jsonl"
