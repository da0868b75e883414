"""Text from articles and sources made safe to show: in a notification, as a link, on a log line.

Text from an article must not add links, mentions, markup or script to an alert: apprise escapes
text for HTML targets but hands it unchanged to Markdown ones (Discord, Slack, Telegram), and some
of its plugins turn any `@word` of the body into a ping. So the text itself is neutralised by rules
on characters rather than lists of words: every `@` becomes a look-alike no service parses, angle
brackets are replaced, Markdown links broken, every `scheme:` glued to what follows and every dot
that could end a domain name defanged as analysts write them (hxxps[:]//example[.]com).

Every pattern here runs in time linear in the text: no quantifier can backtrack over what another
one consumed, and a match may only start where the run it scans starts.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import sys
import unicodedata
from dataclasses import dataclass

import idna

# Ideographic, full-width and half-width full stops, which IDNA reads as dots in a domain name.
_DOT_LOOKALIKES = "\u3002\uff0e\uff61"
# `[text](url)` and `[text] (url)` across spaces or a line break; `\s*+` never gives back.
_MARKDOWN_LINK = re.compile(r"\]\s*+\(")
# `scheme:` glued to what follows: http:, javascript:, tg:, ms-settings:... A match starts only at
# the start of a run of scheme characters, so each run is scanned once.
_SCHEME = re.compile(r"(?<![\w+.-])([A-Za-z][A-Za-z0-9+.-]*+):(?=\S)")
# A domain's last label starts with a letter and has at least two characters: a dot that is not
# followed by that cannot end a domain name, and a name whose last dot is defanged is no domain.
# "evil.top", "x.zip", "пример.рф" are caught whatever their TLD; "3.5", "R.D.C." and "M. Dupont" are not.
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_]\w)")

_LINK_START = re.compile(r"(https?)://([^/?#]*)", re.IGNORECASE)
# What may stay as written in a link's path, query and fragment: letters, digits and the delimiters
# a URL needs. Everything else (controls, bidi, spaces, quotes, <>, \, and the Markdown-significant
# ()[]*_~|`) is percent-encoded, and so is a `%` that does not start an escape.
_LINK_UNSAFE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-./?&=+:;,!$%]")
_PORT = re.compile(r"[0-9]{1,5}")
_HOST_CHARS = 1_000


def neutralise(text: str) -> str:
    """`text` with nothing a notification target would turn into a link, a mention or markup."""
    text = text.translate(_tables().neutralise)
    text = _MARKDOWN_LINK.sub("] (", text).replace("![", "! [")
    text = _SCHEME.sub(_defanged_scheme, text)
    return _DOMAIN_DOT.sub("[.]", text)


def neutralise_line(text: str) -> str:
    """`text` neutralised on one line: a line break in a title or an error must not forge a line."""
    return neutralise(" ".join(text.split()))


def neutralise_path(path: str) -> str:
    """A file's path as inert text, on one line; its `.txt` ending left as written.

    Every article file ends so (Veille reads *.txt), and "txt" is no top-level domain: the rule on
    dots would only make each path end in "[.]txt".
    """
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix == "txt":
        return neutralise_line(stem) + ".txt"
    return neutralise_line(path)


def safe_link(location: str) -> str | None:
    """`location` as a link that stays clickable and can add nothing to a message, or None.

    Only http(s) to a valid host name (IDNA, given in its ASCII form) or IP address, without user
    info; every character of the rest outside a small safe set is percent-encoded.
    """
    location = location.strip()
    start = _LINK_START.match(location)
    if start is None:
        return None
    rest = location[start.end() :]
    authority = _authority(start.group(2))
    if authority is None:
        return None
    head, hash_sign, fragment = rest.partition("#")
    return f"{start.group(1).lower()}://{authority}{_encoded(head)}{hash_sign}{_encoded(fragment)}"


def loggable(value: object) -> str:
    """`value` as text that stays on its log line: line breaks, controls, bidi and other format
    characters are shown escaped (`\\n`, `\\x1b`, `\\u202e`), so it cannot forge a line or drive a terminal."""
    return str(value).translate(_tables().log)


def _defanged_scheme(match: re.Match[str]) -> str:
    scheme = match.group(1)
    if scheme.lower() in ("http", "https"):
        scheme = scheme[0] + "xx" + scheme[3:]
    return f"{scheme}[:]"


def _authority(authority: str) -> str | None:
    """`host[:port]` checked and normalised, or None: no user info, a valid host, a port in range."""
    if "@" in authority or len(authority) > _HOST_CHARS:
        return None
    if authority.startswith("["):
        literal, bracket, after = authority[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            return None
        host, port = _ip_literal(literal), after[1:]
    else:
        host_text, _, port = authority.partition(":")
        host = _host_name(host_text)
    if host is None or not (port == "" or (_PORT.fullmatch(port) and 0 < int(port) < 65536)):
        return None
    return f"{host}:{port}" if port else host


def _ip_literal(literal: str) -> str | None:
    try:
        return f"[{ipaddress.IPv6Address(literal).compressed}]" if "%" not in literal else None
    except ValueError:
        return None


def _host_name(host: str) -> str | None:
    """The ASCII form of a host name or IPv4 address, or None when it is neither."""
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    # IDNA's mapping silently drops some invisible characters (soft hyphens): refuse them first.
    if not host or any(unicodedata.category(char)[0] in "CZ" for char in host):
        return None
    try:
        ascii_host = idna.encode(host, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    # A last label of digits only is no host name (and no IPv4 address either, checked above).
    if ascii_host.rstrip(".").rsplit(".", 1)[-1].isdigit():
        return None
    return ascii_host


def _encoded(part: str) -> str:
    return _LINK_UNSAFE.sub(_percent_encoded, part)


def _percent_encoded(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "replace"))


@dataclass(frozen=True)
class _Tables:
    neutralise: dict[int, str | None]
    log: dict[int, str]


@functools.cache
def _tables() -> _Tables:
    """str.translate tables, one pass over the text each: built once per process (a tenth of a second)."""
    neutral: dict[int, str | None] = {}
    log: dict[int, str] = {}
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        # Cc: controls (ESC, NUL, CR...); Cf: format characters (bidi overrides, zero-width ones);
        # Cs: lone surrogates, which no encoder accepts; Zl, Zp: line and paragraph separators,
        # which some clients break lines on.
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            neutral[code] = "\n" if category in ("Zl", "Zp") else None
            log[code] = _escape(chr(code))
    for char in "\n\t":
        del neutral[ord(char)]
    neutral.update({ord(dot): "." for dot in _DOT_LOOKALIKES})
    # Every @ (mentions of Discord, Slack, Zulip, Telegram, Matrix...) and every angle bracket
    # (HTML, Slack's <!channel> and <url|label>, Discord's <@id>) become look-alikes no service parses.
    neutral.update({ord("@"): "＠", ord("<"): "‹", ord(">"): "›"})
    return _Tables(neutral, log)


def _escape(char: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
