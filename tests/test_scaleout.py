"""Scale-out: two Prefect workers pulling the shard deployments of prefect.yaml from one Prefect server on
PostgreSQL, both writing to one PostgreSQL database, alert exactly as one run of everything does."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _alerts(database: str) -> list[tuple[str, str]]:
    """(article key, entry id) of every alert entry the database holds (a held one too)."""
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={database}") as conn:
        rows = conn.execute(
            "SELECT ar.key, e.entry_id FROM alert_entries e JOIN articles ar ON ar.id = e.article_id "
            "WHERE e.alert_id IS NOT NULL"
        ).fetchall()
    return [(key, entry) for key, entry in rows]


def _deliveries(database: str) -> Counter[str]:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={database}") as conn:
        return Counter(status for (status,) in conn.execute("SELECT status FROM deliveries").fetchall())


def _delivered(alert_file: Path) -> list[tuple[str, str]]:
    """(article key, entry id) of every alert the built-in target wrote to its file."""
    if not alert_file.exists():
        return []
    lines = [json.loads(line) for line in alert_file.read_text(encoding="utf-8").splitlines()]
    return [
        (Path(line["fields"]["article"]["location"]).name, entry["id"])
        for line in lines
        for entry in line["fields"]["entries"]
    ]


def test_two_workers_on_two_shards_alert_once_what_one_run_of_everything_alerts(tmp_path):
    from bench.cluster import folder_names, postgres_available, scaled_out, scenario
    from bench.corpus import news_stream

    problem = postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI must test PostgreSQL")
        pytest.skip(problem)
    # Every article in two folders of two shards: each story crosses the shards, and the two workers
    # read its two copies at the same time.
    articles = news_stream(40, 0.5)
    folders = dict.fromkeys(folder_names(2, 2), articles)
    with scaled_out(tmp_path, workers=2) as cluster:
        with scenario(tmp_path / "whole", folders) as whole:
            states = cluster.run(["monitor/monitor"], whole.environ)
            assert all(state.startswith("COMPLETED") for state in states), states
            expected = _alerts(whole.database)
        with scenario(tmp_path / "sharded", folders) as sharded:
            states = cluster.run(["monitor/monitor-shard-1", "monitor/monitor-shard-2"], sharded.environ)
            assert all(state.startswith("COMPLETED") for state in states), states
            got = _alerts(sharded.database)
            deliveries = _deliveries(sharded.database)
            delivered = _delivered(sharded.alert_file)
    assert len(expected) >= 10, expected  # the corpus alerts: the comparison says something
    duplicates = [item for item, count in Counter(got).items() if count > 1]
    assert duplicates == []
    assert set(expected) - set(got) == set(), "lost"
    assert set(got) == set(expected)
    assert sorted(delivered) == sorted(got)  # each delivered, once
    assert deliveries == Counter({"sent": deliveries.total()})
