"""Spelling variants: the skeleton of a name, so that transliterations of one Arabic name meet.

Press writes one place many ways: "Deir ez-Zor", "Deir Ezzor", "Deir el-Zor"; "Raqqa", "Rakka",
"Ar-Raqqah"; "Mayadine", "al-Mayadin", "Mayadeen". Each word is reduced to a skeleton: transliteration
pairs made one (ou/o/u, q/k, qu/k, ck/k, dj/j, sh/ch, ee/i, y/i, z/s), doubled letters made single, a
final "h" after a vowel and a final "e" after a consonant dropped; the Arabic article (al-, el-, ez-,
ar-, ...) is optional, whether hyphenated, spaced or glued ("AlBoukamal", "Ezzor"). A name is the
skeletons of its words joined, a letter doubled across the join made single.

Skeletons are compared only for names of at least MIN_FOLD_LETTERS letters, written that long too:
a short name ("Hama", "Homs", "Alep") is one letter away from too many words, and matches exactly only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from veille.folding import compact, fold

# Shorter names (and shorter written forms) are matched exactly only.
MIN_FOLD_LETTERS = 5
# A skeleton shorter than this says too little to be a name ("epo").
_MIN_SKELETON = 4
# The Arabic article as a word of its own: these are never French words, so a space may follow them.
STRONG_ARTICLES = frozenset({"al", "el", "ul", "ez", "az", "ash", "ech", "ach"})
# Also the article, but French or English words too ("et", "en", "es", "as", "at"): only when a hyphen
# ties them to the next word ("Ar-Raqqah", "es-Zor").
WEAK_ARTICLES = frozenset({"ar", "as", "at", "ad", "an", "er", "es", "et", "ed", "en", "ath"})
# Letter pairs that transliterations write both ways, replaced in this order.
_PAIRS = (
    ("ou", "u"),
    ("o", "u"),
    ("ck", "k"),
    ("qu", "k"),
    ("q", "k"),
    ("dj", "j"),
    ("sh", "ch"),
    ("ee", "i"),
    ("y", "i"),
    ("z", "s"),
)
_DOUBLED = re.compile(r"(.)\1+")
_VOWELS = "aeiou"
# An article glued to the name: "al"/"el" before at least 4 letters, or a sun letter doubled ("Ezzor", "Arraqqa").
_GLUED_ARTICLE = re.compile(r"^(?:[ae]l(?=[a-z]{4})|[ae](?=([dnrstz])\1))")
_PARTS = re.compile(r"[\s\-'’]+")


@lru_cache(maxsize=200_000)
def word_skeleton(key: str) -> str:
    """The skeleton of one word's compact key: "raqqah" -> "raka", "mayadine" -> "maiadin"."""
    if any(char.isdigit() for char in key):
        return key  # a code ("su34") is matched as written
    for written, said in _PAIRS:
        key = key.replace(written, said)
    key = _DOUBLED.sub(r"\1", key)
    if len(key) > 4 and key[-1] == "h" and key[-2] in _VOWELS:
        key = key[:-1]
    if len(key) > 5 and key[-1] == "e" and key[-2] not in _VOWELS:
        key = key[:-1]
    return key


@lru_cache(maxsize=200_000)
def word_forms(key: str) -> tuple[str, ...]:
    """The skeletons a word may stand for: itself, and without a glued article ("ezzor" -> "esor", "sor")."""
    forms = [word_skeleton(key)]
    glued = _GLUED_ARTICLE.match(key)
    if glued and not any(char.isdigit() for char in key):
        rest = word_skeleton(key[glued.end() :])
        if len(rest) >= 3:
            forms.append(rest)
    return tuple(dict.fromkeys(forms))


def join(built: str, skeleton: str) -> str:
    """Two skeletons one after the other, a letter doubled across the join made single."""
    if built and skeleton and built[-1] == skeleton[0] and not skeleton[0].isdigit():
        return built + skeleton[1:]
    return built + skeleton


def spelling_skeletons(spelling: str) -> frozenset[str]:
    """Every skeleton of a written name: its words' forms joined, with and without each article."""
    words = [compact(part) for part in _PARTS.split(fold(spelling))]
    # An elided word ("d'" in "baril d'explosifs") is not part of the skeleton: "barils explosifs".
    words = [word for word in words if word and not (len(word) == 1 and word.isalpha())]
    built = {""}
    for position, word in enumerate(words):
        last = position == len(words) - 1
        forms = set(word_forms(word))
        choices = {join(prefix, form) for prefix in built for form in forms}
        if not last and word in STRONG_ARTICLES | WEAK_ARTICLES:
            choices |= built  # the article is optional
        built = choices
    return frozenset(skeleton for skeleton in built if len(skeleton) >= _MIN_SKELETON)


def foldable(spelling: str) -> bool:
    """Whether a spelling is long enough to be matched by its skeleton: 5 letters, or a code of 4 characters."""
    key = compact(spelling)
    if any(char.isdigit() for char in key):
        return len(key) >= _MIN_SKELETON
    return letter_count(spelling) >= MIN_FOLD_LETTERS


def letter_count(text: str) -> int:
    return sum(1 for char in compact(text) if char.isalpha())
