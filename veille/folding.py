"""Text folding: the normalised forms of names, so that case, accents, apostrophes and hyphens do not matter.

One module for every part that compares names: the watch list (one entry per spelling), the
matcher (token keys) and stories (shingles of the folded text).
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose but that French text writes both ways.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "ł": "l", "đ": "d"})
_APOSTROPHES = "'’‘ʼ`´ʹ′"
_HYPHENS = "-‐‑‒–—―−­"
_NOT_ALNUM = re.compile(r"[\W_]+")
# French elision glued to a name: d'Alep, l'Irak, qu'Idlib.
_ELISION_WORDS = r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'"
_ELISION = re.compile(rf"^{_ELISION_WORDS}(?=\w)")
_ELISION_TOKEN = re.compile(rf"^{_ELISION_WORDS}$")


_ONE_APOSTROPHE_ONE_HYPHEN = str.maketrans({**dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_HYPHENS, "-")})


def fold(text: str) -> str:
    """Lower case, no accents, one apostrophe and one hyphen character."""
    if text.isascii():
        # Most names and words: nothing to decompose, and "`" the only other apostrophe (a third of the
        # time of loading a watch list of 10,000 entries went to the general path).
        return text.lower().replace("`", "'")
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    if not text.isascii():
        text = "".join(char for char in text if not unicodedata.combining(char))
    return text.casefold().translate(_ONE_APOSTROPHE_ONE_HYPHEN)


def compact(text: str) -> str:
    """The matching key: folded, with every space, hyphen and punctuation mark removed."""
    return _NOT_ALNUM.sub("", fold(text))


def token_key(text: str) -> str:
    """The key of one token, its French elision ("d'", "l'") dropped."""
    return compact(_ELISION.sub("", fold(text)))


def plural_stems(key: str) -> tuple[str, ...]:
    """Singular candidates for a French plural key: "mortiers" -> "mortier"."""
    stems = []
    if len(key) > 3 and key[-1] in "sx":
        stems.append(key[:-1])
    if len(key) > 4 and key.endswith("aux"):
        stems.append(key[:-3] + "al")
    return tuple(stems)


def is_glue(text: str) -> bool:
    """Hyphens, apostrophes and spaces (not a paragraph break) may sit inside a name; other punctuation may not."""
    folded = fold(text)
    return bool(folded) and all(char in "-' \t\n" for char in folded) and "\n\n" not in text


def is_elision(text: str) -> bool:
    """A French elided word on its own, as spaCy splits it off: "d’", "l'", "qu’"."""
    return bool(_ELISION_TOKEN.match(fold(text)))
