"""Veille's deployments, served: `python -m flows.deployments` against the Prefect server of PREFECT_API_URL.

`make operate` (flows/operate.py) starts a local server and runs this beside it.
"""

from __future__ import annotations

import sys

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
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


def build_deployments(schedules: SchedulesConfig) -> list[RunnerDeployment]:
    """monitor and digest on their schedules, replay and release by hand only."""
    timezone = schedules.timezone
    return [
        called_sync(
            monitor.to_deployment(
                name="monitor",
                schedules=[Cron(schedules.monitor.cron, timezone=timezone, active=schedules.monitor.active)],
                # A second monitor run while one is processing is cancelled at once (our own lock turns
                # away any other, from the command line too): runs never pile up behind a slow one.
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
                ),
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
        serve(*build_deployments(schedules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
