"""`veille sources` (flows.sources_cmd) in-process, on a project's real SQLite store: each configured source's
state (ok, failing, silent, never read), its masked last error, `--failing` and `--json`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from flows.sources_cmd import main
from tests.builders import NOW, article, batch, found, route_to
from tests.project_store import project_folder, project_store
from tests.recording import record_detections
from veille.records import TargetRef
from veille.watchlist import load_watchlist

DAY = timedelta(days=1)
SECRET_ERROR = "HTTP 503 from https://reader:hunter2@sana.example/rss?token=s3cr3t\x1b[31m"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """inbox never read; feed:sana ok once, then failing 3 times with a URL holding a password in its
    error; feed:quiet brought articles daily for 5 days, then nothing for 7 days though it answers."""
    folder = project_folder(tmp_path, monkeypatch)
    monkeypatch.setenv("COLUMNS", "120")
    watchlist = load_watchlist(folder / "config" / "watchlist.yaml")
    route = route_to(TargetRef("k1", "json://127.0.0.1/a"))
    store = project_store()
    try:
        for day in range(5):
            moment = NOW - (11 - day) * DAY
            item = found(article("Rien.", key=f"q{day}", source="feed:quiet"))
            record_detections(store, [item], watchlist, route, moment)
            store.record_source_reads([batch("feed:quiet", item.article)], moment)
        store.record_source_reads([batch("feed:quiet")], NOW)
        store.record_source_reads([batch("feed:sana", article("x", key="s", source="feed:sana"))], NOW - 3 * DAY)
        record_detections(
            store, [found(article("Rien.", key="s", source="feed:sana"))], watchlist, route, NOW - 3 * DAY
        )
        for hours in (2, 1, 0):
            store.record_source_reads([batch("feed:sana", failure=SECRET_ERROR)], NOW - timedelta(hours=hours))
    finally:
        store.close()
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_configured_source_shows_its_state_entries_and_masked_error(project, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run(capsys)
    assert (code, err) == (0, "")
    header, *lines = out.splitlines()
    rows = [line for line in lines if not line.startswith(" ")]
    assert header.split()[:4] == ["SOURCE", "LAST", "READ", "(UTC)"]
    by_name = {row.split()[0]: row for row in rows}
    assert list(by_name) == ["folder:inbox", "feed:sana", "feed:quiet"]
    assert by_name["folder:inbox"].split()[1:4] == ["never", "never", "read"]
    sana = by_name["feed:sana"]
    assert "2026-11-22 08:00  failing since 2026-11-19 08:00, 3 failures in a row  1" in sana
    assert "hunter2" not in out and "s3cr3t" not in out and "\x1b" not in out
    (error,) = [line for line in lines if line.startswith(" ")]
    assert lines[lines.index(sana) + 1] == error and error.startswith("    last error: HTTP 503 from https://")
    quiet = by_name["feed:quiet"]
    assert "2026-11-22 08:00  silent for 7 days  " in quiet and quiet.split()[-1] == "5"
    monkeypatch.setenv("COLUMNS", "100")
    assert all(len(line) <= 100 for line in run(capsys)[1].splitlines())


def test_failing_lists_only_the_failing_sources(project, capsys):
    code, out, _ = run(capsys, "--failing")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:] if not line.startswith(" ")] == ["feed:sana"]


def test_json_gives_each_sources_facts_masked(project, capsys):
    code, out, _ = run(capsys, "--json")
    assert code == 0
    records = {r["name"]: r for r in json.loads(out)}
    assert [records[name]["state"] for name in records] == ["never read", "failing", "silent"]
    assert records["feed:sana"]["failures_in_a_row"] == 3 and records["feed:sana"]["entries"] == 1
    assert "hunter2" not in out and "s3cr3t" not in out
    assert records["feed:quiet"]["silent_for_seconds"] == 7 * 86400
    assert records["folder:inbox"]["last_read_at"] is None


def test_a_source_that_recovers_is_ok_again(project, capsys):
    store = project_store()
    try:
        store.record_source_reads([batch("feed:sana", article("y", key="t", source="feed:sana"))], NOW + DAY)
    finally:
        store.close()
    code, out, _ = run(capsys, "--failing")
    assert (code, out) == (0, "No source is failing.\n")
    records = {r["name"]: r for r in json.loads(run(capsys, "--json")[1])}
    assert records["feed:sana"]["state"] == "ok"


def test_a_broken_sources_file_exits_2_naming_it(project, capsys):
    (project / "config" / "sources.yaml").write_text("feeds:\n  - name: x\n    url: ftp://x\n", encoding="utf-8")
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("veille sources: ") and "sources.yaml:3" in err and len(err.splitlines()) == 1
