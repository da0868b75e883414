"""The watch list's per-entry keys of issue #12 (not, context, sense, fold, gazetteer, from, fuzzy,
min_confidence), each written in a YAML file, loaded, and run through the real French model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from spacy.language import Language

from veille.errors import ConfigError
from veille.evaluation import alerts
from veille.extract.matcher import WatchMatcher
from veille.extract.pipeline import load_pipeline, mentions_in
from veille.folding import compact
from veille.records import Mention
from veille.watchlist import FUZZY_MIN_LETTERS, WatchList, load_watchlist


def entry(entry_id: str, kind: str, name: str, *keys: str) -> str:
    """One entry of a watch list's YAML, with `keys` as written ("fold: false")."""
    lines = [f"  - id: {entry_id}", f"    kind: {kind}", f"    name: {name}", *(f"    {key}" for key in keys)]
    return "\n".join(lines) + "\n"


def write_watchlist(directory: Path, *entries: str, top: str = "") -> Path:
    path = directory / "watchlist.yaml"
    path.write_text(top + "entries:\n" + "".join(entries), encoding="utf-8")
    return path


def watch_list(directory: Path, *entries: str, top: str = "") -> WatchList:
    return load_watchlist(write_watchlist(directory, *entries, top=top))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Language:
    """The French model with the watch matcher, loaded once; each test hands the matcher its own list."""
    directory = tmp_path_factory.mktemp("watchlist")
    return load_pipeline("fr_core_news_sm", watch_list(directory, entry("alep", "place", "Alep")))


def found(pipeline: Language, watchlist: WatchList, text: str) -> list[Mention]:
    """Every watched mention `watchlist` gets in `text`."""
    matcher = pipeline.get_pipe("veille_watch_matcher")
    assert isinstance(matcher, WatchMatcher)
    matcher.set_watchlist(watchlist)
    return [mention for mention in mentions_in(pipeline(text), pipeline) if mention.entry_id]


def alerts_at_once(mention: Mention, watchlist: WatchList) -> bool:
    """As `watch explain` decides: a mention under its entry's threshold is held as doubtful."""
    listed = watchlist.get(mention.entry_id or "")
    assert listed is not None
    return mention.confidence >= watchlist.threshold(listed)


def by_text(mentions: list[Mention]) -> dict[str, Mention]:
    return {mention.text: mention for mention in mentions}


ALEP = entry("alep", "place", "Alep", "country: SY")
MORTIER = entry("mortier", "weapon", "mortier")
IDLIB = entry("idlib", "place", "Idlib", "country: SY")


@pytest.mark.parametrize(
    ("keys", "attribute", "expected"),
    [
        (["not: [\"rue d'Alep\", savon d'Alep]"], "not_", ("rue d'Alep", "savon d'Alep")),
        (["context: [obus, artillerie]"], "context", ("obus", "artillerie")),
        (["fold: false"], "fold", False),
        (["gazetteer: true"], "gazetteer", True),
        (["fuzzy: true"], "fuzzy_similarity", 0.88),
        (["fuzzy: 0.75"], "fuzzy_similarity", 0.75),
        ([], "fuzzy_similarity", None),
        (["min_confidence: 0.8"], "min_confidence", 0.8),
    ],
)
def test_each_new_key_of_a_place_is_read_from_the_file(tmp_path, keys, attribute, expected):
    (listed,) = watch_list(tmp_path, entry("alep", "place", "Alep", "country: SY", *keys)).entries
    assert getattr(listed, attribute) == expected


@pytest.mark.parametrize(
    ("keys", "attribute", "expected"),
    [
        (["sense: military"], "sense", "military"),
        (["from: thesaurus"], "thesaurus_id", "kalibr"),
        (["from: thesaurus:kalachnikov"], "thesaurus_id", "kalachnikov"),
        ([], "thesaurus_id", None),
    ],
)
def test_each_new_key_of_a_weapon_is_read_from_the_file(tmp_path, keys, attribute, expected):
    (listed,) = watch_list(tmp_path, entry("kalibr", "weapon", "Kalibr", *keys)).entries
    assert getattr(listed, attribute) == expected


@pytest.mark.parametrize(
    ("top", "min_confidence", "gazetteer"),
    [("", 0.5, False), ("min_confidence: 0.7\n", 0.7, False), ("gazetteer: true\n", 0.5, True)],
)
def test_the_top_level_keys_are_read_with_their_defaults(tmp_path, top, min_confidence, gazetteer):
    watchlist = watch_list(tmp_path, ALEP, top=top)
    assert (watchlist.min_confidence, watchlist.gazetteer) == (min_confidence, gazetteer)


