"""`veille alerts` (flows.alerts) in-process, on a project's real SQLite store: the latest alerts, their
filters, JSON, and the mistakes an operator makes (an unknown entry, a bad date)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from flows.alerts import main
from tests.builders import NOW, article, found, route_to
from tests.project_store import project_folder, project_store
from tests.recording import record_detections
from veille.records import TargetRef
from veille.watchlist import load_watchlist

route = route_to(TargetRef("k1", "json://127.0.0.1/a"))
DAY = timedelta(days=1)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Three alerts: Hama in the inbox (day 0), Kalachnikov on feed sana (day 1), Hama and Kalachnikov in
    the inbox (day 2, its delivery sent)."""
    folder = project_folder(tmp_path, monkeypatch)
    monkeypatch.setenv("COLUMNS", "100")
    watchlist = load_watchlist(folder / "config" / "watchlist.yaml")
    store = project_store()
    try:
        for when, key, source, title, location, text_, entries in [
            (NOW, "a.txt", "folder:inbox", "Tirs", "inbox/a.txt", "Tirs à Hama.", ["Hama"]),
            (
                NOW + DAY,
                "k",
                "feed:sana",
                "Saisie d'armes",
                "https://sana.example/k?id=1",
                "Des Kalachnikov.",
                ["Kalachnikov"],
            ),
            (
                NOW + 2 * DAY,
                "c.txt",
                "folder:inbox",
                "Hama armée",
                "inbox/c.txt",
                "Hama : des Kalachnikov.",
                ["Hama", "Kalachnikov"],
            ),
        ]:
            item = found(article(text_, key=key, source=source, title=title, location=location), *entries)
            record_detections(store, [item], watchlist, route, when)
        (latest,) = store.recent_alerts(limit=1)
        (delivery,) = [d for d in store.due_deliveries(NOW + 3 * DAY, 60) if d.alert_id == latest.alert_id]
        store.mark_sent(delivery.id, NOW + 2 * DAY)
    finally:
        store.close()
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lists_the_latest_alerts_newest_first_with_entries_article_link_and_delivery(project, capsys):
    code, out, err = run(capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["WHEN", "(UTC)", "DELIVERY", "ARTICLE"]
    rows = lines[1::3]
    assert [row[:16] for row in rows] == ["2026-11-24 08:00", "2026-11-23 08:00", "2026-11-22 08:00"]
    assert "sent" in rows[0] and rows[0].endswith("Hama armée")
    assert lines[2].strip() == "Hama (place), Kalachnikov (weapon)"
    assert "sent 0 of 1; 1 to retry" in rows[1] and rows[1].endswith("Saisie d'armes")
    assert lines[6].strip() == "feed:sana: https://sana.example/k?id=1"
    assert lines[9].strip() == "folder:inbox: inbox/a.txt"
    assert all(len(line) <= 100 for line in lines)


def test_entry_source_and_dates_filter_and_an_entry_is_named_by_id_or_name(project, capsys):
    def shown_titles(*argv: str) -> list[str]:
        code, out, err = run(capsys, *argv)
        assert (code, err) == (0, ""), err
        return [line.rsplit("  ", 1)[-1] for line in out.splitlines()[1::3]]

    assert shown_titles("--entry", "kalachnikov") == ["Hama armée", "Saisie d'armes"]
    assert shown_titles("--entry", "hama", "--source", "inbox") == ["Hama armée", "Tirs"]
    assert shown_titles("--source", "feed:sana") == ["Saisie d'armes"]
    assert shown_titles("--since", "2026-11-23", "--until", "2026-11-23") == ["Saisie d'armes"]
    assert shown_titles("--until", "2026-11-22T12:00") == ["Tirs"]
    assert run(capsys, "--limit", "1")[0] == 0
    _, out, _ = run(capsys, "--limit", "1")
    assert out.splitlines()[-1] == "(the latest 1 alert; --limit N shows more)"


def test_an_unknown_entry_exits_2_with_the_entry_it_was_likely_meant_to_be(project, capsys):
    code, out, err = run(capsys, "--entry", "Hamma")
    assert (code, out) == (2, "")
    assert err == "veille alerts: --entry: no watched entry 'Hamma' (did you mean hama, damas?)\n"
    code, _, err = run(capsys, "--source", "sanaa")
    assert code == 2 and "(did you mean feed:sana?)" in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--since", "22/11/2026"], "'22/11/2026' is not an ISO date (2026-11-22) or date and time"),
        (["--until", "yesterday"], "'yesterday' is not an ISO date"),
        (["--since", "2026-11-23", "--until", "2026-11-22T00:00"], "--since 2026-11-23 is not before --until"),
    ],
    ids=["day-first", "word", "reversed"],
)
def test_a_bad_date_exits_2_with_one_clear_line(project, capsys, argv, says):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"veille alerts: {says}") and len(err.splitlines()) == 1


def test_json_gives_every_field_for_scripts(project, capsys):
    code, out, _ = run(capsys, "--json", "--source", "sana")
    assert code == 0
    (alert,) = json.loads(out)
    assert alert["entries"] == [{"name": "Kalachnikov", "kind": "weapon"}]
    assert (alert["title"], alert["source"], alert["link"]) == (
        "Saisie d'armes",
        "feed:sana",
        "https://sana.example/k?id=1",
    )
    assert alert["created_at"] == "2026-11-23T08:00:00+00:00"
    assert (alert["delivery"], alert["deliveries"]) == ("sent 0 of 1; 1 to retry", {"pending": 1})


def test_no_alert_is_one_line(project, capsys):
    assert run(capsys, "--entry", "alep") == (0, "No alert matches these filters.\n", "")


def test_a_title_with_terminal_escapes_reaches_the_terminal_inert(project, capsys):
    store = project_store()
    try:
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE articles SET title = :t"), {"t": "\x1b[2J\x1b]0;pwned\x07Titre\r\nfaux \u202e"})
            conn.execute(text("UPDATE articles SET location = :l WHERE key = 'k'"), {"l": "https://x.example/\x1b[31m"})
    finally:
        store.close()
    code, out, _ = run(capsys)
    assert code == 0
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", out), repr(out)
    assert "https://x.example/%1B%5B31m" in out
