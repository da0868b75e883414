"""What a Prefect server recorded of a flow run: its logs, artifacts and parameters, read through its REST API.

Plain HTTP: Prefect 3.8.8's sync client sends `limit: null` to /artifacts/filter, which its server refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import httpx
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL


@dataclass(frozen=True)
class RunRecord:
    flow_run: dict
    logs: list[str]
    artifacts: list[dict]

    def artifact(self, key: str) -> str:
        return next(str(a["data"]) for a in self.artifacts if a["key"] == key)


def run_record(flow_run_id: UUID, api_url: str | None = None) -> RunRecord:
    """The flow run, every log line of it (its task runs' included) and its artifacts."""
    if api_url is None:
        # This process's run logs are sent in the background: send what is queued first.
        APILogWorker.drain_all(timeout=10)
    api = (api_url or PREFECT_API_URL.value()).rstrip("/")
    run_filter = {"any_": [str(flow_run_id)]}
    with httpx.Client(base_url=api, timeout=30) as client:
        flow_run = client.get(f"/flow_runs/{flow_run_id}").raise_for_status().json()
        logs = (
            client.post("/logs/filter", json={"logs": {"flow_run_id": run_filter}, "limit": 200, "offset": 0})
            .raise_for_status()
            .json()
        )
        artifacts = (
            client.post("/artifacts/filter", json={"artifacts": {"flow_run_id": run_filter}, "limit": 200, "offset": 0})
            .raise_for_status()
            .json()
        )
    return RunRecord(flow_run, [log["message"] for log in logs], artifacts)


def task_run_count(flow_run_id: UUID, name: str, api_url: str | None = None) -> int:
    """How many task runs of the flow run have `name` in their name."""
    api = (api_url or PREFECT_API_URL.value()).rstrip("/")
    query = {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}, "task_runs": {"name": {"like_": name}}}
    with httpx.Client(base_url=api, timeout=30) as client:
        return int(client.post("/task_runs/count", json=query).raise_for_status().json())
