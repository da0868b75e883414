"""Spelling variants (veille.extract.variants and the matcher's variant path): each folding rule, and
its negative. Pure where it can be (skeletons); through the matcher on a blank French tokenizer for
the rules that read tokens (articles, elisions, versions, line breaks), in milliseconds."""

from __future__ import annotations

import pytest
import spacy

from veille.extract.matcher import WatchMatcher
from veille.extract.variants import foldable, spelling_skeletons, word_skeleton
from veille.watchlist import WatchList


@pytest.mark.parametrize(
    ("written", "other"),
    [
        ("Raqqa", "Rakka"),  # qq/kk/k
        ("Raqqa", "Raqqah"),  # a final h after a vowel
        ("Mayadine", "Mayadin"),  # a final e after a consonant
        ("Mayadine", "Mayadeen"),  # ee/i
        ("Manbij", "Manbidj"),  # dj/j
        ("Kalachnikov", "Kalashnikov"),  # sh/ch
        ("Hmeimim", "Hmeymim"),  # y/i
        ("Tartous", "Tartus"),  # ou/u
        ("Deir ez-Zor", "Deir ez-Zour"),  # o/ou
        ("Deir ez-Zor", "Deir es-Zor"),  # z/s
        ("Tartous", "Tartouss"),  # doubled letters
        ("Deir ez-Zor", "Deir el-Zor"),  # the article in another form
        ("Deir ez-Zor", "Deir Zor"),  # the article optional
        ("Deir ez-Zor", "Deir Ezzor"),  # the article glued, its sun letter doubled
        ("al-Boukamal", "Boukamal"),  # a leading article optional
        ("al-Boukamal", "AlBoukamal"),  # glued
        ("Raqqa", "Ar-Raqqah"),  # another article form and an h
        ("baril d'explosifs", "baril explosifs"),  # the elision is not part of the skeleton
    ],
)
def test_two_spellings_of_one_name_share_a_skeleton(written, other):
    shared = spelling_skeletons(written) & spelling_skeletons(other)
    assert shared, (spelling_skeletons(written), spelling_skeletons(other))


@pytest.mark.parametrize(
    ("written", "other"),
    [
        ("Manbij", "Menbij"),  # vowels are kept: dropping them would make "dresseur" Deir ez-Zor
        ("Palmyre", "Palmier"),
        ("Deir ez-Zor", "Dresseur"),
        ("Alep", "Alpes"),
        ("Raqqa", "Racket"),
        ("al-Boukamal", "Kamal"),  # "Abou", "Bou" are not articles
        ("Kobané", "Kobe"),
    ],
)
def test_different_names_do_not_share_a_skeleton(written, other):
    assert not spelling_skeletons(written) & spelling_skeletons(other)


def test_a_code_is_its_own_skeleton():
    assert word_skeleton("su34") == "su34"
    assert word_skeleton("tu22m3") == "tu22m3"


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("Hama", False),
        ("Homs", False),
        ("Alep", False),
        ("Afrin", True),
        ("Raqqa", True),
        ("Su-24", True),
        ("TOW", False),
    ],
)
def test_only_names_of_five_letters_or_codes_of_four_characters_are_folded(spelling, expected):
    assert foldable(spelling) is expected


WATCHLIST = WatchList.model_validate(
    {
        "entries": [
            {"id": "deir-ez-zor", "kind": "place", "name": "Deir ez-Zor"},
            {"id": "al-boukamal", "kind": "place", "name": "al-Boukamal"},
            {"id": "raqqa", "kind": "place", "name": "Raqqa"},
            {"id": "hama", "kind": "place", "name": "Hama"},
            {"id": "mayadine", "kind": "place", "name": "Mayadine"},
            {"id": "su-24", "kind": "weapon", "name": "Su-24"},
            {"id": "tow", "kind": "weapon", "name": "TOW", "aliases": ["BGM-71"]},
            {"id": "grad", "kind": "weapon", "name": "BM-21 Grad"},
            {"id": "baril", "kind": "weapon", "name": "bombe baril", "aliases": ["baril d'explosifs"]},
            {"id": "kalibr", "kind": "weapon", "name": "Kalibr"},
            {"id": "exact", "kind": "place", "name": "Raqqa City", "fold": False},
        ]
    }
)


@pytest.fixture(scope="module")
def blank():
    nlp = spacy.blank("fr")
    matcher = nlp.add_pipe("veille_watch_matcher")
    assert isinstance(matcher, WatchMatcher)
    matcher.set_watchlist(WATCHLIST)
    return nlp


def found(nlp, text: str) -> list[tuple[str, str, str]]:
    doc = nlp(text)
    return [(span.label_, span.text, span.kb_id_) for span in doc.spans["veille"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("près d'al-Boukamal", [("al-boukamal", "al-Boukamal", "alias")]),
        ("à AlBoukamal", [("al-boukamal", "AlBoukamal", "alias")]),  # case and hyphens never matter
        ("à Boukamal", [("al-boukamal", "Boukamal", "fold")]),
        ("près d'el-Mayadine", [("mayadine", "el-Mayadine", "fold")]),
        ("à Deir el-Zor hier", [("deir-ez-zor", "Deir el-Zor", "fold")]),
        ("à Deir Ezzour hier", [("deir-ez-zor", "Deir Ezzour", "fold")]),
        ("des Su-24M2 et des BGM-71E", [("su-24", "Su-24M2", "fold"), ("tow", "BGM-71E", "fold")]),
        ("des missiles TOW-2A", [("tow", "TOW-2A", "fold")]),
        ("un Soukhoï-24 abattu", [("su-24", "Soukhoï-24", "fold")]),
        ("des roquettes BM-21 tirées", [("grad", "BM-21", "fold")]),
        ("des barils-bombes largués", [("baril", "barils-bombes", "fold")]),
        ("des barils explosifs largués", [("baril", "barils explosifs", "fold")]),
        ("un Su-\n24 abattu", [("su-24", "Su-\n24", "fold")]),
        ("missile Kalibr", [("kalibr", "Kalibr", "alias")]),
    ],
)
def test_the_matcher_reads_each_variant_and_says_so(blank, text, expected):
    assert found(blank, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "à Raka",  # a four-letter spelling never matches by its skeleton
        "Hamah",  # nor does any variant of a four-letter name
        "il l'a su 24 heures",  # a space never joins a code's letters to its digits
        "Les Su 24 ans",
        "à Racket",
    ],
)
def test_what_is_not_a_variant_is_not_read_as_one(blank, text):
    assert found(blank, text) == []


def test_an_entry_with_fold_off_matches_only_as_written(blank):
    # "Raqqah City" is a variant of the entry "Raqqa City", which says `fold: false`: only Raqqa's own
    # variant is read in it.
    assert [entry for entry, _, _ in found(blank, "à Raqqah City")] == ["raqqa"]
    assert found(blank, "à Raqqa City") == [("exact", "Raqqa City", "alias")]


def test_a_one_letter_word_never_merges_into_a_name(blank):
    # "à" + "Alep..." would join as "aalep" -> "alep" once doubled letters are made single.
    assert found(blank, "à Boukamal") == [("al-boukamal", "Boukamal", "fold")]
