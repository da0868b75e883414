"""Secrets masked out of any URL-like text: target labels, error messages, apprise's own log lines.

Structural, not per service: apprise's privacy mask knows each plugin's secret fields, but it shows
json://, form:// and xml:// paths whole and prints a URL it cannot parse as given. So everything
after the host goes: the user name and password, every path segment, every query value and the
fragment; the scheme, a host that reads as a host name or an address, and a numeric port stay.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from veille.clean import shorten

MASK = "****"
MASKED_CHARS = 4_000

# `scheme://…`; `scheme//…`, a colon lost by a typo (apprise prints `tgram//TOKEN` back); and
# `scheme:user:password@host`, a password with no slashes before it.
_URL = re.compile(r"(?<![\w+.-])([A-Za-z][A-Za-z0-9+.-]{0,31})(:?//|:(?=[^\s/@'\"<>`]*@))([^\s'\"<>`]*)")
# A path printed without its URL (`url: /hook/TOKEN` in a requests error apprise logs).
_BARE_PATH = re.compile(r"(?<![\w/:.*\]])/(?=[^\s/])[^\s'\"<>`]*")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_QUERY_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.+-]{0,31}")


def mask_urls(text: str, bare_paths: bool = False) -> str:
    """`text` with every URL in it masked; `bare_paths` also masks paths printed without a URL.

    A text longer than MASKED_CHARS is cut first: the `user:password@` look-ahead rescans a run of
    scheme-like words (`a:a:a:…`, which a server's answer quoted in an error could be), so the time
    grows with the square of such a run; no error or log line worth reading is that long.
    """
    text = shorten(text, MASKED_CHARS)
    text = _URL.sub(_mask_match, text)
    if bare_paths:
        text = _BARE_PATH.sub(lambda m: _mask_path(m.group(0)), text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    rest = match.group(3)
    # Punctuation that ends the sentence the URL stands in is not part of it.
    kept = rest.rstrip(".,;:!?)]")
    return match.group(1) + match.group(2) + _mask_after_scheme(kept) + rest[len(kept) :]


def mask_url(url: str) -> str:
    """One URL masked; a text with no scheme at all is taken as what follows one."""
    return mask_urls(url) if _URL.match(url) else _mask_after_scheme(url)


def _mask_after_scheme(rest: str) -> str:
    cut = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    # The last `@` ends the user part: a password with an `@` of its own is masked whole.
    _userinfo, at, hostport = authority.rpartition("@")
    return (MASK + "@" if at else "") + _mask_host(hostport) + _mask_tail(tail)


def _mask_host(hostport: str) -> str:
    if not hostport:
        return ""
    if hostport.startswith("["):
        literal, closed, port = hostport[1:].partition("]")
        host_ok = bool(closed) and _is_address(literal)
        port = port[1:] if port.startswith(":") else (port and MASK)
        return (f"[{literal}]" if host_ok else MASK) + (f":{_mask_port(port)}" if port else "")
    host, colon, port = hostport.partition(":")
    return (host if _is_host(host) else MASK) + (f":{_mask_port(port)}" if colon else "")


def _mask_port(port: str) -> str:
    return port if port.isdigit() and len(port) <= 5 else MASK


def _is_host(host: str) -> bool:
    """A name or an address, not a token: Telegram's bot token and Discord's webhook id sit there too."""
    if host.lower() == "localhost" or _is_address(host):
        return True
    labels = host.split(".")
    return (
        len(labels) >= 2
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _mask_tail(tail: str) -> str:
    path, hash_mark, fragment = tail.partition("#")
    path, question, query = path.partition("?")
    masked = _mask_path(path)
    if question:
        masked += "?" + "&".join(_mask_parameter(item) for item in query.split("&"))
    return masked + ("#" + MASK if hash_mark and fragment else hash_mark)


def _mask_path(path: str) -> str:
    return "/".join(MASK if segment else "" for segment in path.split("/"))


def _mask_parameter(item: str) -> str:
    key, equals, _value = item.partition("=")
    if not item:
        return ""
    return f"{key}={MASK}" if equals and _QUERY_KEY.fullmatch(key) else MASK


class MaskingFilter(logging.Filter):
    """Rewrites each record's message with its URLs and paths masked, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: show neither
            message = str(record.msg)
        record.msg, record.args = mask_urls(message, bare_paths=True), None
        if record.exc_info and record.exc_info[1] is not None:
            # A traceback repeats the message; the handler would print it unmasked.
            record.exc_text = mask_urls(logging.Formatter().formatException(record.exc_info), bare_paths=True)
            record.exc_info = None
        return True


def mask_logger(name: str) -> None:
    """Mask every record of the logger `name` (once, however often called)."""
    target = logging.getLogger(name)
    if not any(isinstance(existing, MaskingFilter) for existing in target.filters):
        target.addFilter(MaskingFilter())


def database_url_problem(host: str | None) -> str | None:
    """Why a database URL whose host parsed as `host` cannot be right, in words that quote none of it."""
    if host and "@" in host:
        # SQLAlchemy splits at the first `@`: the rest of the password went into the host name.
        return (
            "VEILLE_DATABASE_URL: the user name or password holds an '@' that is not percent-encoded; write it as %40"
        )
    return None
