"""The rule tester's table: what the rules would have fired over stored history, per day and rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from veille.records import PlannedAlert
from veille.sanitize import loggable

_ENTRIES_SHOWN = 6


def fired_per_day(planned: Sequence[PlannedAlert]) -> dict[date, dict[str, Counter[str]]]:
    """For each day (the article's date), each rule: how many times it fired, by entry name."""
    days: dict[date, dict[str, Counter[str]]] = {}
    for alert in planned:
        if alert.happened_at is None:
            continue
        moment = alert.happened_at
        for hit in alert.hits:
            for fired in hit.rules:
                days.setdefault(moment.date(), {}).setdefault(fired.rule_id, Counter())[hit.entry.name] += 1
    return dict(sorted(days.items()))


def render_fired_per_day(planned: Sequence[PlannedAlert]) -> str:
    """The table as text, one line per day and rule: `2017-09-06  co-occurrence  3  Kalibr ×2, Hama`."""
    table = fired_per_day(planned)
    if not table:
        return "No rule would have fired on these articles."
    lines = [f"{'day':<10}  {'rule':<24}  {'fired':>5}  entries"]
    for day, rules in table.items():
        for rule_id, entries in sorted(rules.items()):
            shown = ", ".join(
                loggable(name) + (f" ×{count}" if count > 1 else "")
                for name, count in entries.most_common(_ENTRIES_SHOWN)
            )
            more = f", … {len(entries) - _ENTRIES_SHOWN} more" if len(entries) > _ENTRIES_SHOWN else ""
            lines.append(f"{day.isoformat():<10}  {rule_id:<24}  {sum(entries.values()):>5}  {shown}{more}")
    return "\n".join(lines)
