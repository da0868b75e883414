"""The deployments as `make operate` serves them: schedules from config, forms, concurrency."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

from flows.deployments import build_deployments
from flows.monitor import monitor as monitor_flow
from tests.conftest import CONFIG, ROOT, free_port
from tests.prefect_api import run_record
from veille.errors import ConfigError
from veille.schedules import SchedulesConfig, load_schedules


def test_the_shipped_schedules_are_every_15_minutes_and_daily_in_an_explicit_timezone():
    schedules = load_schedules(CONFIG / "schedules.yaml")

    assert (schedules.timezone, schedules.monitor.cron, schedules.digest.cron) == ("UTC", "*/15 * * * *", "0 7 * * *")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("monitor:\n  cron: '*/15 * * * *'\n", "schedules.yaml:1:1: timezone: Field required"),
        ("timezone: Europe/Pariss\n", 'schedules.yaml:1:1: timezone: Invalid timezone: "Europe/Pariss"'),
        ("timezone: UTC\ndigest:\n  cron: '0 25 * * *'\n", "schedules.yaml:3:3: digest.cron: Invalid cron string"),
        ("timezone: UTC\nmonitor:\n  every: 15\n", "schedules.yaml:2:1: monitor.cron: Field required"),
    ],
)
def test_a_wrong_schedule_names_the_line_and_key(tmp_path, content, expected):
    path = tmp_path / "schedules.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_schedules(path)

    assert expected in str(error.value)


@pytest.mark.usefixtures("prefect_harness")
def test_the_schedules_are_registered_as_configured():
    schedules = SchedulesConfig.model_validate(
        {
            "timezone": "Europe/Paris",
            "monitor": {"cron": "*/5 6-22 * * *"},
            "digest": {"cron": "30 7 * * 1-5", "active": False},
        }
    )
    for deployment in build_deployments(schedules):
        deployment.apply()

    with get_client(sync_client=True) as client:
        monitor = client.read_deployment_by_name("monitor/monitor")
        digest = client.read_deployment_by_name("digest/digest")
        replay = client.read_deployment_by_name("replay/replay")
        release = client.read_deployment_by_name("release/release")

    [monitor_schedule] = monitor.schedules
    assert (monitor_schedule.schedule.cron, monitor_schedule.schedule.timezone, monitor_schedule.active) == (
        "*/5 6-22 * * *",
        "Europe/Paris",
        True,
    )
    [digest_schedule] = digest.schedules
    assert (digest_schedule.schedule.cron, digest_schedule.schedule.timezone, digest_schedule.active) == (
        "30 7 * * 1-5",
        "Europe/Paris",
        False,
    )
    assert replay.schedules == [], "replay runs by hand only"
    assert release.schedules == [], "so does release"
    assert monitor.global_concurrency_limit.limit == 1
    assert monitor.concurrency_options.collision_strategy == "ENQUEUE", "a second run waits, it is not dropped"


@pytest.mark.usefixtures("prefect_harness")
def test_every_parameter_has_a_type_and_a_description_for_the_ui_form():
    for deployment in build_deployments(load_schedules(CONFIG / "schedules.yaml")):
        deployment.apply()
    with get_client(sync_client=True) as client:
        forms = {
            name: client.read_deployment_by_name(f"{name}/{name}").parameter_openapi_schema
            for name in ("monitor", "digest", "replay", "release")
        }

    assert set(forms["monitor"]["properties"]) == {"folder", "sources", "baseline", "shard"}
    assert set(forms["replay"]["properties"]) == {
        "since",
        "until",
        "watchlist_file",
        "rules_file",
        "dry_run",
        "ignore_past_alerts",
    }
    assert set(forms["digest"]["properties"]) == {"hours"}
    assert set(forms["release"]["properties"]) == {"ids"}
    for name, form in forms.items():
        for parameter, schema in form["properties"].items():
            assert schema.get("description"), f"{name}.{parameter} has no description"
            assert "type" in schema or "anyOf" in schema or "allOf" in schema, f"{name}.{parameter} has no type"
    assert forms["replay"]["properties"]["dry_run"]["default"] is True, "a replay is a dry run unless asked"


@pytest.mark.usefixtures("prefect_harness")
def test_a_deployment_run_that_fails_on_its_configuration_logs_veilles_line_and_no_traceback(workdir):
    """Run as a served deployment runs it: `python -m prefect.engine RUN_ID`, in a process of its own."""
    (workdir / "config" / "watchlist.yaml").write_text("places: [\n", encoding="utf-8")
    deployment_id = monitor_flow.to_deployment(name=f"broken-{uuid.uuid4().hex[:8]}").apply()
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployment_id)

    engine = subprocess.run(
        [sys.executable, "-m", "prefect.engine", str(run.id)],
        cwd=ROOT,
        env=os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )

    record = run_record(run.id)
    assert record.flow_run["state"]["type"] == "FAILED", engine.stderr[-2000:]
    veille_line = next(line for line in record.logs if "watchlist.yaml" in line)
    assert "Traceback" not in veille_line and "\n" not in veille_line, veille_line
    assert not [line for line in record.logs if "Traceback" in line], "\n".join(record.logs)
    assert "Traceback" not in engine.stdout + engine.stderr, (engine.stdout + engine.stderr)[-3000:]


@pytest.fixture
def project(tmp_path):
    shutil.copytree(CONFIG, tmp_path / "config")
    return tmp_path


def run_operate(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))} | {
        "PYTHONPATH": str(ROOT),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
    }
    # Both cases end before any child process starts; a timeout here is a failure, not a hang.
    return subprocess.run(
        [sys.executable, "-m", "flows.operate", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.e2e
def test_operate_refuses_a_wrong_schedule_in_one_line_before_starting_anything(project):
    (project / "config" / "schedules.yaml").write_text("timezone: Paris\n", encoding="utf-8")

    result = run_operate(project)

    assert result.returncode == 2
    assert result.stderr.strip().startswith("veille: config/schedules.yaml:1:1: timezone: Invalid timezone")
    assert not (project / "prefect-home" / "server.log").exists(), "no server was started"


@pytest.mark.e2e
def test_operate_says_when_its_port_is_taken(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run_operate(project, "--port", str(port))

    assert result.returncode == 1
    assert f"127.0.0.1:{port} is taken (another Prefect server?)" in result.stderr


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("stop_signal", "started"),
    [(signal.SIGTERM, None), pytest.param(signal.SIGINT, _ignore_sigint, id="SIGINT-started-in-the-background")],
)
def test_operate_stopped_by_sigterm_stops_its_children_and_exits_0_without_a_warning(project, stop_signal, started):
    """What a service manager (or `kill`) does; Prefect's serve() answered it with "coroutine
    'Runner.astop' was never awaited" and a runner that stopped only on the next signal. And Ctrl-C or
    `kill -INT` to an operate a shell started in the background (`make operate &`), which comes with
    SIGINT ignored: Python would then never raise KeyboardInterrupt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))} | {
        "PYTHONPATH": str(ROOT),
        "PREFECT_HOME": str(project / "prefect-home"),
    }
    output = project / "operate.log"
    with output.open("w") as log:
        operate = subprocess.Popen(
            [sys.executable, "-m", "flows.operate", "--port", str(free_port())],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=started,
        )
        try:
            deadline = time.monotonic() + 120
            while "Serving monitor" not in output.read_text() and operate.poll() is None:
                assert time.monotonic() < deadline, output.read_text()[-3000:]
                time.sleep(0.5)
            time.sleep(2)  # the runner's first poll of the server
            stopping = time.monotonic()
            operate.send_signal(stop_signal)
            code = operate.wait(timeout=90)
        finally:
            if operate.poll() is None:
                operate.kill()
    said = output.read_text()

    assert code == 0, said[-3000:]
    assert time.monotonic() - stopping < 20, "the deployments stopped at the first signal, not after operate's SIGTERM"
    assert "never awaited" not in said and "Traceback" not in said, said[-3000:]
    assert "All deployments have been paused" in said
