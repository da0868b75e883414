"""The rules over one article: which of its watched entries fire, by which rules, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from veille.records import EntryHistory, FiredRule, Mention, PlacedArticle, StoryRef
from veille.rules.config import Rule
from veille.rules.gaps import back_after, explain_gap
from veille.rules.proximity import Span, co_occurrences
from veille.rules.spike import spike_test
from veille.watchlist import WatchList

# The longest spike window a rule may have (31 days), and so how far back `EntryHistory.recent` goes.
RECENT_HORIZON = timedelta(days=31)


@dataclass
class DecisionState:
    """What deciding a batch has learnt so far: entries alerted and entries held as doubtful per story,
    and each entry's past.

    Seeded from the store's context; each article decided updates it, so the next article of the
    batch (or of a dry run's next batch) is decided as if the earlier ones were stored.
    """

    alerted: dict[StoryRef, set[str]] = field(default_factory=dict)
    history: dict[str, EntryHistory] = field(default_factory=dict)
    doubtful: dict[StoryRef, set[str]] = field(default_factory=dict)

    def alerted_in(self, story: StoryRef) -> set[str]:
        return self.alerted.setdefault(story, set())

    def doubtful_in(self, story: StoryRef) -> set[str]:
        return self.doubtful.setdefault(story, set())


def is_sure(mention: Mention, watchlist: WatchList) -> bool:
    """Whether a watched mention reaches its entry's threshold (WatchList.threshold); under it, it is doubtful."""
    entry = watchlist.get(mention.entry_id) if mention.entry_id is not None else None
    return entry is not None and mention.confidence >= watchlist.threshold(entry)


def article_moment(item: PlacedArticle) -> datetime:
    """When the article happened for the rules: its own date, unless it claims to be later than its reading."""
    published = item.article.published_at
    return min(published, item.read_at) if published is not None else item.read_at


def fire_rules(
    item: PlacedArticle, rules: Sequence[Rule], watchlist: WatchList, state: DecisionState, language: str | None
) -> dict[str, list[FiredRule]]:
    """The rules that fire on each entry of the article not yet alerted in its story, by entry id.

    A rule sees the mentions whose confidence reaches its threshold (Rule.threshold): by default the sure
    ones, so that an entry the article names only doubtfully fires nothing.
    """
    moment = article_moment(item)
    alerted = state.alerted_in(item.story)
    watched = [m for m in item.found.mentions if m.entry_id is not None]
    fired: dict[str, list[FiredRule]] = {}
    for rule in rules:
        if not rule.applies_to(item.article.source, language):
            continue
        seen = [m for m in watched if _seen_by(rule, m, watchlist)]
        candidates = {m.entry_id for m in seen if m.entry_id not in alerted}
        for entry_id, why in _fired_by(rule, seen, candidates, item, moment, watchlist, state):
            fired.setdefault(entry_id, []).append(FiredRule(rule.id, rule.kind, rule.severity, why))
    return fired


def remember_mentions(item: PlacedArticle, state: DecisionState, watchlist: WatchList) -> None:
    """The article's entries named surely, as seen at its moment: later first_seen and spike rules count it.

    A doubtful mention is not counted: "rue d'Alep" last week does not make Alep's return today old news,
    and a run of articles on mortar the building material is no spike of mortiers (the store reads the
    past the same way: veille.store.context.entry_history).
    """
    moment = article_moment(item)
    story_key = _story_key(item.story)
    for entry_id in {m.entry_id for m in item.found.mentions if m.entry_id is not None and is_sure(m, watchlist)}:
        past = state.history.get(entry_id, EntryHistory())
        last = past.last_seen_at if past.last_seen_at is not None and past.last_seen_at > moment else moment
        # Only as far back as the longest spike window: a replay over years must not keep them all.
        horizon = moment - RECENT_HORIZON
        recent = {key: when for key, when in past.recent.items() if when > horizon}
        by_day = past.stories_by_day
        if story_key not in past.recent:
            recent[story_key] = moment
            by_day = {**by_day, moment.date(): by_day.get(moment.date(), 0) + 1}
        state.history[entry_id] = replace(past, last_seen_at=last, recent=recent, stories_by_day=by_day)


def _seen_by(rule: Rule, mention: Mention, watchlist: WatchList) -> bool:
    entry = watchlist.get(mention.entry_id) if mention.entry_id is not None else None
    return entry is not None and mention.confidence >= rule.threshold(entry, watchlist)


def _story_key(story: StoryRef) -> int | tuple[str, str]:
    if story.id is not None:
        return story.id
    return story.opened_by or ("", "")


def _fired_by(
    rule: Rule,
    watched: list[Mention],
    candidates: set[str | None],
    item: PlacedArticle,
    moment: datetime,
    watchlist: WatchList,
    state: DecisionState,
) -> list[tuple[str, str]]:
    covered = [
        entry_id
        for entry_id in dict.fromkeys(m.entry_id for m in watched if m.entry_id in candidates)
        if entry_id is not None and (entry := watchlist.get(entry_id)) is not None and rule.entries.covers(entry)
    ]
    if rule.kind == "mention":
        return [(entry_id, "new mention") for entry_id in covered]
    if rule.kind == "first_seen":
        return _first_seen(rule, covered, moment, state)
    if rule.kind == "spike":
        return _spikes(rule, covered, item, moment, state)
    return _co_occurring(rule, watched, candidates, item, watchlist)


def _first_seen(rule: Rule, covered: list[str], moment: datetime, state: DecisionState) -> list[tuple[str, str]]:
    fired = []
    for entry_id in covered:
        last = state.history.get(entry_id, EntryHistory()).last_seen_at
        if last is None:
            fired.append((entry_id, explain_gap(None)))
            continue
        days = back_after(last, moment, rule.quiet_days or 0.0)
        if days is not None:
            fired.append((entry_id, explain_gap(days)))
    return fired


def _spikes(
    rule: Rule, covered: list[str], item: PlacedArticle, moment: datetime, state: DecisionState
) -> list[tuple[str, str]]:
    window = timedelta(hours=rule.spike_window_hours)
    fired = []
    for entry_id in covered:
        past = state.history.get(entry_id, EntryHistory())
        if past.last_spike_at is not None and moment - past.last_spike_at < window:
            continue  # one spike alert per entry and window, not one per article of the burst
        stories = {key for key, when in past.recent.items() if moment - window < when <= moment}
        observed = len(stories | {_story_key(item.story)})
        first_day = (moment - window).date()
        baseline = [
            past.stories_by_day.get(first_day - timedelta(days=back), 0)
            for back in range(rule.spike_baseline_days, 0, -1)
        ]
        test = spike_test(
            observed,
            baseline,
            rule.spike_window_hours,
            floor_per_day=rule.floor_per_day if rule.floor_per_day is not None else 0.5,
            max_p=rule.max_p if rule.max_p is not None else 0.001,
            min_count=rule.min_count if rule.min_count is not None else 3,
        )
        if test.fires:
            fired.append((entry_id, test.explain(rule.spike_window_hours, "story", "stories")))
            state.history[entry_id] = replace(past, last_spike_at=moment)
    return fired


def _co_occurring(
    rule: Rule, watched: list[Mention], candidates: set[str | None], item: PlacedArticle, watchlist: WatchList
) -> list[tuple[str, str]]:
    other = rule.with_entries
    if other is None:
        return []
    first, second = [], []
    for mention in watched:
        entry = watchlist.get(mention.entry_id or "")
        if entry is None:
            continue
        span = Span(mention.start, mention.end, entry.id, entry.kind)
        if rule.entries.covers(entry):
            first.append((span, mention))
        if other.covers(entry):
            second.append((span, mention))
    pairs = _pairs(first, second, item.article.text, rule.within_tokens)
    how = "in one sentence" if rule.within_tokens is None else f"within {rule.within_tokens} words"
    fired: dict[str, str] = {}
    for a, b in pairs:
        names = {span.entry_id: _name(watchlist, span.entry_id) for span in (a, b)}
        for this, that in ((a, b), (b, a)):
            if this.entry_id in candidates:
                fired.setdefault(this.entry_id, f"with {names[that.entry_id]} {how}")
    return list(fired.items())


def _pairs(
    first: list[tuple[Span, Mention]], second: list[tuple[Span, Mention]], text: str, within: int | None
) -> list[tuple[Span, Span]]:
    if within is not None:
        return co_occurrences([s for s, _ in first], [s for s, _ in second], text, within, None)
    # In one sentence: the model's sentence of each mention, which the mention carries.
    by_sentence: dict[str, list[Span]] = {}
    for span, mention in second:
        by_sentence.setdefault(mention.sentence, []).append(span)
    seen: set[tuple[str, str]] = set()
    pairs = []
    for span, mention in first:
        for partner in by_sentence.get(mention.sentence, ()):
            key = (span.entry_id, partner.entry_id)
            if span.entry_id != partner.entry_id and key not in seen:
                seen.add(key)
                pairs.append((span, partner))
    return pairs


def _name(watchlist: WatchList, entry_id: str) -> str:
    entry = watchlist.get(entry_id)
    return entry.name if entry is not None else entry_id
