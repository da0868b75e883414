"""Markdown pieces for the run reports Prefect's UI shows: inert text, article links, code spans.

Everything taken from an article is neutralised (as in alerts) and escaped: the UI renders Markdown,
and an article must not add a link, an image or a column to a report. The one link a report makes on
purpose is an article's own web address, checked and encoded again here (sanitize.safe_link): at
ingest a feed's link is only cleaned and bounded, never checked for its scheme.

The artifact pane of the UI is about 830 px wide in a 1280 px browser and Markdown cannot set CSS, so
nothing shown may be long and unbroken: every run of characters without a space is cut (a 500-character
URL or word in a title would otherwise widen the page), and a URL is never shown, only its title.
"""

from __future__ import annotations

import re

from veille.clean import ELLIPSIS, shorten
from veille.sanitize import loggable, neutralise_line, neutralise_path, safe_link

# About 300 px in the UI's font: a word this long still leaves room for the rest of its line.
WORD_CHARS = 40
TITLE_CHARS = 80
PATH_CHARS = 60
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
_LONG_WORD = re.compile(rf"\S{{{WORD_CHARS + 1},}}")
# What safe_link never leaves in a URL, checked again: any of them could end the link's destination.
_ENDS_A_LINK = re.compile(r"[\s()<>\\\"'`]")
# The user info of a URL refused as a link: a feed's own URL (an entry's location when it has no link)
# can carry the user's credentials.
_USER_INFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def cell(text: object, limit: int | None = None) -> str:
    """`text` as inert Markdown on one line (a table cell, a list item), no word over WORD_CHARS."""
    value = _LONG_WORD.sub(_cut_word, neutralise_line(str(text)))
    if limit is not None:
        value = shorten(value, limit)
    return escaped(value)


def escaped(text: str) -> str:
    """`text`, already inert, with every character Markdown reads as syntax escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def article_link(title: str, source: str, location: str) -> str:
    """The article as Markdown: `[title](url) (source)` for a web page, `title (source: path)` otherwise.

    The link text is the title, neutralised and short (the UI shows the address on hover); a location
    that is no plain http(s) URL to a valid host stays text.
    """
    shown = cell(title, TITLE_CHARS) or "untitled"
    url = web_address(location)
    if url is None:
        return f"{shown} ({cell(source)}: {path_text(location)})"
    return f"[{shown}]({url}) ({cell(source)})"


def web_address(location: str) -> str | None:
    """`location` as a link destination that cannot end the Markdown link early, or None."""
    url = safe_link(location)
    return url if url is not None and not _ENDS_A_LINK.search(url) else None


def path_text(location: str) -> str:
    """A file's path (or any location that is no link) as inert text, its `.txt` ending as written."""
    inert = neutralise_path(_USER_INFO.sub(r"\1****@", location.strip()))
    return escaped(shorten(_LONG_WORD.sub(_cut_word, inert), PATH_CHARS))


def code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds; controls shown escaped (loggable)."""
    value = " ".join(loggable(text).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space inside its fence, which Markdown strips.
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _cut_word(match: re.Match[str]) -> str:
    return match.group()[: WORD_CHARS - 1] + ELLIPSIS
