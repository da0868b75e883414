"""Veille's deployments, served: `python -m flows.deployments` against the Prefect server of PREFECT_API_URL.

`make operate` (flows/operate.py) starts a local server and runs this beside it. SIGINT or SIGTERM
stops it: the runner stops polling, pauses the schedules and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from types import FrameType

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
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


def main() -> int:
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
