"""One Prefect home for every run: the server of `veille operate` when it is up, else a home in the data folder.

A command-line run used to start a throw-away server recording into ~/.prefect, where no one looks:
its artifacts and logs were lost to the UI of `veille operate`, which records into the data folder.
Now `veille operate` writes where its server answers (operate.json in Veille's data folder) and every
other command reads it: with the server up, runs go to it (and pay for no temporary server); with
it down, the temporary server records into the same database the operate server opens, so each run
is in the UI afterwards. What the user's environment sets (PREFECT_API_URL, PREFECT_HOME) always wins.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVER_RECORD = "operate.json"
# The home's folder under the data folder: `veille operate` and command-line runs share its database.
HOME_FOLDER = "prefect"
_HEALTH_SECONDS = 1.5


@dataclass(frozen=True)
class PrefectServer:
    """Where this process's runs are recorded, and why: the Prefect settings that say it."""

    settings: Mapping[str, str]
    reason: str

    @property
    def api_url(self) -> str | None:
        return self.settings.get("PREFECT_API_URL")


def home_folder(data_dir: Path) -> Path:
    return (data_dir / HOME_FOLDER).resolve()


def record_server(data_dir: Path, api_url: str, ui_url: str | None) -> str | None:
    """Say, for the other commands, that `veille operate`'s server answers at `api_url` (this process holds
    it); why it could not be said (a data folder that cannot be written), or None."""
    path = data_dir / SERVER_RECORD
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"api_url": api_url, "ui_url": ui_url, "pid": os.getpid()}), encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        return f"cannot write {path} ({exc.strerror or type(exc).__name__})"
    return None


def forget_server(data_dir: Path) -> None:
    """The record removed when operate stops (only its own: another operate may have written a newer one)."""
    path = data_dir / SERVER_RECORD
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def running_server(data_dir: Path) -> tuple[str, str | None] | None:
    """(API URL, UI URL) of a `veille operate` server recorded in `data_dir` that answers now, or None.

    A record left by an operate that was killed is stale: its process is gone or its server silent.
    """
    try:
        record = json.loads((data_dir / SERVER_RECORD).read_text(encoding="utf-8"))
        api_url, ui_url, pid = str(record["api_url"]), record.get("ui_url"), int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _process_alive(pid):
        return None
    try:
        if httpx.get(f"{api_url.rstrip('/')}/health", timeout=_HEALTH_SECONDS).status_code != 200:
            return None
    except httpx.HTTPError:
        return None
    return api_url, ui_url if isinstance(ui_url, str) else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def choose_server(data_dir: Path, environ: Mapping[str, str]) -> PrefectServer:
    """Where a command-line run records: the user's PREFECT_API_URL, operate's server, or the data folder's home."""
    if environ.get("PREFECT_API_URL"):
        return PrefectServer({}, f"the Prefect server of PREFECT_API_URL ({environ['PREFECT_API_URL']})")
    if environ.get("PREFECT_HOME"):
        return PrefectServer({}, f"a temporary server on PREFECT_HOME ({environ['PREFECT_HOME']})")
    found = running_server(data_dir)
    if found is not None:
        api_url, _ = found
        return PrefectServer({"PREFECT_API_URL": api_url}, f"the server of `veille operate` ({api_url})")
    home = home_folder(data_dir)
    return PrefectServer({"PREFECT_HOME": str(home)}, f"a temporary server on {home} (`veille operate` shows its runs)")


def export_lines(data_dir: Path, environ: Mapping[str, str]) -> list[str]:
    """What to export for Prefect's own command line to see Veille's runs and deployments (`veille env`)."""
    chosen = choose_server(data_dir, environ)
    lines = [f"# Veille's runs are recorded by {chosen.reason}"]
    if chosen.api_url:
        lines.append(f"export PREFECT_API_URL={shlex.quote(chosen.api_url)}")
    elif "PREFECT_HOME" in chosen.settings:
        lines.append(f"export PREFECT_HOME={shlex.quote(chosen.settings['PREFECT_HOME'])}")
        lines.append("# deployments exist only while `veille operate` runs: start it, then run `veille env` again")
    return lines


def command_line_server() -> Mapping[str, str]:
    """The Prefect settings of a command-line run (for offline_defaults): see choose_server."""
    from veille.settings import load_settings

    chosen = choose_server(load_settings().data_dir, os.environ)
    if "PREFECT_HOME" in chosen.settings:
        # Prefect creates its home without the parents: a fresh clone has no data/ yet.
        Path(chosen.settings["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    return chosen.settings
