"""The evaluation's pure parts: loading the annotated set, the whole-word baseline, and the scoring."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from veille.errors import ConfigError
from veille.evaluation import (
    CLASSES,
    Counts,
    Expected,
    Passage,
    Prediction,
    alerts,
    evaluate,
    load_passages,
    score,
    whole_word_predictions,
)
from veille.records import Mention
from veille.watchlist import WatchEntry, WatchList, load_watchlist

EVAL = Path(__file__).parent / "data" / "eval"
SAMPLE = EVAL / "sample.yaml"
KINDS = {"alep": "place", "hama": "place", "mortier": "weapon", "kalibr": "weapon"}


@pytest.fixture(scope="module")
def eval_watchlist() -> WatchList:
    return load_watchlist(EVAL / "watchlist.yaml")


def passage(text: str, *expected: tuple[str, str], klass: str = "place-plain", id: str = "p-001") -> Passage:
    """A passage expecting each (entry, written) at the first occurrence of `written` not taken yet."""
    found, taken = [], 0
    for entry_id, written in expected:
        start = text.index(written, taken)
        found.append(Expected(entry_id, start, start + len(written)))
        taken = start + len(written)
    return Passage(id, klass, text, tuple(found))


def predicted(text: str, written: str, entry_id: str, *, nth: int = 1, **fields: object) -> Prediction:
    """The prediction of `written` at its `nth` occurrence in `text`."""
    start = -1
    for _ in range(nth):
        start = text.index(written, start + 1)
    return Prediction(entry_id, start, start + len(written), written, **fields)


ALEP_TWICE = "Les bombardements sur Alep ont repris ; à Alep-Est, les civils fuient."
SAVON_AND_ALEP = "Le savon d'Alep se vend bien à Paris, mais à Alep même les savonneries sont détruites."


@pytest.mark.parametrize(
    ("case", "passage_", "predictions", "pairs", "mentions"),
    [
        (
            "an exact hit is a true positive at both levels",
            passage("Frappes sur Alep.", ("alep", "Alep")),
            [predicted("Frappes sur Alep.", "Alep", "alep")],
            Counts(1, 0, 0),
            Counts(1, 0, 0),
        ),
        (
            "nothing predicted where a mention is expected is a miss",
            passage("Frappes sur Alep.", ("alep", "Alep")),
            [],
            Counts(0, 0, 1),
            Counts(0, 0, 1),
        ),
        (
            "a passage expecting nothing contributes only a false alert",
            passage("Le savon d'Alep.", klass="place-product"),
            [predicted("Le savon d'Alep.", "Alep", "alep")],
            Counts(0, 1, 0),
            Counts(0, 1, 0),
        ),
        (
            "a mention held as doubtful is a miss",
            passage("Frappes sur Alep.", ("alep", "Alep")),
            [predicted("Frappes sur Alep.", "Alep", "alep", alerts=False, confidence=0.3)],
            Counts(0, 0, 1),
            Counts(0, 0, 1),
        ),
        (
            "a held look-alike costs nothing",
            passage("Le savon d'Alep.", klass="place-product"),
            [predicted("Le savon d'Alep.", "Alep", "alep", alerts=False)],
            Counts(0, 0, 0),
            Counts(0, 0, 0),
        ),
        (
            "two mentions expected and one alerted: the pair is right, a mention is missed",
            passage(ALEP_TWICE, ("alep", "Alep"), ("alep", "Alep")),
            [predicted(ALEP_TWICE, "Alep", "alep")],
            Counts(1, 0, 0),
            Counts(1, 0, 1),
        ),
        (
            "a longer span over the expected one is a hit",
            passage("Des missiles Kalibr ont été tirés.", ("kalibr", "Kalibr"), klass="weapon-plain"),
            [predicted("Des missiles Kalibr ont été tirés.", "missiles Kalibr", "kalibr")],
            Counts(1, 0, 0),
            Counts(1, 0, 0),
        ),
        (
            "another entry at the same characters is a false alert and a miss",
            passage("Frappes sur Hama.", ("hama", "Hama")),
            [predicted("Frappes sur Hama.", "Hama", "alep")],
            Counts(0, 1, 1),
            Counts(0, 1, 1),
        ),
        (
            "a span that touches the expected one without overlapping is no hit, though the pair is right",
            passage("Alep, Alep.", ("alep", "Alep")),
            [Prediction("alep", 4, 6, ", ")],
            Counts(1, 0, 0),
            Counts(0, 1, 1),
        ),
        (
            "the look-alike beside the true mention is a false alert at the mention level only",
            passage(SAVON_AND_ALEP, ("alep", "à Alep"), klass="place-product"),
            [predicted(SAVON_AND_ALEP, "Alep", "alep"), predicted(SAVON_AND_ALEP, "Alep", "alep", nth=2)],
            Counts(1, 0, 0),
            Counts(1, 1, 0),
        ),
        (
            "the same span alerted twice is two alerts",
            passage("Frappes sur Alep.", ("alep", "Alep")),
            [predicted("Frappes sur Alep.", "Alep", "alep")] * 2,
            Counts(1, 0, 0),
            Counts(1, 1, 0),
        ),
    ],
)
def test_scoring(case, passage_, predictions, pairs, mentions):
    result = score([passage_], {passage_.id: predictions}, KINDS)
    assert (result.pairs.overall, result.mentions.overall) == (pairs, mentions), case


def test_counts_are_split_by_entry_kind_and_by_passage_class():
    hit = passage("Frappes sur Alep.", ("alep", "Alep"), id="p-1")
    mason = passage("Le maçon gâche le mortier.", klass="weapon-other-sense", id="p-2")
    missed = passage("Un tir de Kalibr.", ("kalibr", "Kalibr"), klass="weapon-plain", id="p-3")
    predictions = {"p-1": [predicted(hit.text, "Alep", "alep")], "p-2": [predicted(mason.text, "mortier", "mortier")]}
    result = score([hit, mason, missed], predictions, KINDS)
    assert result.pairs.by_kind == {"place": Counts(1, 0, 0), "weapon": Counts(0, 1, 1)}
    # In the order of CLASSES (look-alikes first), each class of the set present even with nothing counted.
    assert result.pairs.by_class == {
        "weapon-other-sense": Counts(0, 1, 0),
        "place-plain": Counts(1, 0, 0),
        "weapon-plain": Counts(0, 0, 1),
    }
    assert result.pairs.overall == Counts(1, 1, 1)
    assert score([mason], {}, KINDS).pairs.by_class == {"weapon-other-sense": Counts()}


@pytest.mark.parametrize(
    ("counts", "precision", "recall"),
    [
        (Counts(3, 1, 2), 0.75, 0.6),
        (Counts(0, 0, 0), None, None),  # nothing predicted, nothing expected: undefined, not perfect
        (Counts(0, 2, 0), 0.0, None),
        (Counts(0, 0, 2), None, 0.0),
        (Counts(4, 0, 0), 1.0, 1.0),
    ],
)
def test_precision_and_recall(counts, precision, recall):
    assert (counts.precision, counts.recall) == (precision, recall)


def test_each_mistake_says_what_was_predicted_or_missed_and_why():
    text = "Le savon d'Alep, puis Hama et Kalibr."
    passage_ = passage(text, ("hama", "Hama"), ("kalibr", "Kalibr"), klass="place-product")
    predictions = [
        predicted(text, "Alep", "alep", matched_by="alias", confidence=0.9, reasons=("PER",)),
        predicted(text, "Hama", "hama", matched_by="fold", confidence=0.2, reasons=("inside ORG",), alerts=False),
    ]
    mistakes = {(m.outcome, m.entry_id): m for m in score([passage_], {passage_.id: predictions}, KINDS).mistakes}
    assert set(mistakes) == {("false alert", "alep"), ("missed", "hama"), ("missed", "kalibr")}
    false_alert, held = mistakes["false alert", "alep"], mistakes["missed", "hama"]
    not_found = mistakes["missed", "kalibr"]
    assert (false_alert.text, false_alert.confidence, false_alert.reasons) == ("Alep", 0.9, ("PER",))
    assert false_alert.pair
    assert (held.text, held.matched_by, held.confidence, held.reasons) == ("Hama", "fold", 0.2, ("inside ORG",))
    assert (not_found.text, not_found.matched_by, not_found.confidence, not_found.reasons) == ("Kalibr", None, None, ())
    assert {m.klass for m in mistakes.values()} == {"place-product"}


def test_a_false_alert_beside_a_true_mention_of_its_entry_is_wrong_at_the_mention_level_only():
    passage_ = passage(SAVON_AND_ALEP, ("alep", "à Alep"), klass="place-product")
    predictions = [predicted(SAVON_AND_ALEP, "Alep", "alep"), predicted(SAVON_AND_ALEP, "Alep", "alep", nth=2)]
    (mistake,) = score([passage_], {passage_.id: predictions}, KINDS).mistakes
    assert (mistake.outcome, mistake.start, mistake.pair) == ("false alert", SAVON_AND_ALEP.index("Alep"), False)


# Loading the set.


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_expected_offsets_are_resolved_from_the_text_and_the_occurrence(tmp_path):
    path = write(
        tmp_path,
        "set.yaml",
        """\
