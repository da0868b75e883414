"""To whom an alert goes, and when: routing by tag, digest rules, quiet hours and rate limits."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from veille.records import PlannedDelivery, TargetRef
from veille.rules.config import QuietHours, RateLimit, TargetDelivery

# A target with this tag gets every alert, as in apprise; so does a target with no tag.
ALWAYS_TAG = "always"


@dataclass(frozen=True)
class TargetProfile:
    """A notification target as the decision sees it: its identity, tags and delivery settings."""

    ref: TargetRef
    tags: frozenset[str]
    delivery: TargetDelivery | None = None


@dataclass(frozen=True)
class Route:
    """One reason for an alert to reach targets: the tags of one fired rule on one entry, and its mode."""

    tags: tuple[str, ...]
    mode: str
    rule_id: str


def takes(target_tags: frozenset[str], alert_tags: Iterable[str]) -> bool:
    """Whether a target with `target_tags` receives an alert carrying `alert_tags`."""
    return not target_tags or ALWAYS_TAG in target_tags or bool(target_tags & set(alert_tags))


def plan_deliveries(
    routes: Sequence[Route],
    severity: str,
    targets: Sequence[TargetProfile],
    sent_recently: MutableMapping[str, int],
    now: datetime,
) -> tuple[PlannedDelivery, ...]:
    """One delivery per target some route reaches: at once, after the target's quiet hours, or queued for
    its digest (every route to it a digest rule, or over its rate limit). Critical alerts skip quiet
    hours and rate limits. `sent_recently` (immediate deliveries per target key in its rate window)
    gains the ones planned here."""
    planned = []
    for target in targets:
        reaching = [route for route in routes if takes(target.tags, route.tags)]
        if not reaching:
            continue
        planned.append(_delivery(target, reaching, severity, sent_recently, now))
    return tuple(planned)


def _delivery(
    target: TargetProfile, reaching: list[Route], severity: str, sent_recently: MutableMapping[str, int], now: datetime
) -> PlannedDelivery:
    if all(route.mode == "digest" for route in reaching):
        rules = ", ".join(dict.fromkeys(route.rule_id for route in reaching))
        return PlannedDelivery(target.ref, "queued", now, f"digest rule {rules}")
    settings = target.delivery
    if severity != "critical" and settings is not None:
        if settings.rate_limit is not None and sent_recently.get(target.ref.key, 0) >= settings.rate_limit.count:
            return PlannedDelivery(target.ref, "queued", now, f"over the rate limit of {_rate(settings.rate_limit)}")
        if settings.quiet_hours is not None:
            until = quiet_until(settings.quiet_hours, now)
            if until is not None:
                sent_recently[target.ref.key] = sent_recently.get(target.ref.key, 0) + 1
                local = until.astimezone(ZoneInfo(settings.quiet_hours.timezone))
                reason = f"quiet hours until {local:%H:%M} {settings.quiet_hours.timezone}"
                return PlannedDelivery(target.ref, "pending", until, reason)
    sent_recently[target.ref.key] = sent_recently.get(target.ref.key, 0) + 1
    return PlannedDelivery(target.ref, "pending", now)


def quiet_until(quiet: QuietHours, now: datetime) -> datetime | None:
    """When the quiet hours `now` falls in end (aware, UTC), or None when `now` is outside them.

    Read in the target's time zone, so "22:00-07:00 Europe/Paris" follows summer time; hours that wrap
    past midnight (start after end) are quiet from start to the next day's end.
    """
    zone = ZoneInfo(quiet.timezone)
    local = now.astimezone(zone)
    start, end, clock = quiet.start_time, quiet.end_time, local.timetz().replace(tzinfo=None)
    wraps = start > end
    inside = (clock >= start or clock < end) if wraps else (start <= clock < end)
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if wraps and clock >= start else local.date()
    # Built from the wall clock, then made aware: an end inside a DST gap or fold still gets one instant.
    ending = datetime.combine(end_day, end).replace(tzinfo=zone)
    if ending.astimezone(UTC) <= now.astimezone(UTC):
        # The night the clocks go back, the end's wall-clock time comes twice: the one still to come.
        ending = ending.replace(fold=1)
    return ending.astimezone(now.tzinfo)


def _rate(limit: RateLimit) -> str:
    hours = f"{limit.hours:g} h"
    return f"{limit.count} per {hours}"
