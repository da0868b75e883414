"""The production set-up the README recommends: Prefect's API behind a password, never open by mistake."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest

from flows.operate import exposure_problem
from tests.conftest import CONFIG, ROOT, free_port

CANARY = "veille-op:canary-8f3a1c"


@pytest.mark.parametrize(
    ("host", "auth", "refused"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("192.168.1.10", None, True),
        ("prefect.internal.example", None, True),
        ("0.0.0.0", "user:password", False),
    ],
)
def test_the_api_is_opened_beyond_this_machine_only_with_a_password(host, auth, refused):
    env = {"PREFECT_SERVER_API_AUTH_STRING": auth} if auth else {}
    problem = exposure_problem(host, env)
    assert bool(problem) == refused
    if refused:
        assert "PREFECT_SERVER_API_AUTH_STRING" in problem and "\n" not in problem


def clean_env(project) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))} | {
        "PYTHONPATH": str(ROOT),
        "PREFECT_HOME": str(project / "prefect-home"),
    }


@pytest.fixture
def project(tmp_path):
    shutil.copytree(CONFIG, tmp_path / "config")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "config" / "sources.yaml").write_text("folders:\n  - path: inbox\n", encoding="utf-8")
    return tmp_path


@pytest.mark.e2e
def test_operate_refuses_to_serve_on_every_address_without_a_password(project):
    result = subprocess.run(
        [sys.executable, "-m", "flows.operate", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=project,
        env=clean_env(project),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("veille: --host 0.0.0.0 would open Prefect's API")
    assert not (project / "prefect-home" / "server.log").exists(), "no server was started"


@pytest.mark.e2e
def test_with_an_auth_string_the_api_refuses_anonymous_requests_and_serves_the_deployments(project):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = clean_env(project) | {"PREFECT_SERVER_API_AUTH_STRING": CANARY, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    log = (project / "operate.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.operate", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    authorised = {"Authorization": "Basic " + base64.b64encode(CANARY.encode()).decode()}
    try:
        deadline, served = time.monotonic() + 150, []
        while time.monotonic() < deadline and len(served) < 4:  # registered one by one
            time.sleep(1)
            try:
                served = httpx.post(f"{api}/deployments/filter", json={}, headers=authorised, timeout=5).json()
            except httpx.HTTPError:
                continue
        names = {d["name"] for d in served}
        assert names == {"monitor", "digest", "replay", "release"}, (project / "operate.log").read_text()

        anonymous = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
        wrong = httpx.post(
            f"{api}/block_documents/filter",
            json={},
            timeout=5,
            headers={"Authorization": "Basic " + base64.b64encode(b"veille-op:guess").decode()},
        )
        assert (anonymous.status_code, wrong.status_code) == (401, 401)
        assert httpx.get(f"{api}/health", timeout=5).status_code == 200, "health probes stay open"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)
        log.close()
    output = (project / "operate.log").read_text()
    assert process.returncode == 0, output
    assert CANARY.split(":")[1] not in output, "the password is never printed"
