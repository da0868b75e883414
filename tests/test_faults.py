"""Fault injection: monitor processes refused, killed, overlapped, and cut off from PostgreSQL.

Each run is a real `python -m flows.monitor` process against one Prefect server started for this
module. Figures are printed (run with -s to see them) and quoted in the README's guarantee.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CONFIG, POSTGRES_URL, Receiver, free_port, postgres_or_skip

pytestmark = pytest.mark.faults

PLACES = ["Deir ez-Zor", "Raqqa", "Hama", "Alep", "Idlib", "Palmyre", "Homs", "al-Boukamal"]
EVENTS = [
    "Des tirs de mortier ont visé {place} dans la nuit, selon des témoins.",
    "Des bombardiers Tu-22M3 ont frappé les environs de {place} à l'aube.",
    "Un convoi de véhicules Hummer a été aperçu près de {place} mardi.",
    "Des fusils Kalachnikov ont été saisis dans un dépôt à {place}.",
    "Des missiles Kalibr ont été tirés vers {place} depuis la Méditerranée.",
]
ARTICLES = 30
EXPECTED_ALERTS = 30  # one message per article, naming its place and two weapons
EXPECTED_ENTRIES = 90
SEED = int(os.environ.get("VEILLE_FAULT_SEED", "20171106"))
# The receiver is untagged, so it also gets the operator's alarm when a run fails.
OPERATOR_ALARM = re.compile(r"Veille: monitor run \S+ (failed|crashed)$")


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True)
    add_articles(folder, 0, ARTICLES)


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """A real Prefect server (no UI, no scheduler) for every monitor process of this module."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = dict(
        os.environ,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE="100",
    )
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
            "--no-scheduler",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"Prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


class Monitor:
    """Starts monitor processes over one corpus, one database and one receiver."""

    def __init__(self, root: Path, database_url: str, receiver: Receiver, api_url: str, extra_urls: str = "") -> None:
        self.root = root
        self.database_url = database_url
        self.receiver = receiver
        write_corpus(root / "corpus")
        (root / "sources.yaml").write_text(f"folders:\n  - path: {root / 'corpus'}\n", encoding="utf-8")
        (root / "targets.yaml").write_text(f"version: 1\nurls:\n  - {receiver.url}\n", encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))} | {
            "PREFECT_API_URL": api_url,
            "VEILLE_DATA_DIR": str(root / "data"),
            "VEILLE_DATABASE_URL": database_url,
            "VEILLE_SOURCES_FILE": str(root / "sources.yaml"),
            "VEILLE_TARGETS_FILE": str(root / "targets.yaml"),
            "VEILLE_WATCHLIST_FILE": str(CONFIG / "watchlist.yaml"),
            "VEILLE_STORY_THRESHOLD": "1.0",  # every article its own story: one alert per article and entry
            "VEILLE_BATCH_SIZE": "8",
            "VEILLE_RETRY_BACKOFF_SECONDS": "0",
            "VEILLE_DELIVERY_LEASE_SECONDS": "2",
        }
        if extra_urls:
            self.env["VEILLE_NOTIFY_URLS"] = extra_urls

    def start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "flows.monitor"],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self) -> tuple[int, str, float]:
        started = time.monotonic()
        process = self.start()
        output, _ = process.communicate(timeout=300)
        return process.returncode, output, time.monotonic() - started

    def received(self) -> Counter:
        """The alerts received, by title; the operator's alarms about failed runs are counted apart."""
        return Counter(title for title in self._titles() if not OPERATOR_ALARM.match(title))

    def alarms(self) -> list[str]:
        return [title for title in self._titles() if OPERATOR_ALARM.match(title)]

    def _titles(self) -> list[str]:
        return [message["title"] for message in self.receiver.received]

    def alerts_in_database(self) -> int:
        return self._count("SELECT count(*) FROM alerts")

    def entries_in_database(self) -> int:
        """(story, entry) rows: what makes each entry of a story alert once."""
        return self._count("SELECT count(*) FROM alert_entries")

    def _count(self, query: str) -> int:
        engine = create_engine(self.database_url)
        with engine.connect() as connection:
            count = connection.execute(text(query)).scalar()
        engine.dispose()
        return count


def postgres_schema_url() -> tuple[str, callable]:
    postgres_or_skip()
    import psycopg

    schema = f"veille_faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", drop


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'veille.db'}"
        return
    url, drop = postgres_schema_url()
    yield url
    drop()


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def assert_exactly_once(monitor: Monitor) -> None:
    received = monitor.received()
    assert len(received) == EXPECTED_ALERTS, f"{EXPECTED_ALERTS - len(received)} alerts lost"
    assert max(received.values()) == 1, f"sent twice: {[t for t, c in received.items() if c > 1]}"
    assert monitor.alerts_in_database() == EXPECTED_ALERTS
    assert monitor.entries_in_database() == EXPECTED_ENTRIES


