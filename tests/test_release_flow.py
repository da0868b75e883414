"""A mention held as doubtful, then released by hand, through the real pipeline: the real model, matcher
and confidence, the real store (SQLite and PostgreSQL), the monitor flow and `veille release`
under Prefect's test harness, apprise delivering to the built-in target and to a real local receiver.
"""

from __future__ import annotations

import pytest

from flows.release import main
from tests.conftest import read_alert_file, run_monitor, write_targets

pytestmark = pytest.mark.usefixtures("prefect_harness")

MASONRY = "Le maçon a refait le mortier du vieux mur de pierre, près de la boulangerie du village."


def hold_a_mortar_of_masonry(workdir):
    """The seeds folder holds one article naming mortier as a building material: a monitor run holds it."""
    for seed in (workdir / "seeds").iterdir():
        seed.unlink()
    (workdir / "seeds" / "mur.txt").write_text(f"Un mur refait\n\n{MASONRY}\n", encoding="utf-8")
    return run_monitor()


def test_a_doubtful_mention_is_held_listed_released_once_and_never_again(workdir, receiver, capsys):
    receiver.start()
    write_targets(workdir, receiver.url)
    first = hold_a_mortar_of_masonry(workdir)

    # Held: the run that read it sends nothing and says so; the next finds it unchanged.
    assert (first.alerts, receiver.received, read_alert_file(workdir)) == ([], [], [])
    (doubtful,) = first.doubtful
    held = doubtful.id
    assert "1 mention held as doubtful" in first.headline()
    summary = run_monitor()
    assert (summary.unchanged, summary.alerts, receiver.received) == (1, [], [])

    # Listed.
    capsys.readouterr()
    assert main([]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == "1 mention held as doubtful, not released (veille release ID [ID ...] sends them):"
    assert listing[1].startswith(f"  {held}  ")
    assert (
        "  weapon mortier, written «mortier» (alias, confidence 0.19: not of war: maçon (construction)) "
        "in «Un mur refait» (folder:"
    ) in listing[1]
    assert listing[1].endswith("/seeds/mur.txt)"), listing[1]

    # Released: one alert, sent to both targets, marked released.
    assert main([str(held)]) == 0
    (said,) = capsys.readouterr().out.splitlines()
    assert said.startswith(f"{held}: released as alert ") and said.endswith(": sent (2 targets)"), said
    (message,) = receiver.received
    assert message["title"] == "Veille: mortier in «Un mur refait»"
    lines = message["message"].split("\n")
    assert lines[0] == "Weapon: mortier, written «mortier» (alias, confidence 0.19)"
    assert lines[3] == "  Why: not of war: maçon (construction); released by hand"
    (line,) = read_alert_file(workdir)
    assert line["fields"]["entries"][0]["reasons"] == ["not of war: maçon (construction)", "released by hand"]

    # Released again: nothing more.
    assert main([str(held)]) == 0
    alert_id = said.split("released as alert ")[1].split(":")[0]
    assert capsys.readouterr().out.splitlines() == [f"{held}: already released as alert {alert_id}"]
    assert main([]) == 0
    assert capsys.readouterr().out.splitlines() == ["No mention held as doubtful waits to be released."]
    assert len(receiver.received) == 1 and len(read_alert_file(workdir)) == 1


def test_an_unknown_id_is_a_clear_error_with_exit_status_2(workdir, capsys):
    assert main(["4242"]) == 2

    err = capsys.readouterr().err
    assert err == "veille: release: no mention held as doubtful has id 4242 (veille release lists them)\n"
