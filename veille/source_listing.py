"""Every configured source's health as `veille sources` shows it: a terminal table or records for JSON. Pure.

A source is, by what the store knows of it:

- **failing** after a failed read (`failing since` its last successful read, and how many in a row);
- **silent** when it answers but has brought nothing new for longer than it usually does (the rule of
  veille.decide.health: longer than max(3 x its usual gap, 24 h));
- **never read** when no read of it succeeded yet;
- **ok** otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from veille.clean import shorten
from veille.decide.health import SILENCE_FACTOR, SILENCE_FLOOR, silent_for, usual_gap
from veille.listing import shown, table, when
from veille.records import SourceHealth, SourceHealthFacts, SourceState
from veille.redact import mask_urls
from veille.summary import plural

HEADER = ("SOURCE", "LAST READ (UTC)", "STATE", "ENTRIES")


@dataclass(frozen=True)
class SourceView:
    """One configured source as the operator sees it; `last_error` is masked already."""

    name: str
    state: str
    last_read_at: datetime | None
    last_success_at: datetime | None
    failures: int
    silent_for: timedelta | None
    entries: int
    last_error: str | None
    last_error_at: datetime | None

    @property
    def says(self) -> str:
        """The state in words: 'failing since 2026-11-20 08:00, 3 failures in a row', 'silent for 5 days'."""
        if self.state == "failing":
            since = f" since {when(self.last_success_at)}" if self.last_success_at else ", never read"
            return f"failing{since}, {plural(self.failures, 'failure')} in a row"
        if self.state == "silent" and self.silent_for is not None:
            return f"silent for {_duration(self.silent_for)}"
        return self.state


def source_views(
    names: Sequence[str],
    health: Iterable[SourceHealth],
    states: Mapping[str, SourceState],
    facts: Iterable[SourceHealthFacts],
) -> list[SourceView]:
    """A view of each of `names` (the configured sources, in their order), a source the store has never
    seen included (never read)."""
    by_health = {h.name: h for h in health}
    by_facts = {f.name: f for f in facts}
    views = []
    for name in names:
        h, f, s = by_health.get(name), by_facts.get(name), states.get(name)
        quiet = silent_for(f) if f is not None else None
        views.append(
            SourceView(
                name=name,
                state=_state(h, f, quiet),
                last_read_at=s.last_fetched_at if s else None,
                last_success_at=h.last_success_at if h else None,
                failures=h.consecutive_failures if h else 0,
                silent_for=quiet,
                entries=h.entries if h else 0,
                last_error=mask_urls(h.last_error) if h and h.last_error else None,
                last_error_at=h.last_error_at if h else None,
            )
        )
    return views


def _state(health: SourceHealth | None, facts: SourceHealthFacts | None, quiet: timedelta | None) -> str:
    if health is not None and health.consecutive_failures > 0:
        return "failing"
    if health is None or health.last_success_at is None:
        return "never read"
    gap = usual_gap(facts.arrivals) if facts is not None else None
    if gap is not None and quiet is not None and quiet > max(SILENCE_FACTOR * gap, SILENCE_FLOOR):
        return "silent"
    return "ok"


def source_table(views: Sequence[SourceView], width: int) -> list[str]:
    """One row per source, at most `width` characters a line; under a source not ok now, indented, its
    last error (a recovered one's stays in the JSON)."""
    rows = [(shown(v.name), when(v.last_read_at) if v.last_read_at else "never", v.says, str(v.entries)) for v in views]
    lines = table(HEADER, rows, width, stretch=2)
    out = lines[:1]
    for line, view in zip(lines[1:], views, strict=True):
        out.append(line)
        if view.last_error and view.state != "ok":
            out.append(shorten(f"    last error: {shown(view.last_error)}", max(width, 40)))
    return out


def source_records(views: Sequence[SourceView]) -> list[dict[str, object]]:
    return [
        {
            "name": v.name,
            "state": v.state,
            "says": v.says,
            "last_read_at": _iso(v.last_read_at),
            "last_success_at": _iso(v.last_success_at),
            "failures_in_a_row": v.failures,
            "silent_for_seconds": v.silent_for.total_seconds() if v.silent_for is not None else None,
            "entries": v.entries,
            "last_error": v.last_error,
            "last_error_at": _iso(v.last_error_at),
        }
        for v in views
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return plural(int(hours // 24), "day") if hours >= 48 else plural(int(hours), "hour")
