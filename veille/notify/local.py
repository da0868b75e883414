"""The built-in target: `veille://` prints each alert and appends it as a JSON line to a file."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from apprise.decorators import notify
from apprise.manager_plugins import NotificationManager

LOCAL_SCHEMA = "veille"


def install_local_target(alerts_file: Path, console: TextIO | None = None) -> None:
    """Register (or re-register) the `veille://` schema to write to `alerts_file`.

    `console: no` under the URL in the targets file (or `veille://?console=no` given directly)
    keeps the file and stays silent on the console.
    """
    # apprise keeps one plugin per schema for the whole process; a new data directory replaces it.
    NotificationManager().remove(LOCAL_SCHEMA)

    @notify(on=LOCAL_SCHEMA, name="Veille local alerts (console and JSON lines)")
    def deliver_locally(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "type": notify_type,
            "title": title,
            "body": body,
        }
        alerts_file.parent.mkdir(parents=True, exist_ok=True)
        with alerts_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            # The delivery is recorded as sent right after: the line must be on disk by then.
            os.fsync(handle.fileno())
        if _console_wanted(meta.get("console", meta.get("qsd", {}).get("console", True))):
            stream = console or sys.stdout
            stream.write(f"\n=== {title}\n{body}\n")
            stream.flush()
        return True


def _console_wanted(setting: object) -> bool:
    return str(setting).strip().lower() not in ("no", "false", "0", "off")
