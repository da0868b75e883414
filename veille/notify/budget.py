"""An alert fitted to what one target takes: apprise's own title and body limits for its service.

A service refuses a message longer than it takes (Telegram 4,096 characters, Discord 2,000): sent as
it is, such an alert fails every retry and is lost for that target. So it is shortened before it is
sent, the quoted sentence first, then the article's title and the list of sources; the entry line,
the article's link and the source line are kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apprise.plugins.base import NotifyBase

from veille.clean import shorten

# What apprise adds when it puts the title at the top of the body ("<b>title</b><br />\r\n"), and a margin.
_TITLE_IN_BODY = 20
# Shortened in this order, each down to an ellipsis if need be; every other line is kept whole.
_SHORTENED = (
    re.compile(r"(?P<head>\s*«)(?P<text>.*)(?P<tail>»)"),
    re.compile(r"(?P<head>Article: )(?P<text>.*)(?P<tail>)"),
    re.compile(r"(?P<head>Carried by \d+ sources: )(?P<text>.*)(?P<tail>)"),
)


@dataclass(frozen=True)
class MessageLimits:
    """Characters a target takes. A title limit of 0: it has no title, and the title goes into the body."""

    title: int
    body: int
    title_counts_in_body: bool = False


def limits_of(server: NotifyBase) -> MessageLimits:
    """The limits apprise knows for this target's service."""
    return MessageLimits(server.title_maxlen, server.body_maxlen, bool(server.overflow_amalgamate_title))


def fit_message(title: str, body: str, limits: MessageLimits) -> tuple[str, str]:
    """`title` and `body` shortened, where they must be, to fit `limits`."""
    if limits.title > 0:
        title = shorten(title, limits.title)
        room = limits.body - (len(title) if limits.title_counts_in_body else 0)
    else:
        # The title goes into the body: at most a quarter of it, so the alert itself has room.
        title = shorten(title, limits.body // 4)
        room = limits.body - (len(title) + _TITLE_IN_BODY if title else 0)
    return title, fit_body(body, room)


def fit_body(body: str, room: int) -> str:
    """`body` in at most `room` characters: the shortened lines first, the end of the text last."""
    if len(body) <= room:
        return body
    lines = body.split("\n")
    excess = len(body) - room
    for pattern in _SHORTENED:
        for index, line in enumerate(lines):
            match = pattern.fullmatch(line)
            if excess <= 0 or match is None:
                continue
            text = match.group("text")
            shorter = shorten(text, max(1, len(text) - excess))
            excess -= len(text) - len(shorter)
            lines[index] = match.group("head") + shorter + match.group("tail")
    # Past that, the lines kept whole do not fit: a tiny limit, or a text that is no alert (a digest).
    return shorten("\n".join(lines), room)
