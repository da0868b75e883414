"""The text and fields of a source health message: what went wrong or right, since when, and where to look."""

from __future__ import annotations

from datetime import datetime, timedelta

from veille.clean import SOURCE_CHARS, clean_line, shorten
from veille.decide.render import when
from veille.records import AlertMessage, HealthChange
from veille.redact import mask_urls
from veille.sanitize import neutralise_line

_ERROR_CHARS = 300
# A read this close to the change is the run's own.
_THIS_RUN = timedelta(minutes=1)
WHERE_TO_LOOK = (
    "Where to look: the summary of the latest monitor run (its monitor-summary artifact in the Prefect UI, "
    "or the end of the output of veille run), where the source has a line of its own."
)


def health_says(change: HealthChange) -> str:
    """The new state in a few words, as the title and the run summary say it."""
    if change.state == "failing":
        return f"failing ({change.facts.consecutive_failures} polls in a row)"
    if change.state == "silent":
        usual = f" (usually a new article every {span(change.usual_gap)})" if change.usual_gap is not None else ""
        return f"silent for {span(change.silent_for or timedelta(0))}{usual}"
    return "recovered"


def render_health_alert(change: HealthChange, failures_threshold: int) -> AlertMessage:
    """One message for one change: the title says it, the body gives the facts and where to look."""
    name, facts = source_label(change.source), change.facts
    if change.state == "failing":
        lines = [
            f"{name} could not be read {facts.consecutive_failures} polls in a row "
            f"(you are told from {failures_threshold}: VEILLE_SOURCE_FAILURES_ALERT).",
            f"Last error: {quoted_error(facts.last_error)}",
            _last_read(change),
            "It is read again at every run; you get one message when it recovers.",
        ]
    elif change.state == "silent":
        latest = max(facts.arrivals)
        usual = f"; it usually brings one every {span(change.usual_gap)}" if change.usual_gap is not None else ""
        lines = [
            f"{name} answers, but has brought no new article for {span(change.silent_for or timedelta(0))}: "
            f"its latest was first seen {when(latest)}{usual}.",
            _last_read(change),
            "A site that moved or changed its feed may still answer with an old one: check its address.",
            "You get one message when it brings new articles again.",
        ]
    else:
        lines = [_recovery(change), _last_read(change)]
    title = f"Veille: source {name} " + ("recovered" if change.state == "ok" else f"is {health_says(change)}")
    return AlertMessage(title=title, body="\n".join([*lines, WHERE_TO_LOOK]))


def health_details(change: HealthChange, severity: str) -> dict[str, object]:
    """The message as fields, for the built-in target's JSON line and for reports."""
    facts = change.facts
    return {
        "category": "health",
        "severity": severity,
        "source": facts.name,
        "state": change.state,
        "previous": change.previous,
        "previous_since": _iso(facts.health_changed_at),
        "consecutive_failures": facts.consecutive_failures,
        "last_error": quoted_error(facts.last_error) if facts.last_error else None,
        "last_success_at": _iso(facts.last_success_at),
        "latest_article_at": _iso(max(facts.arrivals)) if facts.arrivals else None,
        "usual_gap_hours": _hours(change.usual_gap),
        "silent_hours": _hours(change.silent_for),
    }


def _recovery(change: HealthChange) -> str:
    name, facts = source_label(change.source), change.facts
    since = facts.health_changed_at
    told = f", reported {change.previous} on {when(since)} ({span(change.at - since)} ago)," if since else ""
    if change.previous == "failing":
        return f"{name}{told} is read again."
    latest = f" (the latest first seen {when(max(facts.arrivals))})" if facts.arrivals else ""
    return f"{name}{told} brings new articles again{latest}."


def _last_read(change: HealthChange) -> str:
    success = change.facts.last_success_at
    if success is None:
        return "Never read successfully."
    ago = change.at - success
    return f"Last successful read: {when(success)} ({'this run' if ago < _THIS_RUN else span(ago) + ' ago'})."


def source_label(name: str) -> str:
    """A source's name made inert after its kind ("feed:", "folder:"): a folder's path is the user's, but
    may hold an `@` or a domain-like name that a target would turn into a mention or a link."""
    kind, colon, rest = name.partition(":")
    if not colon:
        return neutralise_line(clean_line(name, SOURCE_CHARS))
    return f"{kind}:{neutralise_line(clean_line(rest, SOURCE_CHARS))}"


def quoted_error(error: str | None) -> str:
    """A source's last error, as a server may have written part of it: cut, URLs masked, made inert, one line."""
    if not error:
        return "none recorded"
    # Cut before masking: masking a long run of scheme-like words takes time with the square of its length.
    text = mask_urls(clean_line(error, 4 * _ERROR_CHARS))
    return shorten(neutralise_line(text), _ERROR_CHARS)


def span(duration: timedelta | None) -> str:
    """A duration as a person says it, rounded down: "5 days", "36 h", "45 min"."""
    seconds = max(int(duration.total_seconds()), 0) if duration is not None else 0
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} h"
    if seconds >= 120:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _hours(duration: timedelta | None) -> float | None:
    return round(duration.total_seconds() / 3600, 2) if duration is not None else None
