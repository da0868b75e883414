"""Tables for a terminal, for the operator's commands (`veille alerts`, `veille sources`): pure functions.

Every cell is text an article or a source may have written: it is shown through `shown`, so that no
escape sequence, control character or line break reaches the terminal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from veille.clean import shorten
from veille.sanitize import loggable

_GAP = "  "
# Under this, the stretched column would say nothing; the table is then wider than the terminal.
_MIN_STRETCH = 12


def shown(text: object) -> str:
    """`text` on one line with nothing a terminal would obey: ANSI escapes, controls and bidi overrides
    are written out (`\\x1b`, `\\u202e`), runs of white space are one space."""
    return loggable(" ".join(str(text).split()))


def table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int, stretch: int) -> list[str]:
    """`rows` under `header` in columns, at most `width` characters a line: column `stretch` takes what the
    others leave, its cells shortened to fit. Cells must be shown() already."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    others = sum(w for i, w in enumerate(widths) if i != stretch) + len(_GAP) * (len(widths) - 1)
    widths[stretch] = max(min(widths[stretch], width - others), _MIN_STRETCH)
    lines = []
    for row in (header, *rows):
        cells = [shorten(cell, widths[i]) if i == stretch else cell for i, cell in enumerate(row)]
        lines.append(_GAP.join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip())
    return lines


def did_you_mean(wanted: str, candidates: Iterable[str] | Mapping[str, str]) -> str:
    """' (did you mean a, b?)' for the candidates close to `wanted` in any case, or ''. Given a mapping,
    its keys are compared and its values shown (an entry's name, compared, shows its id)."""
    shown_as = dict(candidates) if isinstance(candidates, Mapping) else {c: c for c in candidates}
    by_fold: dict[str, str] = {}
    for candidate, label in shown_as.items():
        by_fold.setdefault(candidate.casefold(), label)
    close = difflib.get_close_matches(wanted.casefold(), list(by_fold), n=3, cutoff=0.6)
    labels = list(dict.fromkeys(by_fold[c] for c in close))
    return f" (did you mean {', '.join(labels)}?)" if labels else ""


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date and time as an aware UTC moment (a time without a zone is UTC).

    A date alone is its midnight, or with `end_of_day` the next midnight: `--until 2026-11-22` takes in
    the 22nd. Raises ValueError with a line to show the user.
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        moment = datetime.combine(day, time(), UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date (2026-11-22) or date and time (2026-11-22T08:00)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
