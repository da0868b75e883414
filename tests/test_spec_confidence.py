"""Specification of veille.extract.confidence.score: each clue, on plain Evidence records, without the model.

A case is (what the text around says, sure or doubtful, a word the reason must have). The words are
given folded, as veille.extract.evidence folds them; `words("obus tir")` stands for a sentence's words.
"""

from __future__ import annotations

import pytest

from veille.extract.confidence import Evidence, Word, score
from veille.watchlist import WatchEntry

ALEP = WatchEntry(id="alep", kind="place", name="Alep")
HAMA = WatchEntry(id="hama", kind="place", name="Hama")
MORTIER = WatchEntry(id="mortier", kind="weapon", name="mortier")
KALIBR = WatchEntry(id="kalibr", kind="weapon", name="Kalibr")
S400 = WatchEntry(id="s-400", kind="weapon", name="S-400")
HUMMER = WatchEntry(id="hummer", kind="weapon", name="Hummer")


def words(text: str) -> frozenset[Word]:
    return frozenset(Word(word, word) for word in text.split())


def before(text: str) -> tuple[Word, ...]:
    return tuple(Word(word, word) for word in text.split())


WAR = words("frappes bombardement")
SYRIA = words("syrie")


def place(text: str = "Alep", **fields: object) -> Evidence:
    return Evidence(kind="place", matched_by="alias", text=text, **fields)  # type: ignore[arg-type]


def weapon(text: str, **fields: object) -> Evidence:
    return Evidence(kind="weapon", matched_by="alias", text=text, **fields)  # type: ignore[arg-type]


CASES = [
    # Places.
    pytest.param(place(article_words=WAR), ALEP, True, "", id="a place in an article of war"),
    pytest.param(place(article_words=SYRIA), ALEP, True, "", id="a place in an article on Syria"),
    pytest.param(place(other_entries=2), ALEP, True, "", id="a place beside other watched entries"),
    pytest.param(place(), ALEP, False, "no word of Syria", id="a place with no context at all"),
    pytest.param(
        place(before=before("savon d'"), article_words=WAR), ALEP, False, "savon", id="a product named after it"
    ),
    pytest.param(
        place(before=before("noix de galle d'"), article_words=WAR), ALEP, False, "noix", id="a product, further back"
    ),
    pytest.param(place(after=before("soap"), article_words=WAR), ALEP, False, "soap", id="an English product"),
    pytest.param(
        place(before=before("habite rue d'"), article_words=WAR), ALEP, False, "rue", id="a street named after it"
    ),
    pytest.param(
        place(before=before("une rue d'"), article_words=WAR), ALEP, True, "", id="a street of the place is the place"
    ),
    pytest.param(
        place(before=before("la ville d'"), entity_label="PER", entity_text="Alep", entity_names=("x",)),
        ALEP,
        True,
        "after 'ville'",
        id="a geographic head wins over the model",
    ),
    pytest.param(
        place("Hama", entity_label="PER", entity_text="Hama Amadou", entity_names=("amadou",), article_words=WAR),
        HAMA,
        False,
        "person",
        id="a person's name",
    ),
    pytest.param(
        place("Hama", entity_label="PER", entity_text="Hama land", entity_names=(), article_words=WAR),
        HAMA,
        True,
        "",
        id="a person only if the rest is a name",
    ),
    pytest.param(
        place("Hama", entity_label="MISC", entity_text="Hama Sushi", entity_names=("sushi",)),
        HAMA,
        False,
        "inside the name",
        id="inside another name",
    ),
    pytest.param(
        place(before=before("le restaurant"), article_words=WAR), ALEP, False, "restaurant", id="a venue's name"
    ),
    pytest.param(
        place(before=before("un cafe a"), article_words=SYRIA), ALEP, True, "", id="a venue in the place is the place"
    ),
    pytest.param(place("alep", article_words=WAR), ALEP, False, "lower case", id="written in lower case"),
    pytest.param(place("ALEP", article_words=WAR), ALEP, False, "acronym", id="an acronym in a sentence"),
    pytest.param(
        place("ALEP", article_words=WAR, starts_sentence=True), ALEP, True, "", id="a dateline in capitals is a place"
    ),
    pytest.param(place("ALEP", article_words=WAR, shouting=True), ALEP, True, "", id="a headline in capitals"),
    # Weapons.
    pytest.param(weapon("mortier", near_words=words("obus tirs")), MORTIER, True, "war", id="a mortar among shells"),
    pytest.param(
        weapon("mortier", near_words=words("macon sable chaux")), MORTIER, False, "construction", id="masons' mortar"
    ),
    pytest.param(
        weapon("mortier", before=before("obus de"), near_words=words("macon facade reboucher")),
        MORTIER,
        True,
        "obus",
        id="the name's own phrase decides",
    ),
    pytest.param(
        weapon("mortier", near_words=words("cible lancer hache")), MORTIER, False, "", id="ambiguous words lose"
    ),
    pytest.param(
        weapon("mortier", sentence="un mortier d'artifice a blesse un adolescent", near_words=words("blesse")),
        MORTIER,
        False,
        "artifice",
        id="fireworks",
    ),
    pytest.param(weapon("mortier"), MORTIER, False, "no word of war", id="a common noun with no context"),
    pytest.param(weapon("Kalibr"), KALIBR, False, "no word of war", id="a name with no context"),
    pytest.param(weapon("Kalibr", other_entries=1), KALIBR, True, "", id="a name beside other entries"),
    pytest.param(weapon("S-400"), S400, True, "", id="a code needs no context"),
    pytest.param(weapon("S-400", before=before("mercedes")), S400, False, "model code", id="a code after a brand"),
    pytest.param(weapon("Mortier", near_words=WAR), MORTIER, False, "capital", id="a common noun as a name"),
    pytest.param(
        weapon("Mortier", before=before("boulevard"), near_words=WAR), MORTIER, False, "boulevard", id="a street"
    ),
    pytest.param(
        weapon("Hummer", sentence_words=words("suv electrique concessionnaire")), HUMMER, False, "cars", id="a car"
    ),
]


