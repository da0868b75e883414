"""Source health: which sources went bad or recovered since the operator was last told, and to whom it goes.

A source is, after a run:

- **failing** when its last K polls failed in a row (`consecutive_failures >= K`, K being
  VEILLE_SOURCE_FAILURES_ALERT, 3 by default);
- **silent** when it normally brings new articles and has brought none for longer than it usually does:

      reads      = the moments Veille first saw its new articles, those under 10 min apart being one read
      usual gap  = the median of the gaps between consecutive reads (known from 5 reads on; before that
                   a source is never silent: nothing says what is usual for it)
      silent for = its last successful read - its latest new article
      silent     when  silent for > max(3 x usual gap, 24 h)

  The silence runs to the last read that answered, not to now: a feed not due (poll_minutes) or
  failing was not asked, so the time since then says nothing of it. Example: new articles read at
  00:00, 06:00, 12:00, 18:00 and 00:00 give a usual gap of 6 h, so a limit of max(18 h, 24 h) = 24 h;
  a read 5 days after the last of them that brings nothing new makes the feed silent for 5 days;
- **ok** otherwise.

The operator hears of a source once when it goes bad and once when it recovers, never once per run:
the store keeps what they were last told (`health_state`), and only a different state is a change.
Pure: plain records in, plain records out.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from veille.decide.deliveries import ALWAYS_TAG, Route, TargetProfile, plan_deliveries
from veille.decide.health_message import health_details, health_says, render_health_alert
from veille.records import HealthChange, HealthState, PlannedHealthAlert, SourceHealthFacts

OPERATOR_TAG = "operator"
HEALTH_RULE = "source-health"
# Articles of one read are recorded batch by batch, seconds apart: closer than this, one read.
SAME_READ = timedelta(minutes=10)
MIN_READS = 5
SILENCE_FACTOR = 3
SILENCE_FLOOR = timedelta(hours=24)


def health_transitions(
    sources: Sequence[SourceHealthFacts],
    now: datetime,
    failures_threshold: int,
    silence_factor: float = SILENCE_FACTOR,
    silence_floor: timedelta = SILENCE_FLOOR,
    min_reads: int = MIN_READS,
) -> list[HealthChange]:
    """One HealthChange per source whose state (failing, silent, ok) differs from what the operator was
    last told; a source never reported counts as ok, so a healthy one gives nothing."""
    changes = []
    for facts in sources:
        gap = usual_gap(facts.arrivals, min_reads)
        quiet = silent_for(facts)
        state: HealthState
        if facts.consecutive_failures >= failures_threshold:
            state = "failing"
        elif gap is not None and quiet is not None and quiet > max(silence_factor * gap, silence_floor):
            state = "silent"
        else:
            state = "ok"
        if state != (facts.health_state or "ok"):
            changes.append(HealthChange(facts, state, now, gap, quiet))
    return changes


def usual_gap(arrivals: Sequence[datetime], min_reads: int = MIN_READS) -> timedelta | None:
    """The median time between the reads that brought new articles; None with fewer than `min_reads` reads."""
    reads = _reads(arrivals)
    if len(reads) < max(min_reads, 2):
        return None
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(reads)]
    return timedelta(seconds=median(gaps))


def silent_for(facts: SourceHealthFacts) -> timedelta | None:
    """How long before its last successful read the source last brought a new article; None if never either."""
    if facts.last_success_at is None or not facts.arrivals:
        return None
    return max(facts.last_success_at - max(facts.arrivals), timedelta(0))


def _reads(arrivals: Sequence[datetime]) -> list[datetime]:
    """The start of each read: arrivals sorted, those within SAME_READ of a read's start joined to it."""
    reads: list[datetime] = []
    for moment in sorted(arrivals):
        if not reads or moment - reads[-1] >= SAME_READ:
            reads.append(moment)
    return reads


def health_targets(targets: Sequence[TargetProfile]) -> tuple[TargetProfile, ...]:
    """The targets a health message goes to: those tagged `operator` or `always`, and the untagged ones
    only when no target is tagged `operator`.

    An untagged target takes every alert about the news, mostly because its user never needed tags:
    a set-up of one chat is the operator's too and must hear that a feed died. Once a target is tagged
    `operator`, its user has said where Veille's own troubles go, and the others are left to the news.
    """
    has_operator = any(OPERATOR_TAG in target.tags for target in targets)
    return tuple(
        target
        for target in targets
        if OPERATOR_TAG in target.tags or ALWAYS_TAG in target.tags or (not target.tags and not has_operator)
    )


def plan_health_alerts(
    changes: Sequence[HealthChange],
    targets: Sequence[TargetProfile],
    sent_recently: MutableMapping[str, int],
    now: datetime,
    failures_threshold: int,
) -> tuple[PlannedHealthAlert, ...]:
    """One message per change, to the operator's targets (health_targets), each target's quiet hours and
    rate limit applying as to any alert. `sent_recently` gains the deliveries planned here."""
    chosen = health_targets(targets)
    route = Route((OPERATOR_TAG,), "immediate", HEALTH_RULE)
    planned = []
    for change in changes:
        severity = "normal" if change.state == "ok" else "high"
        planned.append(
            PlannedHealthAlert(
                change=change,
                severity=severity,
                says=health_says(change),
                message=render_health_alert(change, failures_threshold),
                details=health_details(change, severity),
                tags=(OPERATOR_TAG,),
                deliveries=plan_deliveries([route], severity, chosen, sent_recently, now),
            )
        )
    return tuple(planned)
