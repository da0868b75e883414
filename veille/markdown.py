"""Markdown pieces for the run reports Prefect's UI shows: inert text, article links, code spans.

Everything taken from an article is neutralised (as in alerts) and escaped: the UI renders Markdown,
and an article must not add a link, an image or a column to a report. The one link a report makes on
purpose is an article's own web address, checked and encoded again here (sanitize.safe_link): at
ingest a feed's link is only cleaned and bounded, never checked for its scheme.

In a 1280 px browser the UI's artifact pane is about 830 px wide and its text column 584 px (measured
in Prefect 3.8.8's V2 UI), and Markdown cannot set CSS, so nothing shown may be long and unbroken: a
word wider than about 300 px is cut (a 500-character URL or word in a title would otherwise overflow
the column), and a URL is never shown, only its title.
"""

from __future__ import annotations

import re
import unicodedata

from veille.clean import ELLIPSIS, shorten
from veille.sanitize import loggable, neutralise_line, neutralise_path, safe_link

# A word's width in units of an average lower-case letter (about 7.5 px in the UI's font; the text
# column is 584 px): at most about 300 px, whatever its letters.
WORD_UNITS = 40
# Letters about twice as wide as the average one (a W is 15 px; the full-width at sign sanitize puts for every @), and
# capitals half as wide again.
_WIDEST = frozenset("MWmw%\N{FULLWIDTH COMMERCIAL AT}")
TITLE_CHARS = 80
PATH_CHARS = 60
# Monospaced, a code span of this many characters is about 480 px: the width of the UI's text column.
CODE_CHARS = 56
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
# Any run of this many characters could be wider than WORD_UNITS: only those are measured.
_LINK_TEXT_SYNTAX = re.compile(r"([\\`*_\[\]~])")
_LONG_WORD = re.compile(rf"\S{{{WORD_UNITS // 2 + 1},}}")
# What safe_link never leaves in a URL, checked again: any of them could end the link's destination.
_ENDS_A_LINK = re.compile(r"[\s()<>\\\"'`]")
# The user info of a URL refused as a link: a feed's own URL (an entry's location when it has no link)
# can carry the user's credentials.
_USER_INFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def cell(text: object, limit: int | None = None) -> str:
    """`text` as inert Markdown on one line (a table cell, a list item), no word wider than WORD_UNITS."""
    return escaped(_inert(str(text), limit))


def escaped(text: str) -> str:
    """`text`, already inert, with every character Markdown reads as syntax escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def source_label(source: str) -> str:
    """A source's name (`feed:NAME`, `folder:PATH`) as inert Markdown. The configuration wrote it, not an
    article, and the UI makes no link of `feed:`: its colon is not defanged to `feed[:]`, as a scheme in
    an article's text is; controls, Markdown syntax and long words are made harmless all the same."""
    kind, colon, name = source.partition(":")
    if not colon or kind not in ("feed", "folder"):
        return cell(source, PATH_CHARS)
    # Each shortened before it is escaped: a cut never splits an escape.
    return f"{kind}:{path_text(name) if kind == 'folder' else cell(name, PATH_CHARS)}"


def article_link(title: str, source: str, location: str) -> str:
    """The article as Markdown: `[title](url) (source)` for a web page, `title (source: path)` otherwise.

    The link text is the title, neutralised and short (the UI shows the address on hover); a location
    that is no plain http(s) URL to a valid host stays text. Not for a table cell: a title's `|` stays.
    """
    url = web_address(location)
    if url is None:
        return f"{cell(title, TITLE_CHARS) or 'untitled'} ({source_label(source)}: {path_text(location)})"
    # Inside a link's text only brackets and inline markup mean anything; the classic UI shows other
    # escapes as written there ("Frappes \\| \\(x\\)").
    shown = _LINK_TEXT_SYNTAX.sub(r"\\\1", _inert(title, TITLE_CHARS))
    return f"[{shown or 'untitled'}]({url}) ({source_label(source)})"


def web_address(location: str) -> str | None:
    """`location` as a link destination that cannot end the Markdown link early, or None."""
    url = safe_link(location)
    return url if url is not None and not _ENDS_A_LINK.search(url) else None


def path_text(location: str) -> str:
    """A file's path (or any location that is no link) as inert text, its `.txt` ending as written."""
    inert = neutralise_path(_USER_INFO.sub(r"\1****@", location.strip()))
    return escaped(shorten(_LONG_WORD.sub(_cut_word, inert), PATH_CHARS))


def code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds; controls shown escaped (loggable).

    A code span never wraps: give it only short texts (code_lines is for a long one).
    """
    value = _one_line(text)
    fence = "`" * (_longest_backticks(value) + 1)
    # A span that starts or ends with a backtick needs a space inside its fence, which Markdown strips.
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def code_lines(text: str, indent: str = "") -> list[str]:
    """`text` as a fenced code block, whatever backticks it holds; controls shown escaped (loggable).

    The UI scrolls a code block sideways inside itself, where a code span would widen the page: the
    way to show a long path whole, to be copied.
    """
    value = _one_line(text)
    fence = "`" * max(3, _longest_backticks(value) + 1)
    return [f"{indent}{fence}", f"{indent}{value}", f"{indent}{fence}"]


def _one_line(text: str) -> str:
    return " ".join(loggable(text).split())


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _inert(text: str, limit: int | None) -> str:
    """`text` neutralised on one line, its long words cut, then shortened to `limit`; not yet escaped."""
    value = _LONG_WORD.sub(_cut_word, neutralise_line(text))
    return value if limit is None else shorten(value, limit)


def _cut_word(match: re.Match[str]) -> str:
    """A word cut, with an ellipsis, where it gets wider than WORD_UNITS."""
    word = match.group()
    units, fits = 0.0, 0
    for index, char in enumerate(word):
        # The browser breaks a line anywhere between Chinese or Japanese characters: a new start.
        if unicodedata.east_asian_width(char) in "WF" and char not in _WIDEST:
            units, fits = 0.0, index + 1
            continue
        units += 2.0 if char in _WIDEST else 1.4 if char.isupper() else 1.0
        if units > WORD_UNITS:
            return word[:fits] + ELLIPSIS
        if units <= WORD_UNITS - 1:
            fits = index + 1
    return word
