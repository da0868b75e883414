"""alerts.jsonl after a real monitor run over the seeds: each line an alert with its fields, SQLite and PostgreSQL.

The whole path: the decision's details stored with the alert, read back with its due delivery, sent
through apprise to the built-in target, written as data; the webhook beside it gets its text alone.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import read_alert_file, run_monitor, write_targets
from tests.seed_alerts import EXPECTED_SEED_ALERTS
from veille.watchlist import load_watchlist

pytestmark = pytest.mark.usefixtures("prefect_harness")

NOW = "2026-11-22T08:00:00+00:00"
CANARY = "canary-hook-token-5f3a"
RULES = """\
rules:
  - id: mention
    kind: mention
  - id: weapon-back
    kind: first_seen
    entries: {kinds: [weapon]}
    quiet_days: 30
    severity: high
"""


@pytest.fixture
def seeds_run(workdir, receiver, monkeypatch):
    """One monitor run over the seeds with two rules, a fixed clock, the file target and a webhook whose
    URL holds a token; (the lines of alerts.jsonl by article file, what the webhook received, the watch list)."""
    (workdir / "config" / "rules.yaml").write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("VEILLE_RULES_FILE", str(workdir / "config" / "rules.yaml"))
    monkeypatch.setenv("VEILLE_NOW", NOW)
    receiver.start()
    write_targets(workdir, f"{receiver.url}/{CANARY}")

    summary = run_monitor()

    assert summary.delivery.sent == 4, summary.delivery.errors
    lines = {line["fields"]["article"]["location"].rsplit("/", 1)[-1]: line for line in read_alert_file(workdir)}
    return lines, receiver.received, load_watchlist(workdir / "config" / "watchlist.yaml"), workdir


def test_each_article_is_one_line_with_its_entries_rules_and_where_and_when(seeds_run):
    lines, _received, watchlist, workdir = seeds_run
    entries = {entry.id: entry for entry in watchlist.entries}

    assert set(lines) == set(EXPECTED_SEED_ALERTS), "one line per article"
    seen: set[str] = set()  # in the order of the file: a weapon's first mention ever fires weapon-back once
    for file, line in lines.items():
        fields = line["fields"]
        found = {entry["id"] for entry in fields["entries"]}
        assert found >= EXPECTED_SEED_ALERTS[file]
        assert fields["article"]["location"] == str(workdir / "seeds" / file) and fields["article"]["url"] is None
        # Seed 000 writes its date ("mis en ligne le 6 septembre 2017"), seed 003 none.
        written = {"000_cb98e6dd4b5ccfbd.txt": "2017-09-06T00:00:00+00:00"}.get(file)
        assert (fields["article"]["date"], fields["article"]["read_at"]) == (written, NOW)
        assert fields["article"]["source"].startswith("folder:") and fields["sources"] == [fields["article"]["source"]]
        for entry in fields["entries"]:
            watched = entries[entry["id"]]
            assert (entry["name"], entry["kind"]) == (watched.name, watched.kind)
            assert entry["variant"] in entry["sentence"], entry
            assert entry["coordinates"] == (list(watched.coordinates) if watched.coordinates else None)
            assert entry["occurrences"] >= 1
            expected_rules = [{"id": "mention", "kind": "mention", "severity": "normal", "why": "new mention"}]
            if watched.kind == "weapon":
                # Seed 000 is dated 2017-09-06 (its text says so), seed 003 is read on 2026-11-22: a weapon
                # that 000 named is back after 3,364 days in 003.
                why = "back in the news after 3364 days" if watched.id in seen else "first mention ever"
                expected_rules.append({"id": "weapon-back", "kind": "first_seen", "severity": "high", "why": why})
            assert entry["rules"] == expected_rules, entry["id"]
        fired = {rule["severity"] for entry in fields["entries"] for rule in entry["rules"]}
        assert fields["severity"] == ("high" if "high" in fired else "normal")
        seen |= found
        assert len(re.findall(r"\n  Rules? ", line["body"])) == len(found)
    kalibr = next(e for e in lines["003_14110cf45b5c4781.txt"]["fields"]["entries"] if e["id"] == "kalibr")
    assert kalibr["variant"] == "missiles Kalibr"
    deir = next(e for e in lines["003_14110cf45b5c4781.txt"]["fields"]["entries"] if e["id"] == "deir-ez-zor")
    assert (deir["variant"], deir["coordinates"]) == ("Deir Ezzor", [35.336, 40.141])


def test_the_webhook_gets_the_text_alone_and_no_token_reaches_the_file(seeds_run):
    lines, received, _watchlist, workdir = seeds_run

    assert len(received) == 2
    for payload in received:
        assert "fields" not in payload and set(payload) <= {"version", "title", "message", "attachments", "type"}
    assert sorted(p["message"] for p in received) == sorted(line["body"] for line in lines.values())
    text = (workdir / "data" / "alerts.jsonl").read_text(encoding="utf-8")
    assert CANARY not in text
    assert text.count("\n") == len(text.splitlines()) == 2, "whole lines, one per alert"
