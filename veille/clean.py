"""Strings from outside made storable and bounded, before anything hashes, stores or shows them.

A file, a feed or a page can hold NUL (which PostgreSQL refuses in text), other control characters
(which forge log lines and terminal sequences), lone surrogates (which no encoder takes) and
fields of any length. Every string an Article holds passes through here, so no database, hash or
notification downstream ever meets one of those.
"""

from __future__ import annotations

import hashlib
import re

# Bounds of what an Article holds: the database's own limits where it has one (articles.key is
# String(1000)), else far beyond any real article so that only hostile input is ever cut.
KEY_CHARS = 1000
SOURCE_CHARS = 500
TITLE_CHARS = 300
LOCATION_CHARS = 2000
TEXT_CHARS = 1_000_000

# C0 and C1 control characters and DEL, except the tab and the line feed that texts keep.
_CONTROLS = dict.fromkeys(c for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_KEY_DIGEST_CHARS = 16
ELLIPSIS = "…"
# How far back a cut looks for the end of a word before it cuts inside one (a long URL, a code).
_WORD_SEARCH = 20


def clean_text(value: str) -> str:
    """`value` with line ends as \\n, control characters dropped and lone surrogates replaced by U+FFFD."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    return _SURROGATE.sub("\ufffd", value)


def clean_line(value: str, limit: int) -> str:
    """One line of at most `limit` characters: clean, spaces collapsed, cut on a word with an ellipsis."""
    return shorten(_SPACES.sub(" ", clean_text(value)).strip(), limit)


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, the ellipsis included; cut at a word's end when one is near."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[: max(limit, 0)]
    kept = text[: limit - 1]
    space = kept.rfind(" ")
    # Inside a word (the next character is no space), end on the word before, unless it is far back.
    if text[limit - 1] != " " and space >= max(1, len(kept) - _WORD_SEARCH):
        kept = kept[:space]
    return kept.rstrip(" ,;:") + ELLIPSIS


def bounded_key(key: str, limit: int = KEY_CHARS) -> str:
    """`key` clean, and when longer than `limit`, its start and a digest of the whole: two long keys stay apart."""
    key = clean_text(key)
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_KEY_DIGEST_CHARS]
    return with_suffix(key, f"#{digest}", limit)


def with_suffix(key: str, suffix: str, limit: int = KEY_CHARS) -> str:
    """`key` + `suffix` within `limit`: the key is cut, never the suffix that tells it apart."""
    return key[: max(0, limit - len(suffix))] + suffix
