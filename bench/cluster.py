"""Veille scaled out on this machine: a Prefect server on PostgreSQL, the work pool and deployments of
prefect.yaml, and worker processes, as README's "Scale out" sets them up on several machines.

Used by tests/test_scaleout.py and bench/scaleout.py. Everything listens on 127.0.0.1; each Prefect server
and each Veille database is a fresh PostgreSQL database, dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flows.common import called_sync
from flows.environment import with_offline_defaults
from veille.records import Article

ROOT = Path(__file__).resolve().parents[1]
POOL = "veille"  # as prefect.yaml names it
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
_FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def postgres_available() -> str | None:
    """None when the local PostgreSQL answers, else why not."""
    import psycopg

    try:
        psycopg.connect(f"{ADMIN} connect_timeout=3").close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL not reachable at 127.0.0.1:5432 ({str(exc).strip().splitlines()[0]})"
    return None


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on 127.0.0.1, its name yielded; dropped afterwards, with its connections."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def veille_url(database: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


@dataclass
class Cluster:
    """A running Prefect server with the deployments of prefect.yaml, and its workers."""

    api_url: str
    environ: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def prefect(self, *args: str, timeout: float = 180) -> str:
        """Prefect's command line against this server, from the checkout; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            cwd=ROOT,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    def start_workers(self, count: int, log_dir: Path) -> None:
        """`count` more `prefect worker start --pool veille --limit 1`, each a process of its own."""
        for _ in range(count):
            log = (log_dir / f"worker-{len(self.workers) + 1}.log").open("wb")
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--limit", "1"],
                    cwd=ROOT,
                    env=self.environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def run(self, deployments: Sequence[str], environ: Mapping[str, str], timeout: float = 600) -> list[str]:
        """Start a run of each deployment ("monitor/monitor-shard-1") at once with `environ` added to its
        process's, wait until all have ended; their final state names."""
        from prefect.client.orchestration import get_client
        from prefect.deployments import run_deployment

        with _api(self.api_url):
            runs = [
                called_sync(run_deployment(name, timeout=0, job_variables={"env": dict(environ)}, as_subflow=False))
                for name in deployments
            ]
            deadline = time.monotonic() + timeout
            with get_client(sync_client=True) as client:
                while True:
                    states = [client.read_flow_run(run.id).state for run in runs]
                    names = [state.type.value if state else "PENDING" for state in states]
                    if all(name in _FINAL for name in names):
                        return [f"{state.type.value}: {state.message}" if state else "" for state in states]
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"runs of {', '.join(deployments)} still {names} after {timeout:g} s")
                    time.sleep(0.5)


@contextmanager
def _api(url: str) -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


@contextmanager
def scaled_out(work_dir: Path, workers: int) -> Iterator[Cluster]:
    """A Prefect server on a fresh PostgreSQL database, prefect.yaml deployed, `workers` workers started."""
    with fresh_database("veille_prefect") as prefect_db:
        port = _free_port()
        home = work_dir / "prefect-home"
        home.mkdir(parents=True, exist_ok=True)
        environ = with_offline_defaults(
            {
                **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VEILLE_"))},
                "PREFECT_HOME": str(home),
                "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}",
                "PREFECT_SERVER_API_HOST": "127.0.0.1",
                "PREFECT_SERVER_API_PORT": str(port),
                "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
                "PREFECT_UI_ENABLED": "false",
                # Runs here are started by hand: the schedules of prefect.yaml must not start more meanwhile.
                "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
                "PREFECT_WORKER_QUERY_SECONDS": "1",
                "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
                "VEILLE_HOME": str(ROOT),
                "PYTHONPATH": str(ROOT),
            }
        )
        log = (work_dir / "server.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start"],
            cwd=work_dir,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cluster = Cluster(environ["PREFECT_API_URL"], environ)
        try:
            _wait_healthy(cluster.api_url, server, timeout=120)
            cluster.prefect("work-pool", "create", POOL, "--type", "process")
            # `prefect deploy --all` does the same, but stops after the first in Prefect 3.8.8 (flows/deployments.py).
            _run([sys.executable, "-m", "flows.deployments", "--prefect-yaml", "prefect.yaml"], environ)
            cluster.start_workers(workers, work_dir)
            yield cluster
        finally:
            for process in [*cluster.workers, server]:
                _stop(process)
            log.close()


def _run(command: list[str], environ: Mapping[str, str]) -> None:
    done = subprocess.run(command, cwd=ROOT, env=dict(environ), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stdout[-2000:]}{done.stderr[-3000:]}")


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the Prefect server did not answer within {timeout:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process's group (a worker's flow runs are its children), then SIGKILL if need be."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def folder_names(count: int, shards: int) -> list[str]:
    """`count` folder names, as evenly spread over `shards` shards as the names' hash allows (round robin)."""
    from veille.names import folder_source_name
    from veille.shards import Shard

    by_shard: dict[int, list[str]] = {index: [] for index in range(1, shards + 1)}
    for n in range(1000):
        name = f"wire-{n}"
        for index, names in by_shard.items():
            if Shard(index, shards).holds(folder_source_name(Path(name), name)):
                names.append(name)
    return [by_shard[1 + n % shards][n // shards] for n in range(count)]


@dataclass(frozen=True)
class Scenario:
    """One Veille setup for runs of the cluster: folders of articles, its config, its own PostgreSQL database."""

    work_dir: Path
    database: str

    @property
    def environ(self) -> dict[str, str]:
        """What a flow run of this scenario adds to its worker's environment."""
        config = self.work_dir / "config"
        return {
            "VEILLE_DATABASE_URL": veille_url(self.database),
            "VEILLE_DATA_DIR": str(self.work_dir / "data"),
            "VEILLE_SOURCES_FILE": str(config / "sources.yaml"),
            "VEILLE_WATCHLIST_FILE": str(config / "watchlist.yaml"),
            "VEILLE_TARGETS_FILE": str(config / "targets.yaml"),
            # One process per run: what is measured is the workers (on 2 cores, a run's own model processes
            # would take the cores the second worker is to use).
            "VEILLE_EXTRACT_PROCESSES": "1",
        }

    @property
    def alert_file(self) -> Path:
        return self.work_dir / "data" / "alerts.jsonl"


@contextmanager
def scenario(work_dir: Path, folders: Mapping[str, Sequence[Article]], cache: Path | None = None) -> Iterator[Scenario]:
    """A scenario reading `folders` (name: articles), alerting to the built-in target's file, on a fresh database;
    with `cache` (bench.monitor_run.warm_cache) as its data/cache, as a machine's runs after its first have it."""
    from bench.corpus import write_stream

    config = work_dir / "config"
    shutil.copytree(ROOT / "config", config, dirs_exist_ok=True)
    lines = ["folders:"]
    for name, articles in folders.items():
        write_stream(work_dir / name, list(articles))
        lines += [f"  - path: {work_dir / name}", f"    name: {name}"]
    (config / "sources.yaml").write_text("\n".join([*lines, "feeds: []"]) + "\n", encoding="utf-8")
    targets = ["version: 1", "urls:", "  - veille://:", "      tag: alerts, digest, operator", "      console: no"]
    (config / "targets.yaml").write_text("\n".join(targets) + "\n", encoding="utf-8")
    if cache is not None:
        shutil.copytree(cache, work_dir / "data" / "cache")
    with fresh_database("veille_data") as database:
        yield Scenario(work_dir, database)
