"""`python -m flows.watch`, run in-process: check, explain (a text or a file), gazetteer, and its mistakes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from flows.watch import main

WATCHLIST = """\
min_confidence: 0.6
entries:
  - id: alep
    kind: place
    name: Alep
    country: SY
    not: ["rue d'Alep"]
  - id: manbij
    kind: place
    name: Manbij
    country: SY
    gazetteer: true
  - id: mortier
    kind: weapon
    name: mortier
    sense: military
  - id: kalibr
    kind: weapon
    name: Kalibr
    from: thesaurus
    fuzzy: true
    fold: false
"""
TEXT = "Le savon d'Alep est vendu au marché.\nDes tirs de mortier ont frappé Menbij.\n"


@pytest.fixture
def watchlist_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A watch list of every new key, and no VEILLE_* setting from the caller's environment."""
    for name in list(os.environ):
        if name.startswith("VEILLE_"):
            monkeypatch.delenv(name)
    path = tmp_path / "watchlist.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_lists_each_entry_with_its_spellings_by_origin_and_its_keys(watchlist_file, capsys):
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), "check")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "4 entries; mentions under confidence 0.6 are held"
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"alep", "manbij", "mortier", "kalibr"}
    assert rows["alep"].endswith("spellings: 1 alias; not: 1")
    assert re.search(r"spellings: 1 alias, \d+ gazetteer$", rows["manbij"]), rows["manbij"]
    assert rows["mortier"].endswith("spellings: 1 alias; sense: military")
    assert re.search(r"spellings: 1 alias, \d+ thesaurus; no fold, fuzzy$", rows["kalibr"]), rows["kalibr"]


def explained(out: str) -> dict[str, str]:
    """`explain`'s lines by entry id."""
    return {line.split(":", 1)[0]: line for line in out.splitlines()}


def assert_explains_text(out: str) -> None:
    lines = explained(out)
    assert set(lines) == {"alep", "mortier", "manbij"}, out
    assert lines["alep"].startswith("alep: 'Alep' at 11 (alias, confidence ")
    assert "held as doubtful: " in lines["alep"] and "savon" in lines["alep"]
    assert lines["mortier"].startswith(f"mortier: 'mortier' at {TEXT.index('mortier')} (alias, confidence ")
    assert ") alerts: words of war" in lines["mortier"]
    assert lines["manbij"].startswith(f"manbij: 'Menbij' at {TEXT.index('Menbij')} (gazetteer, confidence ")
    assert ") alerts" in lines["manbij"]


def test_explain_holds_aleppo_soap_as_doubtful_and_alerts_on_mortar_fire(watchlist_file, capsys):
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), "explain", TEXT)
    assert (code, err) == (0, "")
    assert_explains_text(out)


def test_explain_reads_a_file_as_it_reads_a_text(watchlist_file, tmp_path, capsys):
    text_file = tmp_path / "article.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), "explain", "--file", str(text_file))
    assert (code, err) == (0, "")
    assert_explains_text(out)


def test_explain_says_so_when_no_entry_is_in_the_text(watchlist_file, capsys):
    code, out, _ = run(capsys, "--watchlist-file", str(watchlist_file), "explain", "Il pleut sur Lyon.")
    assert (code, out) == (0, "no watched entry in this text\n")


def test_gazetteer_says_which_geonames_city_each_place_is_and_what_it_gains(watchlist_file, capsys):
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), "gazetteer")
    assert (code, err) == (0, "")
    assert re.search(r"^manbij: GeoNames \d+ \(Manbij, SY;", out, re.MULTILINE), out
    (gains,) = [line for line in out.splitlines() if line.startswith("manbij: gains ")]
    assert "Menbij" in gains
    # Places only: a weapon gains nothing from GeoNames.
    assert not any(line.startswith(("mortier:", "kalibr:")) for line in out.splitlines())
    assert out.splitlines()[-1].startswith("2 place entries, 2 matched")


@pytest.mark.parametrize(
    "argv",
    [["explain"], ["explain", "Alep", "--file", "article.txt"]],
    ids=["no-text", "text-and-file"],
)
def test_explain_without_exactly_one_text_exits_2_with_usage(watchlist_file, capsys, argv):
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), *argv)
    assert (code, out) == (2, "")
    assert "explain takes a TEXT or --file, one of them" in err


def test_explain_of_a_missing_file_exits_2_naming_it(watchlist_file, tmp_path, capsys):
    missing = tmp_path / "missing.txt"
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), "explain", "--file", str(missing))
    assert (code, out) == (2, "")
    assert err.startswith(f"veille: {missing}: cannot be read")


@pytest.mark.parametrize("command", [["check"], ["gazetteer"], ["explain", "Alep"]])
@pytest.mark.parametrize(
    ("replaced", "by", "line", "key"),
    [
        ("    fuzzy: true\n", "    fuzzy: 0.3\n", 21, "entries[3].fuzzy"),
        ("    sense: military\n", "    sense: military\n    contexte: [obus]\n", 17, "entries[2].contexte"),
        (
            "  - id: manbij\n    kind: place\n",
            "  - id: manbij\n    kind: place\n    sense: military\n",
            10,
            "entries[1].sense",
        ),
    ],
    ids=["fuzzy", "misspelt-key", "sense-of-a-place"],
)
def test_a_bad_watch_list_exits_2_naming_file_line_and_key(watchlist_file, capsys, command, replaced, by, line, key):
    assert replaced in WATCHLIST
    watchlist_file.write_text(WATCHLIST.replace(replaced, by, 1), encoding="utf-8")
    code, out, err = run(capsys, "--watchlist-file", str(watchlist_file), *command)
    assert (code, out) == (2, "")
    assert re.match(rf"veille: {re.escape(str(watchlist_file))}:{line}:\d+: {re.escape(key)}: ", err), err
    assert len(err.splitlines()) == 1


def test_a_missing_watch_list_exits_2_naming_it(tmp_path, watchlist_file, capsys):
    missing = tmp_path / "nowhere.yaml"
    code, _, err = run(capsys, "--watchlist-file", str(missing), "check")
    assert (code, err) == (2, f"veille: {missing}: file not found\n")
