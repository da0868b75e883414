"""Specification of veille.extract.matcher.AliasIndex: which token ranges name a watched entry.

AliasIndex.find reads TokenKeys, not spaCy tokens, so these run without the model or any pipeline:
`tokens()` cuts a text roughly as spaCy's French tokenizer does and gives each piece the keys the
matcher gives a token (without the model there is no lemma: the variants are plural stems only).
"""

from __future__ import annotations

import re

import pytest

from tests.builders import place, watch_list, weapon
from veille.extract.matcher import AliasIndex, TokenKeys, text_keys

WATCHED = watch_list(
    place("deir-ez-zor", "Deir ez-Zor", aliases=("Deir Ezzor",)),
    place("hama", aliases=("Hamāh",)),
    place("alep"),
    weapon("mortier", "mortier"),
    weapon("baril-explosif", "baril d’explosifs"),
    weapon("su-24", "Su-24"),
    weapon("s-400", "S-400", aliases=("S-400 Triumph",)),
    weapon("bm-21", "BM-21"),
    weapon("grad", "BM-21 Grad"),
)
INDEX = AliasIndex.from_watchlist(WATCHED)
# An elided word, a word, or one punctuation mark; whitespace is what lies between them.
_PIECE = re.compile(r"(?:[cdjlmnst]|qu)['’](?=\w)|\w+|[^\w\s]", re.IGNORECASE)


def tokens(text: str) -> list[tuple[TokenKeys, tuple[int, int]]]:
    """The TokenKeys of `text` with their character spans: one space after a piece marks it spaced,
    any other whitespace between two pieces is a token of its own (as spaCy makes "\\n\\n" one)."""
    keyed = []
    pieces = list(_PIECE.finditer(text))
    for index, piece in enumerate(pieces):
        gap_end = pieces[index + 1].start() if index + 1 < len(pieces) else len(text)
        spaced = text.startswith(" ", piece.end())
        keyed.append((text_keys(piece.group(), "", False, spaced), piece.span()))
        rest_start = piece.end() + spaced
        if rest_start < gap_end:
            keyed.append((text_keys(text[rest_start:gap_end], "", True, False), (rest_start, gap_end)))
    return keyed


def found(text: str) -> list[tuple[str, str]]:
    """(entry id, the words matched) for each range `find` gives in `text`."""
    keyed = tokens(text)
    matches = INDEX.find([keys for keys, _ in keyed])
    return [(entry_id, text[keyed[start][1][0] : keyed[end - 1][1][1]]) for start, end, entry_id, _ in matches]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Les combats à Deir ez-Zor.", [("deir-ez-zor", "Deir ez-Zor")], id="a name over four tokens"),
        pytest.param("DEIR EZ ZOR", [("deir-ez-zor", "DEIR EZ ZOR")], id="case and separators do not matter"),
        pytest.param("à Deir Ezzor", [("deir-ez-zor", "Deir Ezzor")], id="an alias"),
        pytest.param("à Hamāh", [("hama", "Hamāh")], id="accents do not matter"),
        pytest.param("Hama, puis Hama.", [("hama", "Hama"), ("hama", "Hama")], id="every match, left to right"),
        pytest.param("Alep et Hama", [("alep", "Alep"), ("hama", "Hama")], id="two entries"),
        pytest.param("la ville d’Alep", [("alep", "Alep")], id="an elision is not part of the name"),
        pytest.param(
            "des barils d’explosifs", [("baril-explosif", "barils d’explosifs")], id="an elision inside a name is"
        ),
        pytest.param("des tirs de mortiers", [("mortier", "mortiers")], id="a weapon's plural"),
        pytest.param("Le Hamas a publié", [], id="no plural for a place: Hamas is not Hama"),
        pytest.param("Le docteur Hamadi", [], id="never inside a longer word"),
        pytest.param("Deir, ez-Zor", [], id="punctuation ends a name"),
        pytest.param("Deir\n\nez-Zor", [], id="a paragraph break ends a name"),
        pytest.param("Des BM-21 Grad", [("grad", "BM-21 Grad")], id="the longest name wins"),
        pytest.param("Des BM-21 tirent", [("bm-21", "BM-21")], id="the shorter name alone"),
        pytest.param(
            "Un Su-24 et un Su24", [("su-24", "Su-24"), ("su-24", "Su24")], id="a code with or without hyphen"
        ),
        pytest.param("il l'a su 24 heures", [], id="no code glued across a space between letters and digits"),
        pytest.param("Des S-400 Triumph", [("s-400", "S-400 Triumph")], id="a space the spelling itself has"),
        pytest.param("Il y avait S 400 visiteurs", [], id="a space the spelling does not have"),
        pytest.param("", [], id="no text"),
    ],
)
def test_find_gives_the_longest_watched_name_at_each_place_left_to_right(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param([TokenKeys("hama")], [(0, 1, "hama")], id="one token"),
        pytest.param([TokenKeys("", glue=True), TokenKeys("hama")], [(1, 2, "hama")], id="glue never starts a name"),
        pytest.param(
            [TokenKeys("d", inner_only=True), TokenKeys("hama")],
            [(1, 2, "hama")],
            id="an inner-only token never starts one",
        ),
        pytest.param(
            [TokenKeys("hama", spaced=True), TokenKeys("", glue=True), TokenKeys("hama")],
            [(0, 1, "hama"), (2, 3, "hama")],
            id="a name ends where its key does",
        ),
        pytest.param([TokenKeys("hamas", variants=("hama",))], [], id="a variant of a place that does not inflect"),
        pytest.param(
            [TokenKeys("mortiers", variants=("mortier",))], [(0, 1, "mortier")], id="a variant of a weapon that does"
        ),
        pytest.param([TokenKeys("")], [], id="a token without key"),
    ],
)
def test_find_reads_token_keys_glue_and_variants(keys, expected):
    index = AliasIndex({"hama": ("hama", "alias"), "mortier": ("mortier", "alias")}, ["mortier"])

    assert index.find(keys) == [(*match, "alias") for match in expected]


def test_a_name_longer_than_sixteen_tokens_is_never_looked_for():
    words = [f"w{n}" for n in range(17)]
    index = AliasIndex({"".join(words): ("long", "alias"), "".join(words[:16]): ("sixteen", "alias")}, ())

    assert index.find([TokenKeys(word) for word in words]) == [(0, 16, "sixteen", "alias")]