@pytest.mark.parametrize(("evidence", "entry", "sure", "reason"), CASES)
def test_each_clue_makes_a_mention_sure_or_doubtful(evidence, entry, sure, reason):
    confidence, reasons = score(evidence, entry)
    assert (confidence >= 0.5) is sure, (confidence, reasons)
    assert 0.0 <= confidence <= 1.0
    if reason:
        assert any(reason in why for why in reasons), reasons


def test_every_doubtful_mention_says_why():
    for case in CASES:
        evidence, entry, _, _ = case.values
        confidence, reasons = score(evidence, entry)
        if confidence < 0.5:
            assert reasons, case.id


@pytest.mark.parametrize(
    ("entry", "sentence", "excluded"),
    [
        (ALEP.model_copy(update={"not_": ("rue d'Alep",)}), "il habite rue d'alep a lyon", True),
        (ALEP.model_copy(update={"not_": ("rue d'Alep",)}), "les frappes sur alep, pas rue d'alep", False),
        (MORTIER.model_copy(update={"not_": ("feu d'artifice",)}), "le feu d'artifice et son mortier", True),
    ],
)
def test_a_not_phrase_excludes_the_mention_it_covers_or_its_sentence(entry, sentence, excluded):
    name = "Alep" if entry.kind == "place" else "mortier"
    covering = before("habite rue d'") if "habite" in sentence else before("sur")
    evidence = Evidence(kind=entry.kind, matched_by="alias", text=name, before=covering, sentence=sentence)
    confidence, reasons = score(evidence, entry)
    assert (confidence == 0.0) is excluded, reasons


def test_context_words_of_the_entry_are_required_and_sufficient():
    entry = MORTIER.model_copy(update={"context": ("obus",)})
    with_it = weapon("mortier", sentence_words=words("obus"), sentence="obus de mortier")
    without = weapon("mortier", near_words=WAR, sentence="tirs de mortier")
    assert score(with_it, entry)[0] >= 0.8
    assert score(without, entry)[0] < 0.5


def test_a_military_sense_wants_words_of_war_in_the_sentence():
    entry = HUMMER.model_copy(update={"sense": "military"})
    assert score(weapon("Hummer", sentence_words=WAR, near_words=WAR), entry)[0] >= 0.5
    assert score(weapon("Hummer", article_words=WAR), entry)[0] < 0.5


@pytest.mark.parametrize(("matched_by", "base"), [("alias", 0.95), ("fold", 0.9), ("gazetteer", 0.88), ("fuzzy", 0.75)])
def test_a_match_starts_as_sure_as_its_rule(matched_by, base):
    evidence = Evidence(kind="place", matched_by=matched_by, text="Alep", article_words=WAR)
    assert score(evidence, ALEP)[0] == base


def test_a_reason_quotes_the_article_on_one_short_line():
    huge = "Hama " + "x" * 100_000
    evidence = place("Hama", entity_label="PER", entity_text=huge + "\nAmadou", entity_names=("amadou",))
    _, reasons = score(evidence, HAMA)
    assert all(len(reason) < 200 and "\n" not in reason for reason in reasons), reasons