# --- not ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("Il habite la rue d'Alep à Paris.", True),
        ("Il habite la rue d’Alep à Paris.", True),  # the typographic apostrophe is the same phrase
        ("Les bombardements sur Alep ont repris.", False),
    ],
)
def test_a_not_phrase_holding_the_name_excludes_the_mention_it_covers(pipeline, tmp_path, text, excluded):
    watchlist = watch_list(tmp_path, entry("alep", "place", "Alep", "country: SY", 'not: ["rue d\'Alep"]'))
    (mention,) = found(pipeline, watchlist, text)
    if excluded:
        assert mention.confidence == 0.0
        assert len(mention.reasons) == 1 and "rue d'Alep" in mention.reasons[0], mention.reasons
        assert not alerts_at_once(mention, watchlist)
    else:
        assert mention.confidence > 0.5
        assert not any("excluded" in reason for reason in mention.reasons), mention.reasons
        assert alerts_at_once(mention, watchlist)


def test_a_not_phrase_holding_the_name_leaves_another_mention_of_its_sentence_alone(pipeline, tmp_path):
    watchlist = watch_list(tmp_path, entry("alep", "place", "Alep", "country: SY", 'not: ["rue d\'Alep"]'))
    street, city = found(pipeline, watchlist, "La rue d'Alep à Paris est calme, mais Alep est bombardée.")
    assert street.confidence == 0.0
    assert city.confidence > 0.5 and not any("excluded" in reason for reason in city.reasons)


def test_a_not_phrase_without_the_name_excludes_the_mentions_of_its_sentence_only(pipeline, tmp_path):
    text = "Le mortier du feu d'artifice a explosé. Un obus de mortier a frappé la ville."
    watchlist = watch_list(tmp_path, entry("mortier", "weapon", "mortier", 'not: ["feu d\'artifice"]'))
    festive, shelling = found(pipeline, watchlist, text)
    assert festive.start < shelling.start
    assert festive.confidence == 0.0 and "feu d'artifice" in festive.reasons[0]
    assert shelling.confidence > 0.5 and not any("excluded" in reason for reason in shelling.reasons)
    # Without the key the festive mention is judged by its words, not excluded by the watch list.
    (unlisted, _) = found(pipeline, watch_list(tmp_path, MORTIER), text)
    assert not any("excluded" in reason for reason in unlisted.reasons)


# --- context -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "with_context_alerts"),
    [
        ("Un tir de mortier a frappé la ville.", False),
        ("Un obus de mortier a frappé la ville.", True),
        ("Des obus de mortier ont frappé la ville.", True),  # "obus" is its own plural: the lemma must not lose it
    ],
)
def test_context_words_make_a_mention_without_them_doubtful_and_one_with_them_sure(
    pipeline, tmp_path, text, with_context_alerts
):
    without = watch_list(tmp_path, MORTIER)
    (plain,) = found(pipeline, without, text)
    assert alerts_at_once(plain, without), "without `context` both sentences alert"
    with_context = watch_list(tmp_path, entry("mortier", "weapon", "mortier", "context: [obus]"))
    (mention,) = found(pipeline, with_context, text)
    assert alerts_at_once(mention, with_context) is with_context_alerts, mention.reasons
    expected = "context words of the entry" if with_context_alerts else "none of the entry's context words"
    assert any(expected in reason for reason in mention.reasons), mention.reasons


# --- sense -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "military_alerts"),
    [
        ("Une Kalachnikov est exposée au musée d'Alep.", False),
        ("Des combattants armés de Kalachnikov ont attaqué Alep.", True),
    ],
)
def test_sense_military_holds_a_weapon_named_in_a_sentence_without_war(pipeline, tmp_path, text, military_alerts):
    plain = watch_list(tmp_path, entry("kalachnikov", "weapon", "Kalachnikov"), ALEP)
    (weapon,) = [m for m in found(pipeline, plain, text) if m.entry_id == "kalachnikov"]
    assert alerts_at_once(weapon, plain), "without `sense` the museum's rifle alerts: Alep is named"
    military = watch_list(tmp_path, entry("kalachnikov", "weapon", "Kalachnikov", "sense: military"), ALEP)
    (weapon,) = [m for m in found(pipeline, military, text) if m.entry_id == "kalachnikov"]
    assert alerts_at_once(weapon, military) is military_alerts, weapon.reasons
    assert any("military sense" in reason for reason in weapon.reasons) is not military_alerts