def test_receiver_refusing_for_three_runs_then_accepting_gets_every_alert_once(tmp_path, prefect_api, receiver):
    monitor = Monitor(tmp_path, f"sqlite:///{tmp_path / 'data' / 'veille.db'}", receiver, prefect_api)
    receiver.status = 503
    for _ in range(3):
        code, output, _ = monitor.run()
        assert code == 0, output
        assert "0 sent" in output and "to retry" in output
    receiver.status = 200
    code, output, _ = monitor.run()
    assert code == 0, output
    assert_exactly_once(monitor)
    print(f"\nrefused x3 then accepted: {len(monitor.received())} alerts received, each once")


def test_sigkill_at_random_points_loses_nothing(tmp_path, prefect_api, receiver):
    """20 monitor processes killed at random moments, each with new articles to work on."""
    receiver.delay = 0.02  # a service that takes 20 ms widens the window between sent and recorded
    monitor = Monitor(tmp_path / "killed", f"sqlite:///{tmp_path / 'killed.db'}", receiver, prefect_api)
    code, output, duration = monitor.run()  # a clean run over the first articles: how long a run lasts
    assert code == 0, output
    chance = random.Random(SEED)
    kills, attempts, added = [], 0, ARTICLES
    while len(kills) < 20 and attempts < 40:
        attempts += 1
        add_articles(monitor.root / "corpus", added, 3)
        added += 3
        process = monitor.start()
        moment = chance.uniform(2.0, duration)
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            kills.append(round(moment, 1))
    time.sleep(2.5)  # the lease of a delivery claimed by a killed run
    assert processes_in(monitor.root) == [], "processes of killed runs outlived them (the run lock with them)"
    code, output, _ = monitor.run()
    assert code == 0, output

    receiver_after_kills = monitor.received()
    receiver.received.clear()
    receiver.delay = 0
    reference = Monitor(tmp_path / "reference", f"sqlite:///{tmp_path / 'reference.db'}", receiver, prefect_api)
    add_articles(reference.root / "corpus", ARTICLES, added - ARTICLES)
    code, output, _ = reference.run()
    assert code == 0, output
    expected = set(reference.received())

    lost = expected - set(receiver_after_kills)
    twice = sum(count - 1 for count in receiver_after_kills.values() if count > 1)
    print(
        f"\nSIGKILL: {len(kills)} kills in {attempts} runs, at {kills} s (a clean run takes {duration:.1f} s); "
        f"{added} articles, {len(expected)} alerts expected, {len(lost)} lost, {twice} delivered twice, "
        f"{monitor.alerts_in_database()} in the database"
    )
    assert len(kills) == 20
    assert not lost
    assert set(receiver_after_kills) == expected
    assert monitor.alerts_in_database() == len(expected) == added, "one message per article"
    assert monitor.entries_in_database() == 3 * added
    # Only a delivery in flight when the process died can be repeated: at most one per kill.
    assert twice <= len(kills)


