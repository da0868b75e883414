"""Veille's deployments, served: `python -m flows.deployments` against the Prefect server of PREFECT_API_URL.

`make operate` (flows/operate.py) starts a local server and runs this beside it. SIGINT or SIGTERM
stops it: the runner stops polling, pauses the schedules and the process exits 0.

`python -m flows.deployments --prefect-yaml prefect.yaml` instead creates the deployments of that file in
its work pool, for workers to run (README, "Scale out"): what `prefect deploy --all` does, which in
Prefect 3.8.8 stops after the first deployment (its check for online workers sends the server a null
limit, and the server answers 422).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import Flow, load_flow_from_entrypoint
from prefect.runner import Runner
from prefect.schedules import Cron

from flows.common import called_sync, load_configuration
from flows.digest import digest
from flows.environment import offline_defaults
from flows.monitor import monitor
from flows.release import release
from flows.replay import replay
from veille.errors import VeilleError
from veille.schedules import SchedulesConfig, load_schedules

TAGS = ["veille"]
# prefect.yaml's "{{ $NAME }}": the environment variable NAME, as `prefect deploy` reads it.
_ENV_PLACEHOLDER = re.compile(r"\{\{\s*\$(\w+)\s*\}\}")
_SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"
# How long a stop waits for the runner to have started, then to have stopped.
_START_SECONDS = 30
_STOP_SECONDS = 30


def build_deployments(schedules: SchedulesConfig) -> list[RunnerDeployment]:
    """monitor and digest on their schedules, replay and release by hand only."""
    timezone = schedules.timezone
    return [
        called_sync(
            monitor.to_deployment(
                name="monitor",
                schedules=[Cron(schedules.monitor.cron, timezone=timezone, active=schedules.monitor.active)],
                # A second monitor run while one is processing waits for it (Prefect's state
                # AwaitingConcurrencySlot) instead of being dropped; scheduled runs cannot pile up
                # behind a slow one: the monitor flow ends a scheduled run that a later one superseded.
                concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
                tags=TAGS,
            )
        ),
        called_sync(
            digest.to_deployment(
                name="digest",
                schedules=[Cron(schedules.digest.cron, timezone=timezone, active=schedules.digest.active)],
                tags=TAGS,
            )
        ),
        called_sync(replay.to_deployment(name="replay", tags=TAGS)),
        called_sync(release.to_deployment(name="release", tags=TAGS)),
    ]


def pool_deployments(prefect_file: Path) -> list[tuple[RunnerDeployment, str]]:
    """The deployments of a prefect.yaml, each with the work pool it names (its flow, parameters, schedules,
    concurrency limit and tags as written there)."""
    with prefect_file.open(encoding="utf-8") as stream:
        spec = yaml.safe_load(_ENV_PLACEHOLDER.sub(lambda m: os.environ.get(m[1], ""), stream.read())) or {}
    # A worker runs each flow from the checkout (its pull step); without it, from an empty temporary folder.
    folders = [(step.get(_SET_WORKING_DIRECTORY) or {}).get("directory") for step in spec.get("pull") or []]
    working = {"working_dir": folders[-1]} if folders and folders[-1] else {}
    made = []
    for item in spec.get("deployments") or []:
        limit: dict[str, Any] | None = item.get("concurrency_limit")
        flow_object: Flow[..., Any] = load_flow_from_entrypoint(item["entrypoint"])
        deployment = called_sync(
            flow_object.to_deployment(
                name=item["name"],
                parameters=item.get("parameters") or {},
                schedules=[Cron(s["cron"], timezone=s.get("timezone")) for s in item.get("schedules") or []],
                concurrency_limit=(
                    ConcurrencyLimitConfig(
                        limit=limit["limit"],
                        collision_strategy=ConcurrencyLimitStrategy(limit.get("collision_strategy", "ENQUEUE")),
                    )
                    if limit
                    else None
                ),
                tags=item.get("tags") or [],
                work_queue_name=item["work_pool"].get("work_queue_name"),
                job_variables={**working, **(item["work_pool"].get("job_variables") or {})},
            )
        )
        made.append((deployment, item["work_pool"]["name"]))
    return made


def deploy_to_pools(prefect_file: Path) -> None:
    """Create (or update) the deployments of `prefect_file` on the server of PREFECT_API_URL, in their pools."""
    for deployment, pool in pool_deployments(prefect_file):
        deployment.apply(work_pool_name=pool)
        print(f"Deployed {deployment.flow_name}/{deployment.name} to the work pool {pool}", flush=True)


def main() -> int:
    if sys.argv[1:2] == ["--prefect-yaml"] and len(sys.argv) == 3:
        with offline_defaults():
            deploy_to_pools(Path(sys.argv[2]))
        return 0
    try:
        config = load_configuration(with_blocks=False)
        schedules = load_schedules(config.settings.schedules_file)
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    with offline_defaults():
        return 0 if serve_until_stopped(build_deployments(schedules)) else 1


def serve_until_stopped(deployments: list[RunnerDeployment]) -> bool:
    """Serve the deployments until SIGINT or SIGTERM (True), or until the runner ends on its own (False).

    prefect.serve() is not used: on SIGTERM its runner calls its own stop() inside its event loop, where
    that returns a coroutine never awaited ("coroutine 'Runner.astop' was never awaited"), and a SIGINT
    can leave its poller running until a SIGTERM comes. Here the runner's loop runs in a thread (so the
    runner installs no signal handler of its own) and, on a signal, the main thread has its loop
    await astop(): in-flight runs are cancelled, the schedules paused.
    """
    runner = Runner(pause_on_shutdown=True)
    for deployment in deployments:
        runner.add_deployment(deployment)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    loop = asyncio.new_event_loop()
    serving = threading.Thread(target=loop.run_until_complete, args=(runner.start(),), name="veille-runner")
    serving.start()
    print(f"Serving {', '.join(d.name for d in deployments)}; Ctrl-C stops", flush=True)
    while serving.is_alive() and not stop_requested.wait(0.5):
        pass
    # A signal in the first moments may come before the runner has started: astop() refuses that.
    deadline = time.monotonic() + _START_SECONDS
    while serving.is_alive() and not runner.started and time.monotonic() < deadline:
        time.sleep(0.1)
    if serving.is_alive() and runner.started:
        asyncio.run_coroutine_threadsafe(runner.astop(), loop).result(timeout=_STOP_SECONDS)
    serving.join(timeout=_STOP_SECONDS)
    if not serving.is_alive():
        loop.close()
    return stop_requested.is_set()


if __name__ == "__main__":
    sys.exit(main())