passages:
  - id: t-001
    class: place-venue
    text: "Au zoo de La Palmyre, on parle de Palmyre, en Syrie."
    expect:
      - {entry: palmyre, text: "Palmyre", at: 2}
  - id: t-002
    class: variant-line-break
    text: "Repli vers Deir ez-\\nZor, puis Deir ez-\\nZor encore."
    expect:
      - {entry: deir-ez-zor, text: "Deir ez-\\nZor"}
  - id: t-003
    class: place-product
    text: "Le savon d'Alep."
    expect: []
""",
    )
    first, second, third = load_passages(path)
    assert first.text[first.expected[0].start : first.expected[0].end] == "Palmyre"
    assert first.expected[0].start == first.text.rindex("Palmyre")
    assert second.expected == (Expected("deir-ez-zor", 11, 23),)
    assert second.text[11:23] == "Deir ez-\nZor"
    assert (third.klass, third.expected) == ("place-product", ())


@pytest.mark.parametrize(
    ("case", "expect_line", "where", "names_passage"),
    [
        ("an expected text not in the passage", '{entry: alep, text: "Alepp"}', "passages[0].expect[0].text", True),
        ("an occurrence past the last", '{entry: alep, text: "Alep", at: 2}', "passages[0].expect[0].text", True),
        ("an entry not in the watch list", '{entry: aleppo, text: "Alep"}', "passages[0].expect[0].entry", True),
        (
            "a key the format does not have",
            '{entry: alep, text: "Alep", start: 3}',
            "passages[0].expect[0].start",
            False,
        ),
    ],
)
def test_a_wrong_expectation_names_the_file_the_line_and_the_key(
    tmp_path, eval_watchlist, case, expect_line, where, names_passage
):
    path = write(
        tmp_path,
        "set.yaml",
        f"""\
