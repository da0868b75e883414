"""The built-in target: `veille://` prints each alert and appends it as a JSON line to a file.

The line holds the alert's fields as well as its text (veille.notify.jsonline). The file holds whole
lines only: a write that fails part-way leaves it as it was, and the delivery is retried by a later run.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from apprise.decorators import notify
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

from veille.notify.jsonline import json_line

LOCAL_SCHEMA = "veille"
# apprise hands a plugin a notification's title, body and attachments only (NotifyBase.notify drops
# any other keyword), and a custom plugin's `meta` is its URL's settings, the same for every call: so
# the alert's fields are set beside the call, for its duration (AppriseNotifier.send), and read here.
_ALERT_FIELDS: ContextVar[Mapping[str, object] | None] = ContextVar("veille_alert_fields", default=None)


@contextmanager
def fields_for_local_target(fields: Mapping[str, object] | None) -> Iterator[None]:
    """While it lasts, the built-in target writes `fields` into the line of what it is sent."""
    token = _ALERT_FIELDS.set(fields)
    try:
        yield
    finally:
        _ALERT_FIELDS.reset(token)


def is_local_target(server: NotifyBase) -> bool:
    return getattr(server, "secure_protocol", None) == LOCAL_SCHEMA


def install_local_target(alerts_file: Path, console: TextIO | None = None) -> None:
    """Register (or re-register) the `veille://` schema to write to `alerts_file`.

    `console: no` under the URL in the targets file (or `veille://?console=no` given directly)
    keeps the file and stays silent on the console.
    """
    # apprise keeps one plugin per schema for the whole process; a new data directory replaces it.
    NotificationManager().remove(LOCAL_SCHEMA)

    @notify(on=LOCAL_SCHEMA, name="Veille local alerts (console and JSON lines)")
    def deliver_locally(
        body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
    ) -> bool:
        line = json_line(datetime.now(UTC), notify_type, title, body, _ALERT_FIELDS.get())
        try:
            append_line(alerts_file, line)
        except OSError as exc:
            # Said through apprise's logger, so that the delivery's error says why; retried later.
            logging.getLogger("apprise").warning(
                "cannot append to %s in the data folder: %s", alerts_file.name, exc.strerror or type(exc).__name__
            )
            return False
        if _console_wanted(meta.get("console", meta.get("qsd", {}).get("console", True))):
            stream = console or sys.stdout
            stream.write(f"\n=== {title}\n{body}\n")
            stream.flush()
        return True


def append_line(path: Path, line: str) -> None:
    """Append `line` whole and on disk, or leave the file as it was and raise OSError.

    A write can fail part-way (a full disk, a file size limit): the file is cut back to its size
    before it, so that it never holds half a line and the retry appends a whole one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = line.encode("utf-8") + b"\n"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        # A monitor and a replay may append at once: cutting back must never cut the other's line.
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data  # after a line a kill cut short: keep this one apart, so it reads
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            # The delivery is recorded as sent right after: the line must be on disk by then.
            os.fsync(descriptor)
        except OSError:
            os.ftruncate(descriptor, size)
            raise
    finally:
        os.close(descriptor)


def _console_wanted(setting: object) -> bool:
    return str(setting).strip().lower() not in ("no", "false", "0", "off")