# --- fold --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "text", "expected"),
    [
        ([], "Les combats continuent à Deir Ezzour.", [("Deir Ezzour", "fold")]),
        (["fold: false"], "Les combats continuent à Deir Ezzour.", []),
        (["fold: false"], "Les combats continuent à Deir ez-Zor.", [("Deir ez-Zor", "alias")]),
        (["fold: false"], "Les combats continuent à DEIR EZ ZOR.", [("DEIR EZ ZOR", "alias")]),  # case, spaces
    ],
)
def test_fold_false_turns_the_variants_off_and_keeps_the_written_spellings(pipeline, tmp_path, keys, text, expected):
    watchlist = watch_list(tmp_path, entry("deir-ez-zor", "place", "Deir ez-Zor", "country: SY", *keys))
    assert [(m.text, m.matched_by) for m in found(pipeline, watchlist, text)] == expected


# --- from: thesaurus ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weapon", "source", "text", "written"),
    [
        (
            ("kalibr", "weapon", "Kalibr"),
            "thesaurus",
            "La Russie a tiré des missiles de croisière Kalibr.",
            "missiles de croisière Kalibr",
        ),
        (
            ("kalibr", "weapon", "Kalibr"),
            "thesaurus",
            "Moscou a lancé des крылатые ракеты Калибр sur la ville.",
            "крылатые ракеты Калибр",
        ),
        (
            ("fusil-ak", "weapon", "AK-47"),
            "thesaurus:kalachnikov",
            "Des soldats portaient des автоматы Калашникова.",
            "автоматы Калашникова",
        ),
    ],
)
def test_from_thesaurus_brings_the_weapons_names(pipeline, tmp_path, weapon, source, text, written):
    # Without the key the name as written is not found (a bare "Kalibr" inside it still is).
    assert written not in [m.text for m in found(pipeline, watch_list(tmp_path, entry(*weapon)), text)]
    watchlist = watch_list(tmp_path, entry(*weapon, f"from: {source}"))
    (mention,) = found(pipeline, watchlist, text)
    assert (mention.text, mention.matched_by) == (written, "thesaurus")
    assert alerts_at_once(mention, watchlist)


@pytest.mark.parametrize(
    ("listed", "unknown"),
    [
        (entry("kalibr", "weapon", "Kalibr", 'from: "thesaurus:nope"'), "nope"),
        (entry("zorglub", "weapon", "Zorglub", "from: thesaurus"), "zorglub"),  # the entry's own id is not one
    ],
    ids=["named-id", "own-id"],
)
def test_a_thesaurus_id_the_thesaurus_does_not_have_is_an_error_naming_file_line_and_key(tmp_path, listed, unknown):
    # Loaded silently, the entry would gain nothing while the user believes its names are watched.
    path = write_watchlist(tmp_path, listed)
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(str(path))}:5:\d+: entries\[0\]\.from: .*{unknown!r}.*thesaurus"
    ):
        load_watchlist(path)


# --- gazetteer ---------------------------------------------------------------------------------------

MANBIJ = ("manbij", "place", "Manbij", "country: SY")


@pytest.mark.parametrize(
    ("keys", "top", "expected"),
    [
        ([], "", []),
        (["gazetteer: true"], "", [("Menbij", "gazetteer")]),
        ([], "gazetteer: true\n", [("Menbij", "gazetteer")]),
        (["gazetteer: false"], "gazetteer: true\n", []),
    ],
)
def test_gazetteer_brings_geonames_spellings_of_the_entrys_country(pipeline, tmp_path, keys, top, expected):
    watchlist = watch_list(tmp_path, entry(*MANBIJ, *keys), top=top)
    text = "Les combats à Menbij ont repris."
    assert [(m.text, m.matched_by) for m in found(pipeline, watchlist, text)] == expected


def test_gazetteer_brings_nothing_to_a_place_without_a_country(pipeline, tmp_path):
    watchlist = watch_list(tmp_path, entry("manbij", "place", "Manbij", "gazetteer: true"))
    assert found(pipeline, watchlist, "Les combats à Menbij ont repris.") == []


# --- fuzzy -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "text", "written"),
    [
        (
            ("deir-ez-zor", "place", "Deir ez-Zor", "country: SY"),
            "Les combats continuent à Dier ez-Zor.",
            "Dier ez-Zor",
        ),
        (("kalachnikov", "weapon", "Kalachnikov"), "Des soldats armés de Kalachnikof ont attaqué.", "Kalachnikof"),
    ],
)
def test_fuzzy_is_off_by_default_and_on_for_a_long_name(pipeline, tmp_path, listed, text, written):
    assert found(pipeline, watch_list(tmp_path, entry(*listed)), text) == []
    (mention,) = found(pipeline, watch_list(tmp_path, entry(*listed, "fuzzy: true")), text)
    assert (mention.text, mention.matched_by) == (written, "fuzzy")


