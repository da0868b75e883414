"""Start-up of a run (issue #14, goal 4): the model once per process for a watch list, and the heavy
imports only when a run needs them. The timings are in bench/startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tasks import extract
from tasks.extract import cached_pipeline, extract_batch, load_language_model
from tests.builders import article, watch_list
from tests.conftest import ROOT
from veille.extract.pipeline import MatchOptions

MODEL = "fr_core_news_sm"
# What a run with nothing new to read must not import: the model, and what only some runs need.
LAZY = ("spacy", "thinc", "datasketch", "scipy", "trafilatura", "htmldate", "courlan", "folium", "branca")


def test_the_model_loads_once_per_process_for_the_same_watch_list():
    before = extract.loads

    first = load_language_model.fn(MODEL, watch_list("hama"))
    # An equal watch list read again (a new object, as each run reads its file) is the same key.
    again = load_language_model.fn(MODEL, watch_list("hama"))
    defaults = load_language_model.fn(MODEL, watch_list("hama"), MatchOptions())

    assert again is first and defaults is first
    assert extract.loads == before + 1


def test_a_changed_watch_list_or_other_options_load_the_model_again_and_find_the_new_entry():
    hama = cached_pipeline(MODEL, watch_list("hama"))
    before = extract.loads

    both = cached_pipeline(MODEL, watch_list("hama", "alep"))
    strict = cached_pipeline(MODEL, watch_list("hama", "alep"), MatchOptions(fold=False))

    assert extract.loads == before + 2
    assert len({id(hama), id(both), id(strict)}) == 3
    text = article("Des tirs à Hama et à Alep.")
    found = [{m.entry_id for m in item.mentions if m.entry_id} for item in extract_batch.fn(both, [text], 8)]
    assert found == [{"hama", "alep"}]
    found = [{m.entry_id for m in item.mentions if m.entry_id} for item in extract_batch.fn(hama, [text], 8)]
    assert found == [{"hama"}]


def test_the_process_keeps_two_pipelines_at_most():
    lists = [watch_list(name) for name in ("homs", "idlib", "raqqa")]
    for entries in lists:
        cached_pipeline(MODEL, entries)
    before = extract.loads

    cached_pipeline(MODEL, lists[2])
    cached_pipeline(MODEL, lists[1])
    assert extract.loads == before, "the two latest are kept"
    cached_pipeline(MODEL, lists[0])
    assert extract.loads == before + 1, "the oldest was let go"


@pytest.mark.parametrize("module", ["flows.deployments", "flows.monitor", "flows.cli"])
def test_importing_the_flows_imports_neither_the_model_nor_what_only_some_runs_need(module):
    """What the runner's process imports before a run's first task (flows.deployments is its __main__)."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = {name.partition(".")[0] for name in json.loads(done.stdout)}

    assert sorted(imported.intersection(LAZY)) == []


def test_story_signatures_and_the_story_index_import_neither_datasketch_nor_scipy():
    """veille.minhash makes datasketch's signatures itself: its import (scipy with it) cost ~0.5 s of every run
    with text to read, before its first batch, and of every run that loads stored stories."""
    code = (
        "import sys; from veille.stories import signature, StoryIndex; "
        "from veille.minhash import from_bytes, to_bytes; "
        "s = signature(' '.join(f'mot{n}' for n in range(40))); StoryIndex().add('a', 1, from_bytes(to_bytes(s))); "
        "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_the_veille_command_exits_with_its_code_after_the_atexit_handlers_and_flushes_its_output():
    # The command skips the last garbage collection (flows.cli.exit_at_once); Prefect's atexit handlers
    # send its last logs, and what was printed must still come out, in order.
    script = (
        "import atexit, sys\n"
        "from flows.cli import exit_at_once\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "print('printed', end=' ')\n"
        "sys.stderr.write('and on stderr')\n"
        "exit_at_once(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (3, "printed atexit ran\n", "and on stderr")


def test_the_installed_veille_command_is_the_one_that_skips_the_last_collection():
    from importlib.metadata import entry_points

    (command,) = [point for point in entry_points(group="console_scripts") if point.name == "veille"]
    assert command.value == "flows.cli:console_main"