passages:
  - id: t-007
    class: place-plain
    text: "Frappes sur Alep."
    expect:
      - {expect_line}
""",
    )
    with pytest.raises(ConfigError) as raised:
        load_passages(path, watchlist=eval_watchlist)
    assert re.match(rf"{re.escape(str(path))}:6:\d+: {re.escape(where)}: ", str(raised.value)), case
    assert ("passage t-007" in str(raised.value)) is names_passage, case


@pytest.mark.parametrize(
    ("case", "body", "where"),
    [
        (
            "a class not in the list",
            'passages:\n  - {id: t-001, class: place-food, text: "Savon d\'Alep.", expect: []}\n',
            ":2:17: passages[0].class",
        ),
        (
            "a passage without expect",
            'passages:\n  - {id: t-001, class: place-plain, text: "Alep."}\n',
            ":2:5: passages[0].expect: Field required",
        ),
        ("no passage at all", "passages: []\n", ":1:1: passages"),
    ],
)
def test_a_malformed_passage_names_the_file_the_line_and_the_key(tmp_path, case, body, where):
    path = write(tmp_path, "set.yaml", body)
    with pytest.raises(ConfigError) as raised:
        load_passages(path)
    assert str(raised.value).startswith(f"{path}{where}"), case


def test_an_id_used_in_two_files_is_an_error_naming_both(tmp_path):
    body = 'passages:\n  - {id: t-001, class: place-plain, text: "Alep.", expect: [{entry: alep, text: "Alep"}]}\n'
    first, second = write(tmp_path, "a.yaml", body), write(tmp_path, "b.yaml", body)
    with pytest.raises(ConfigError) as raised:
        load_passages(first, second)
    assert str(raised.value) == f"{second}:2:6: passages[0].id: id 't-001' already used in {first}"


def test_the_sample_file_loads_with_its_offsets(eval_watchlist):
    passages = load_passages(SAMPLE, watchlist=eval_watchlist)
    assert len(passages) == 14
    assert {p.klass for p in passages} <= set(CLASSES)
    written = {(p.id, e.entry_id): p.text[e.start : e.end] for p in passages for e in p.expected}
    assert written["sm-006", "deir-ez-zor"] == "Deir ez-\nZor"
    assert written["sm-007", "hama"] == "H\u0430ma"
    assert written["sm-014", "grad"] == "roquettes Grad"


# The whole-word baseline.


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Frappes sur ALEP.", [("alep", "ALEP")]),
        ("Le savon d'Alep.", [("alep", "Alep")]),  # the baseline knows no look-alike
        ("La reprise de Raqqah.", []),  # nor any variant
        ("Alepo, Hamas, tirs de mortiers.", []),
        ("Deir ez-Zor, puis Deir Ezzor.", [("deir-ez-zor", "Deir ez-Zor"), ("deir-ez-zor", "Deir Ezzor")]),
        ("Des roquettes Grad et un BM-21 Grad.", [("grad", "roquettes Grad"), ("grad", "BM-21 Grad")]),
        ("Des missiles 3M-14 tirés.", [("kalibr", "3M-14")]),
        ("Un baril d'explosifs.", [("baril-explosif", "baril d'explosifs")]),
        ("Un baril d’explosifs.", []),  # the typographic apostrophe is another character to a plain regex
        ("Des Tu-22M3M.", []),
    ],
)
def test_the_whole_word_baseline_finds_the_spellings_as_written(eval_watchlist, text, found):
    predictions = whole_word_predictions([Passage("p", "place-plain", text, ())], eval_watchlist)["p"]
    assert [(p.entry_id, p.text) for p in predictions] == found
    assert all(p.alerts and text[p.start : p.end] == p.text for p in predictions)


def test_the_whole_word_baseline_escapes_the_spellings():
    watchlist = WatchList(
        entries=(
            WatchEntry(id="dot", kind="weapon", name="X.25"),
            WatchEntry(id="plus", kind="weapon", name="C++"),
        )
    )
    text = "Xa25, X.25, C++ et C++x."
    predictions = whole_word_predictions([Passage("p", "weapon-plain", text, ())], watchlist)["p"]
    assert [(p.entry_id, p.text, p.start) for p in predictions] == [("dot", "X.25", 6), ("plus", "C++", 12)]


def test_the_whole_word_baseline_reads_a_long_text_in_one_pass(eval_watchlist):
    text = "Alep " * 200_000
    predictions = whole_word_predictions([Passage("p", "place-plain", text, ())], eval_watchlist)["p"]
    assert len(predictions) == 200_000


def test_the_whole_word_baseline_is_counted_right_on_the_sample(eval_watchlist):
    result = evaluate("whole-word", load_passages(SAMPLE, watchlist=eval_watchlist), eval_watchlist)
    assert result.pairs.overall == Counts(9, 4, 5)
    assert result.pairs.by_kind == {"place": Counts(6, 2, 3), "weapon": Counts(3, 2, 2)}
    # The zoo of La Palmyre: a false alert beside the true Palmyre, wrong at the mention level only.
    assert result.mentions.overall == Counts(9, 5, 5)
    assert result.mentions.by_class["place-venue"] == Counts(1, 1, 0)
    assert {(m.outcome, m.passage_id, m.entry_id) for m in result.mistakes} == {
        ("false alert", "sm-002", "alep"),
        ("false alert", "sm-005", "mortier"),
        ("false alert", "sm-009", "hummer"),
        ("false alert", "sm-011", "hama"),
        ("false alert", "sm-013", "palmyre"),
        ("missed", "sm-003", "raqqa"),
        ("missed", "sm-006", "deir-ez-zor"),
        ("missed", "sm-007", "hama"),
        ("missed", "sm-012", "tu-22m3"),
        ("missed", "sm-014", "kalachnikov"),
    }


@pytest.mark.parametrize(("confidence", "alerting"), [(1.0, True), (0.5, True), (0.49, False), (0.0, False)])
def test_a_mention_alerts_from_the_threshold_up(eval_watchlist, confidence, alerting):
    mention = Mention("alep", "watched", "Alep", 0, 4, "Alep.", "alias", confidence, ())
    assert alerts(mention, eval_watchlist) is alerting