def test_a_fuzzy_similarity_of_one_is_the_exact_spelling_only(pipeline, tmp_path):
    listed = entry("kalachnikov", "weapon", "Kalachnikov", "fuzzy: 1.0")
    assert found(pipeline, watch_list(tmp_path, listed), "Des soldats armés de Kalachnikof ont attaqué.") == []


@pytest.mark.parametrize("typo", ["Hims", "Homz"])
def test_fuzzy_never_reads_a_short_name_even_at_the_lowest_similarity(pipeline, tmp_path, typo):
    # The typo is similar enough for fuzzy: 0.7; only the name's length keeps it out.
    assert fuzz.ratio(compact(typo), "homs") / 100 >= 0.7
    assert sum(char.isalpha() for char in "Homs") < FUZZY_MIN_LETTERS
    watchlist = watch_list(tmp_path, entry("homs", "place", "Homs", "country: SY", "fuzzy: 0.7"))
    assert found(pipeline, watchlist, f"Les combats à {typo} ont repris.") == []
    assert [m.text for m in found(pipeline, watchlist, "Les combats à Homs ont repris.")] == ["Homs"]


# --- min_confidence ----------------------------------------------------------------------------------

FUZZY_DEIR = ("deir-ez-zor", "place", "Deir ez-Zor", "country: SY", "fuzzy: true")
FUZZY_TEXT = "Les combats continuent à Dier ez-Zor."


@pytest.mark.parametrize(
    ("top", "keys", "expected_alerts"),
    [
        ("", [], True),  # 0.5 by default
        ("min_confidence: 0.8\n", [], False),
        ("", ["min_confidence: 0.8"], False),
        ("min_confidence: 0.8\n", ["min_confidence: 0.7"], True),  # the entry's own wins
        ("min_confidence: 0.2\n", ["min_confidence: 0.8"], False),
    ],
)
def test_min_confidence_of_the_entry_else_of_the_watch_list_decides_what_is_held(
    pipeline, tmp_path, top, keys, expected_alerts
):
    watchlist = watch_list(tmp_path, entry(*FUZZY_DEIR, *keys), top=top)
    (mention,) = found(pipeline, watchlist, FUZZY_TEXT)
    assert 0.7 < mention.confidence < 0.8, mention  # a fuzzy match, between the thresholds of the table
    assert alerts_at_once(mention, watchlist) is expected_alerts


def test_the_evaluation_holds_a_mention_under_its_entrys_min_confidence(pipeline, tmp_path):
    watchlist = watch_list(tmp_path, entry(*FUZZY_DEIR, "min_confidence: 0.8"))
    (mention,) = found(pipeline, watchlist, FUZZY_TEXT)
    assert not alerts(mention, watchlist)


# --- mistakes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "listed", "line", "key", "problem"),
    [
        ("", entry("alep", "place", "Alep", "sense: military"), 5, "entries[0].sense", "only a weapon has a sense"),
        ("", entry("deir", "place", "Deir ez-Zor", "fuzzy: 0.3"), 5, "entries[0].fuzzy", "between 0.7 and 1.0"),
        ("", entry("alep", "place", "Alep", "min_confidence: 2"), 5, "entries[0].min_confidence", "less than"),
        ("min_confidence: 2\n", entry("alep", "place", "Alep"), 1, "min_confidence", "less than"),
        ("", entry("alep", "place", "Alep", 'not: [""]'), 5, "entries[0].not[0]", "no letter or digit"),
        (
            "",
            entry("alep", "place", "Alep", "context: [obus, ' - ']"),
            5,
            "entries[0].context[1]",
            "no letter or digit",
        ),
        ("", entry("kalibr", "weapon", "Kalibr", "from: wikipedia"), 5, "entries[0].from", "thesaurus"),
        (
            "",
            entry("mortier", "weapon", "mortier", "contexte: [obus]"),
            5,
            "entries[0].contexte",
            "unknown key; did you mean 'context'?",
        ),
        ("", entry("alep", "place", "Alep", "fold: peut-être"), 5, "entries[0].fold", "boolean"),
        ("gazetteer: oui-non\n", entry("alep", "place", "Alep"), 1, "gazetteer", "boolean"),
    ],
)
def test_a_mistake_in_a_new_key_names_file_line_and_key(tmp_path, top, listed, line, key, problem):
    path = write_watchlist(tmp_path, IDLIB, listed, top=top)
    # The mistaken entry is the second: its key is 4 lines further down, and at entries[1].
    key = key.replace("entries[0]", "entries[1]")
    line = line + 4 if key.startswith("entries") else line
    with pytest.raises(ConfigError) as raised:
        load_watchlist(path)
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: {re.escape(key)}: ", str(raised.value)), str(raised.value)
    assert problem in str(raised.value)
