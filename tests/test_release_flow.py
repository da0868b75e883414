"""A mention held as doubtful, then released by hand, through the real pipeline: the real model and store
(SQLite and PostgreSQL), `python -m flows.release` under Prefect's test harness, apprise delivering to
the built-in target and to a real local receiver.

The article is read and its mentions extracted as a monitor run does, then decided and recorded as its
`record_batch` task does (`plan_batch`, `record_plan`); its mention of mortier is given the confidence the
scorer gives a building's mortar (veille.extract.confidence), so that the test does not hang on that
scorer's figures.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from flows.common import load_configuration
from flows.release import main
from tasks.store import BatchSettings, plan_batch
from tests.conftest import read_alert_file, run_monitor, write_targets
from veille.extract.pipeline import extract_mentions, load_pipeline
from veille.ingest.folder import FolderSource
from veille.records import ArticleMentions
from veille.store.sql import SqlStore
from veille.stories import StoryIndex

pytestmark = pytest.mark.usefixtures("prefect_harness")

MASONRY = "Le maçon a refait le mortier du vieux mur de pierre, près de la boulangerie du village."
WHY = ("building vocabulary in its sentence (maçon, mur, pierre)",)


def hold_a_mortar_of_masonry(workdir) -> int:
    """The seeds folder holds one article naming mortier as a building material: recorded, held as doubtful."""
    for seed in (workdir / "seeds").iterdir():
        seed.unlink()
    (workdir / "seeds" / "mur.txt").write_text(f"Un mur refait\n\n{MASONRY}\n", encoding="utf-8")
    config = load_configuration(with_blocks=False)
    settings = config.settings
    folder = config.sources.folders[0]
    (read,) = [FolderSource(folder.path, settings.max_file_bytes, folder.name).read()]
    (found,) = extract_mentions(load_pipeline(settings.spacy_model, config.watchlist), read.articles, 10)
    mentions = tuple(replace(m, confidence=0.2, reasons=WHY) if m.entry_id == "mortier" else m for m in found.mentions)
    assert [m.text for m in mentions if m.entry_id] == ["mortier"], "the model and matcher found the mortar"
    store = SqlStore.open(settings.database_url_value)
    try:
        now = settings.clock()
        found = ArticleMentions(found.article, mentions)
        plan = plan_batch(store, [found], config.decision, StoryIndex(), now, BatchSettings())
        recorded = store.record_plan(plan, now)
    finally:
        store.close()
    assert recorded.alerts == []
    (held,) = recorded.doubtful
    return held.id


def test_a_doubtful_mention_is_held_listed_released_once_and_never_again(workdir, receiver, capsys):
    receiver.start()
    write_targets(workdir, receiver.url)
    held = hold_a_mortar_of_masonry(workdir)

    # Held: a monitor run finds the article unchanged and sends nothing.
    summary = run_monitor()
    assert (summary.unchanged, summary.alerts, receiver.received, read_alert_file(workdir)) == (1, [], [], [])

    # Listed.
    capsys.readouterr()
    assert main([]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == "1 mention held as doubtful, not released (python -m flows.release ID [ID ...] sends them):"
    assert listing[1].startswith(f"  {held}  ")
    assert (
        "  weapon mortier, written «mortier» (alias, confidence 0.20: building vocabulary in its sentence "
        "(maçon, mur, pierre)) in «Un mur refait» (folder:"
    ) in listing[1]
    assert listing[1].endswith("/seeds/mur.txt)"), listing[1]

    # Released: one alert, sent to both targets, marked released.
    assert main([str(held)]) == 0
    (said,) = capsys.readouterr().out.splitlines()
    assert said.startswith(f"{held}: released as alert ") and said.endswith(": sent (2 targets)"), said
    (message,) = receiver.received
    assert message["title"] == "Veille: mortier in «Un mur refait»"
    lines = message["message"].split("\n")
    assert lines[0] == "Weapon: mortier, written «mortier» (alias, confidence 0.20)"
    assert lines[3] == f"  Why: {WHY[0]}; released by hand"
    (line,) = read_alert_file(workdir)
    assert line["fields"]["entries"][0]["reasons"] == [*WHY, "released by hand"]

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
    assert err == "veille: release: no mention held as doubtful has id 4242 (python -m flows.release lists them)\n"
