"""The text and fields of an alert: what fired, as written, in which sentence, where, when, how widely."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from veille.clean import shorten
from veille.records import AlertMessage, Article, Hit, Mention
from veille.sanitize import neutralise_line, neutralise_path, safe_link

_TITLE_LENGTH = 90
_NAMES_IN_TITLE = 4
# Around the match: a sentence of 2,000 characters is shown by its part that matters.
_CONTEXT_CHARS = 160
MARK_OPEN, MARK_CLOSE = "⟦", "⟧"


def render_alert(
    article: Article,
    hits: Sequence[Hit],
    severity: str,
    sources: Sequence[str],
    read_at: datetime,
) -> AlertMessage:
    """One message for an article: every entry that fired, each with its sentence, variant and rules."""
    # Everything taken from the article is neutralised and kept on its own line; its link is made safe.
    title = neutralise_line(article.title)
    lines: list[str] = []
    for hit in hits:
        lines += _hit_lines(hit)
    lines += [
        f"Article: {title}",
        f"Source: {article.source} — {link(article.location)}",
    ]
    if len(sources) > 1:
        lines.append(f"Carried by {len(sources)} sources: {', '.join(sources)}")
    lines.append(date_line(article.published_at, read_at))
    names = [hit.entry.name for hit in hits]
    shown = ", ".join(names[:_NAMES_IN_TITLE]) + (
        f" and {len(names) - _NAMES_IN_TITLE} more" if len(names) > _NAMES_IN_TITLE else ""
    )
    level = f" [{severity}]" if severity in ("high", "critical") else ""
    headline = shorten(title, _TITLE_LENGTH)
    return AlertMessage(title=f"Veille{level}: {shown} in «{headline}»", body="\n".join(lines))


def _hit_lines(hit: Hit) -> list[str]:
    entry, mention = hit.entry, hit.mention
    times = f"; {hit.occurrences} mentions" if hit.occurrences > 1 else ""
    where = f" ({entry.coordinates[0]:.3f}, {entry.coordinates[1]:.3f})" if entry.coordinates else ""
    rules = "; ".join(f"{fired.rule_id}: {fired.why}" for fired in hit.rules)
    lines = [
        f"{entry.kind.capitalize()}: {entry.name}{where}, written «{neutralise_line(mention.text)}» "
        f"({how_matched(mention.matched_by, mention.confidence)}{times})",
        f"  «{marked_sentence(mention)}»",
        f"  {'Rule' if len(hit.rules) == 1 else 'Rules'} {rules}",
    ]
    if mention.confidence < 1:
        # Why a mention is less than certain (or was released by hand): what the analyst weighs.
        lines.append(f"  Why: {neutralise_line(reasons_text(mention.reasons))}")
    return lines


def how_matched(matched_by: str, confidence: float) -> str:
    """How a mention was found, in words: "fold, confidence 0.92"."""
    return f"{neutralise_line(matched_by)}, confidence {confidence:.2f}"


def reasons_text(reasons: Sequence[str]) -> str:
    """A mention's reasons as one clause, "no reason given" when it has none; quote it where it goes."""
    return "; ".join(reasons) or "no reason given"


def marked_sentence(mention: Mention) -> str:
    """The sentence with the match between ⟦ ⟧, each part neutralised; cut around the match when long."""
    sentence = mention.sentence
    at = _word_at(sentence, mention.text)
    if at < 0:
        # Unmarked, and so without the marks the article wrote: they would point at words as ours do.
        return neutralise_line(_unmarked(shorten(sentence, 2 * _CONTEXT_CHARS)))
    before, match, after = sentence[:at], mention.text, sentence[at + len(mention.text) :]
    if len(before) > _CONTEXT_CHARS:
        # Cut at a word's start, when there is one near: "…tués par des tirs", not "…inistère".
        kept = before[-_CONTEXT_CHARS:]
        space = kept.find(" ")
        before = "…" + (kept[space + 1 :] if 0 <= space < _CONTEXT_CHARS // 4 else kept)
    if len(after) > _CONTEXT_CHARS:
        kept = after[:_CONTEXT_CHARS]
        space = kept.rfind(" ")
        after = (kept[:space] if space > _CONTEXT_CHARS * 3 // 4 else kept) + "…"
    # Neutralised whole, so that no pattern can straddle a mark; marks the article wrote itself are dropped.
    before, match, after = (_unmarked(part) for part in (before, match, after))
    return neutralise_line(f"{before}{MARK_OPEN}{match}{MARK_CLOSE}{after}")


def _unmarked(text: str) -> str:
    return text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def _word_at(sentence: str, text: str) -> int:
    """Where `text` is first written in `sentence` as a word of its own, else where it first appears, or -1.

    The mention carries no offset within its sentence: "Hama" in "Hamad a quitté Hama" is the second.
    """
    if not text:
        return -1
    # A literal between look-arounds: each start is tried once, against the name alone.
    whole = re.search(rf"(?<!\w){re.escape(text)}(?!\w)", sentence)
    return whole.start() if whole is not None else sentence.find(text)


def alert_details(
    article: Article, hits: Sequence[Hit], severity: str, tags: Sequence[str], sources: Sequence[str], read_at: datetime
) -> dict[str, object]:
    """The alert as fields, for the built-in target's JSON line and for reports."""
    return {
        "severity": severity,
        "tags": list(tags),
        "article": {
            "title": article.title,
            "url": safe_link(article.location),
            "location": article.location,
            "source": article.source,
            "date": article.published_at.isoformat() if article.published_at else None,
            "read_at": read_at.isoformat(),
        },
        "sources": list(sources),
        "entries": [
            {
                "id": hit.entry.id,
                "name": hit.entry.name,
                "kind": hit.entry.kind,
                "variant": hit.mention.text,
                "sentence": hit.mention.sentence,
                "occurrences": hit.occurrences,
                "matched_by": hit.mention.matched_by,
                "confidence": hit.mention.confidence,
                "reasons": list(hit.mention.reasons),
                "coordinates": list(hit.entry.coordinates) if hit.entry.coordinates else None,
                "rules": [
                    {"id": fired.rule_id, "kind": fired.kind, "severity": fired.severity, "why": fired.why}
                    for fired in hit.rules
                ],
            }
            for hit in hits
        ],
    }


def date_line(published_at: datetime | None, read_at: datetime) -> str:
    """The article's own date where known, else "date unknown" beside the day Veille read it."""
    if published_at is not None:
        # A date written without a time (a file's "6 septembre 2017") is midnight UTC: shown as the day.
        day_only = (published_at.hour, published_at.minute, published_at.second, published_at.microsecond) == (0,) * 4
        shown = f"{published_at:%Y-%m-%d}" if day_only else when(published_at)
        return f"Date: {shown} (read {when(read_at)})"
    return f"Date unknown (read {when(read_at)})"


def link(location: str) -> str:
    """The article's link, clickable on purpose but able to add nothing; a file path or anything else is text."""
    return safe_link(location) or neutralise_path(location)


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