def processes_in(folder: Path) -> list[str]:
    """The processes working in `folder` (a run's model processes among them), as pid and command; Linux."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.joinpath("cwd").resolve() == folder.resolve():
                command = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append(f"{proc.name} {command}")
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found


def add_articles(folder: Path, first: int, count: int) -> None:
    """More articles of the same kind, numbered from `first`."""
    for n in range(first, first + count):
        place = PLACES[n % len(PLACES)]
        body = " ".join(EVENTS[(n + k * 2) % len(EVENTS)].format(place=place) for k in range(2))
        (folder / f"{n:03d}.txt").write_text(
            f"Dépêche numéro {n} sur {place}\n{body}\nRédigée le {n + 1} novembre par notre correspondant.\n",
            encoding="utf-8",
        )


def test_two_runs_at_the_same_time_create_and_send_each_alert_once(tmp_path, prefect_api, receiver, database):
    monitor = Monitor(tmp_path, database, receiver, prefect_api)
    first, second = monitor.start(), monitor.start()
    outputs = [process.communicate(timeout=300)[0] for process in (first, second)]
    assert first.returncode == 0, outputs[0]
    assert second.returncode == 0, outputs[1]
    assert_exactly_once(monitor)
    skipped = sum(SKIPPED in output for output in outputs)
    print(
        f"\ntwo runs started at once on {database.split(':')[0]}: {len(monitor.received())} alerts, each once; "
        f"{skipped} of them skipped by the run lock"
    )


SKIPPED = "skipped: another monitor run is processing"


def test_a_run_started_while_another_processes_does_nothing(tmp_path, prefect_api, receiver, database):
    """The second process arrives while the first is sending (a slow target): it is turned away by the lock."""
    monitor = Monitor(tmp_path, database, receiver, prefect_api)
    receiver.delay = 0.6  # 30 deliveries: the first run sends for about 18 s
    first = monitor.start()
    deadline = time.monotonic() + 120
    while not receiver.received:
        assert time.monotonic() < deadline and first.poll() is None, "the first run never started sending"
        time.sleep(0.05)
    code, output, _ = monitor.run()
    sent_when_second_ended = len(receiver.received)
    first_output, _ = first.communicate(timeout=300)

    assert code == 0, output
    assert SKIPPED in output and "monitor summary" not in output, output
    assert sent_when_second_ended < EXPECTED_ALERTS, "the first run had finished: nothing overlapped"
    assert first.returncode == 0 and "alerts:        30 created, 90 entries in them" in first_output, first_output
    assert_exactly_once(monitor)
    print(
        f"\nrun started during another on {database.split(':')[0]}: skipped "
        f"({output.strip().splitlines()[-1]!r}); {len(monitor.received())} alerts, each once"
    )


@pytest.mark.parametrize("outage_seconds", [3, 40], ids=["blink", "outage"])
def test_postgresql_stopped_mid_run_then_the_next_run_completes(tmp_path, prefect_api, receiver, outage_seconds):
    """A blink is ridden out by the run; a longer outage fails it, tells the operator, and the next run completes."""
    url, drop = postgres_schema_url()
    cluster = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else None
    if cluster is None:
        drop()
        pytest.skip("no local PostgreSQL cluster to stop (pg_ctlcluster)")
    try:
        monitor = Monitor(tmp_path, url, receiver, prefect_api)
        receiver.delay = 0.05
        process = monitor.start()
        deadline = time.monotonic() + 120
        while len(receiver.received) < 5:  # in the middle of sending: a database write per delivery
            assert time.monotonic() < deadline and process.poll() is None, "the run never started sending"
            time.sleep(0.05)
        pg_ctl(cluster, "stop")
        stopped_after = len(receiver.received)
        time.sleep(outage_seconds)
        pg_ctl(cluster, "start")
        output, _ = process.communicate(timeout=300)
        last_line = output.strip().splitlines()[-1]
        print(
            f"\nPostgreSQL stopped for {outage_seconds} s after {stopped_after} alerts were sent: run exit "
            f"{process.returncode}; {last_line!r}; operator alarms: {monitor.alarms()}"
        )
        if outage_seconds > 20:  # longer than the ~15 s a delivery's writes wait out
            assert process.returncode != 0, output
        if process.returncode != 0:
            assert last_line.startswith("veille: monitor failed:") and "database error" in last_line, output
            assert len(monitor.alarms()) == 1, f"the operator was not told once of the failed run: {monitor.alarms()}"
        else:
            assert monitor.alarms() == []
        code, output, _ = monitor.run()
        assert code == 0, output
        if "while recording a delivery" in last_line:  # the send the database could not record, from the journal
            assert "1 sent by an earlier run recorded now" in output, output
        assert_exactly_once(monitor)
    finally:
        pg_ctl(cluster, "start")
        drop()


def pg_ctl(cluster: str, action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", action]
        + (["-m", "fast"] if action == "stop" else []),
        capture_output=True,
        timeout=60,
    )
    if action == "start":
        deadline = time.monotonic() + 60
        while subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.5)


def test_canary_secrets_appear_nowhere(tmp_path, prefect_api, receiver):
    postgres_or_skip()
    url, drop = postgres_schema_url()
    try:
        # Trust authentication ignores the password, so it can be a canary.
        canary_url = url.replace("postgres@", "postgres:canary-db-password@")
        dead = free_port()
        monitor = Monitor(
            tmp_path,
            canary_url,
            receiver,
            prefect_api,
            extra_urls=f"json://veille:canary-webhook-token@127.0.0.1:{dead}/hook",
        )
        code, output, _ = monitor.run()
        assert code == 0, output
        assert "to retry" in output  # the dead webhook failed, so its errors were logged and recorded
        places = {"process output": output}
        for file in (tmp_path / "data").rglob("*"):
            if file.is_file():
                places[str(file)] = file.read_text(encoding="utf-8", errors="replace")
        engine = create_engine(url)
        with engine.connect() as connection:
            for table in ("deliveries", "alerts", "sources"):
                places[f"table {table}"] = repr(connection.execute(text(f"SELECT * FROM {table}")).all())
        engine.dispose()
        runs = httpx.post(f"{prefect_api}/flow_runs/filter", json={"limit": 200}).json()
        places["flow run parameters"] = repr([run["parameters"] for run in runs])
        places["flow run states"] = repr([run.get("state") for run in runs])
        places["prefect logs"] = repr(httpx.post(f"{prefect_api}/logs/filter", json={"limit": 10000}).json())
        artifacts = httpx.post(f"{prefect_api}/artifacts/filter", json={"limit": 200}).json()
        assert any(a["key"] == "monitor-summary" for a in artifacts), "the run published its summary"
        places["prefect artifacts"] = repr(artifacts)
        for canary in ("canary-db-password", "canary-webhook-token"):
            leaks = [place for place, content in places.items() if canary in content]
            assert not leaks, f"{canary} found in {leaks}"
        print(f"\ncanaries searched in {len(places)} places: none found")
    finally:
        drop()
