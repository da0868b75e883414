"""`veille` as a user types it, with `veille operate` up and down: every run ends up in the one UI.

Runs before operate starts record into the data folder's Prefect home, which operate's server opens;
runs while it is up go to its server, with no temporary server of their own.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CONFIG, free_port

pytestmark = pytest.mark.e2e

VEILLE = Path(sys.executable).with_name("veille")
ARTICLE = "Des fusils Kalachnikov ont été saisis dans un dépôt d'armes près de Hama, a annoncé l'armée mardi.\n"
SECOND = "Des tirs de mortier ont visé Raqqa dans la nuit, selon l'Observatoire syrien des droits de l'homme.\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(CONFIG, tmp_path / "config")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "hama.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "config" / "sources.yaml").write_text("folders:\n  - path: inbox\n", encoding="utf-8")
    # No scheduled run during the test: the runs seen are the command line's.
    (tmp_path / "config" / "schedules.yaml").write_text(
        "timezone: UTC\n"
        "monitor:\n  cron: '3 1 1 1 *'\n  active: false\n"
        "digest:\n  cron: '3 1 1 1 *'\n  active: false\n",
        encoding="utf-8",
    )
    return tmp_path


def user_environment() -> dict[str, str]:
    """A user's shell: no VEILLE_ setting and no Prefect server or home of its own (offline defaults kept)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_API_URL", "PREFECT_HOME"))}
    return env | {"PYTHONUNBUFFERED": "1"}


def veille(project: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    if not VEILLE.exists():
        pytest.fail(f"{VEILLE} is missing: `make install` installs the console command")
    return subprocess.run(
        [str(VEILLE), *argv], cwd=project, env=user_environment(), capture_output=True, text=True, timeout=timeout
    )


def run_name(output: str) -> str:
    names = re.findall(r"Flow run '([a-z]+-[a-z]+)' - Finished in state", output)
    assert names, output[-2000:]
    return names[-1]


def flow_run(api: str, name: str) -> dict:
    found = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"name": {"any_": [name]}}}, timeout=10).json()
    assert len(found) == 1, f"run {name} is not on the operate server"
    return found[0]


def artifact_keys(api: str, run_id: str) -> set[str]:
    found = httpx.post(
        f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
    ).json()
    return {artifact["key"] for artifact in found if artifact["key"]}


def log_count(api: str, run_id: str) -> int:
    found = httpx.post(f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}, timeout=10).json()
    return len(found)


def test_runs_from_the_command_line_are_in_operates_ui_before_and_while_it_runs(project):
    before = veille(project, "run")
    assert before.returncode == 0, before.stderr[-3000:]
    first = run_name(before.stdout + before.stderr)
    assert (project / "data" / "prefect" / "prefect.db").exists(), "recorded into the data folder's Prefect home"

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = (project / "operate.log").open("w")
    operate = subprocess.Popen(
        [str(VEILLE), "operate", "--port", str(port)],
        cwd=project,
        env=user_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while not (project / "data" / "operate.json").exists() and time.monotonic() < deadline:
            assert operate.poll() is None, (project / "operate.log").read_text()[-3000:]
            time.sleep(0.5)
        assert (project / "data" / "operate.json").exists(), (project / "operate.log").read_text()[-3000:]

        # The run made before operate started, with its summary and its logs.
        earlier = flow_run(api, first)
        assert earlier["state"]["type"] == "COMPLETED"
        assert "monitor-summary" in artifact_keys(api, earlier["id"])
        assert log_count(api, earlier["id"]) > 0

        exported = veille(project, "env")
        assert exported.returncode == 0 and f"export PREFECT_API_URL={api}" in exported.stdout.splitlines()
        # What operate's own hint says to type, once the shell has what `veille env` prints.
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in exported.stdout.splitlines() if "=" in line
        )
        deadline = time.monotonic() + 120
        while len(httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()) < 4:
            assert time.monotonic() < deadline, "operate's deployments are not served"
            time.sleep(1)
        prefect = subprocess.run(
            [str(VEILLE.with_name("prefect")), "deployment", "inspect", "monitor/monitor"],
            env=user_environment() | exports,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert prefect.returncode == 0 and "'name': 'monitor'" in prefect.stdout, prefect.stdout + prefect.stderr

        (project / "inbox" / "raqqa.txt").write_text(SECOND, encoding="utf-8")
        started = time.monotonic()
        during = veille(project, "run")
        seconds = time.monotonic() - started
        output = during.stdout + during.stderr
        assert during.returncode == 0, output[-3000:]
        assert "temporary server" not in output, "a run against operate's server starts no server of its own"
        second = flow_run(api, run_name(output))
        assert second["state"]["message"] == "1 alert, 1 sent"
        assert "monitor-summary" in artifact_keys(api, second["id"])
        assert log_count(api, second["id"]) > 0

        digest = veille(project, "digest")
        assert digest.returncode == 0, digest.stderr[-3000:]
        assert "temporary server" not in digest.stdout + digest.stderr
        assert "digest" in artifact_keys(api, flow_run(api, run_name(digest.stdout + digest.stderr))["id"])
        print(f"\nveille run against operate's server: {seconds:.1f} s for one new article")
    finally:
        if operate.poll() is None:
            operate.send_signal(signal.SIGINT)
            operate.wait(timeout=90)
        log.close()
    assert not (project / "data" / "operate.json").exists(), "operate forgets its server when it stops"
