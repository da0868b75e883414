"""The suite's floor: Veille's precision and recall on the annotated evaluation set, with the real model.

Not a fast test: it loads fr_core_news_sm once per matcher measured. The floors are in
tests/data/eval/floors.yaml; the figures of all three matchers are printed by `python -m bench.evaluate`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from veille.evaluation import MATCHERS, MODEL, Score, evaluate, load_passages
from veille.extract.pipeline import load_pipeline
from veille.watchlist import WatchList, load_watchlist

EVAL = Path(__file__).parent / "data" / "eval"
EVAL_FILES = (EVAL / "places.yaml", EVAL / "weapons.yaml")
FLOORS = yaml.safe_load((EVAL / "floors.yaml").read_text(encoding="utf-8"))
FLOOR_CASES = [
    (level, kind, measure, floor)
    for level, kinds in FLOORS.items()
    for kind, measures in kinds.items()
    for measure, floor in measures.items()
]


@pytest.fixture(scope="module")
def eval_watchlist() -> WatchList:
    return load_watchlist(EVAL / "watchlist.yaml")


@pytest.fixture(scope="module")
def pipelines(eval_watchlist):
    """The pipeline of each matcher that has one, loaded once for the module."""
    return {
        name: load_pipeline(MODEL, eval_watchlist, options) for name, options in MATCHERS.items() if options is not None
    }


@pytest.fixture(scope="module")
def veille_score(eval_watchlist, pipelines) -> Score:
    missing = [path.name for path in EVAL_FILES if not path.exists()]
    assert not missing, f"the evaluation set is missing {', '.join(missing)}"
    passages = load_passages(*EVAL_FILES, watchlist=eval_watchlist)
    return evaluate("veille", passages, eval_watchlist, pipelines["veille"])


def test_the_floors_cover_both_kinds_at_both_levels():
    assert {(level, kind, measure) for level, kind, measure, _ in FLOOR_CASES} == {
        (level, kind, measure)
        for level in ("pairs", "mentions")
        for kind in ("place", "weapon")
        for measure in ("precision", "recall")
    }


@pytest.mark.parametrize(("level", "kind", "measure", "floor"), FLOOR_CASES)
def test_veille_stays_above_its_floor(veille_score, level, kind, measure, floor):
    counts = getattr(veille_score, level).by_kind[kind]
    # The set must measure the kind at all, and Veille must find some of it: with no alert, precision
    # is undefined, and a floor of 0.0 would pass a matcher that finds nothing.
    assert counts.tp + counts.fn > 0, f"no expected {kind} in the evaluation set"
    assert counts.tp > 0, f"veille alerts on no expected {kind}"
    value = getattr(counts, measure)
    assert value is not None and value >= floor, (
        f"{level} {kind} {measure} {value:.3f} < floor {floor} "
        f"({counts.tp} TP, {counts.fp} FP, {counts.fn} FN; `python -m bench.evaluate --errors` lists them)"
    )


@pytest.mark.parametrize("matcher", list(MATCHERS))
def test_each_matcher_is_measured_by_the_same_code_on_the_sample(eval_watchlist, pipelines, matcher):
    passages = load_passages(EVAL / "sample.yaml", watchlist=eval_watchlist)
    result = evaluate(matcher, passages, eval_watchlist, pipelines.get(matcher))
    # Whatever a matcher finds, every expected pair and mention is counted once, found or missed.
    assert result.pairs.overall.tp + result.pairs.overall.fn == 14
    assert result.mentions.overall.tp + result.mentions.overall.fn == 14
    assert sum(c.tp + c.fn for c in result.pairs.by_class.values()) == 14
    # Every matcher finds the plain war reporting of the sample.
    assert result.pairs.by_class["place-plain"].tp == 1
    assert result.pairs.by_class["weapon-plain"].tp == 2
    assert len(result.mistakes) == result.mentions.overall.fp + result.mentions.overall.fn
