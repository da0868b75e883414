"""The decision: one pure step from placed articles and what the store says to what to record and send.

Monitor, replay (dry and real) and the rule tester all call `decide_batch`; the store only writes the
plan it returns (`Store.record_plan`), so a dry run can never disagree with a real one. Nothing here
touches a database, the network or Prefect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from veille.decide.deliveries import Route, TargetProfile, plan_deliveries
from veille.decide.evaluate import DecisionState, article_moment, fire_rules, is_sure, remember_mentions
from veille.decide.render import alert_details, render_alert
from veille.records import (
    BatchPlan,
    DecisionContext,
    DoubtfulMention,
    FiredRule,
    Hit,
    Mention,
    PlacedArticle,
    PlannedAlert,
    StoryRef,
)
from veille.rules.config import SEVERITIES, Rule, RulesConfig
from veille.watchlist import WatchEntry, WatchList

BASELINE_REASON = "baseline: the first read of a new source, whose backlog is old news"


@dataclass(frozen=True)
class DecisionConfig:
    """The configuration the decision reads: watch list, rules, targets with their delivery settings."""

    watchlist: WatchList
    rules: RulesConfig
    targets: tuple[TargetProfile, ...]


def decide_batch(placed: Sequence[PlacedArticle], context: DecisionContext, config: DecisionConfig) -> BatchPlan:
    """What a batch alerts on: for each article, the entries new to its story that rules fire on, as one
    message with its routing, text and deliveries; a baseline source's entries are held, not sent; the
    entries an article names only doubtfully, that no rule releases, are held as doubtful."""
    state = DecisionState(
        alerted={StoryRef(id=story): set(entries) for story, entries in context.alerted.items()},
        history=dict(context.history),
        doubtful={StoryRef(id=story): set(entries) for story, entries in context.doubtful.items()},
    )
    rules = {rule.id: rule for rule in config.rules.rules}
    sent_recently = dict(context.sent_recently)
    sources = _story_sources(placed, context.story_sources)
    alerts = []
    doubtful: list[DoubtfulMention] = []
    for item in placed:
        article = item.article
        baseline = article.source in context.baseline_sources
        if baseline:
            fired = _baseline(item, state)
        else:
            language = context.languages.get(article.source)
            fired = fire_rules(item, config.rules.rules, config.watchlist, state, language)
        remember_mentions(item, state, config.watchlist)
        hits = _hits(item, fired, config.watchlist, rules)
        if hits:
            state.alerted_in(item.story).update(hit.entry.id for hit in hits)
        if not baseline:
            doubtful += _doubtful(item, state, config.watchlist)
        if not hits:
            continue
        alerts.append(
            _planned(
                item,
                hits,
                rules,
                config,
                sources[item.story],
                sent_recently,
                context,
                held=article.source in context.baseline_sources,
            )
        )
    return BatchPlan(
        tuple(placed),
        tuple(alerts),
        alerted={story: frozenset(entries) for story, entries in state.alerted.items()},
        history=state.history,
        doubtful=tuple(doubtful),
        held_doubtful={story: frozenset(entries) for story, entries in state.doubtful.items()},
    )


def base_tags(entry: WatchEntry, source_tags: Sequence[str]) -> tuple[str, ...]:
    """The tags every alert on `entry` carries: alerts, its kind, its id, its own and its source's tags."""
    return ("alerts", entry.kind, entry.id, *entry.tags, *source_tags)


def _planned(
    item: PlacedArticle,
    hits: list[Hit],
    rules: Mapping[str, Rule],
    config: DecisionConfig,
    sources: tuple[str, ...],
    sent_recently: dict[str, int],
    context: DecisionContext,
    held: bool,
) -> PlannedAlert:
    article = item.article
    routes = [
        Route(
            (*base_tags(hit.entry, article.tags), *(rules[f.rule_id].tags if f.rule_id in rules else ())),
            rules[f.rule_id].mode if f.rule_id in rules else "immediate",
            f.rule_id,
        )
        for hit in hits
        for f in hit.rules
    ]
    tags = tuple(dict.fromkeys(tag for route in routes for tag in route.tags))
    severity = max((f.severity for hit in hits for f in hit.rules), key=SEVERITIES.index)
    message = render_alert(article, hits, severity, sources, item.read_at)
    details = alert_details(article, hits, severity, tags, sources, item.read_at)
    moment = article_moment(item)
    if held:
        return PlannedAlert(
            article, item.story, tuple(hits), tags, severity, message, details, (), BASELINE_REASON, moment
        )
    deliveries = plan_deliveries(routes, severity, config.targets, sent_recently, context.now)
    return PlannedAlert(article, item.story, tuple(hits), tags, severity, message, details, deliveries, None, moment)


def _baseline(item: PlacedArticle, state: DecisionState) -> dict[str, list[FiredRule]]:
    """Every entry of the article new to its story, held: later copies of these stories stay old news."""
    alerted = state.alerted_in(item.story)
    new = dict.fromkeys(m.entry_id for m in item.found.mentions if m.entry_id is not None and m.entry_id not in alerted)
    return {
        entry_id: [FiredRule("baseline", "baseline", "low", "held: new source's backlog")]
        for entry_id in new
        if entry_id
    }


def _hits(
    item: PlacedArticle, fired: Mapping[str, list[FiredRule]], watchlist: WatchList, rules: Mapping[str, Rule]
) -> list[Hit]:
    """The fired entries as hits, in the order the article first mentions them.

    A hit quotes, and counts, the mentions its rules could see: "Alep" rather than the "rue d'Alep"
    written before it, held doubtful.
    """
    floors: dict[str, float] = {}
    for fired_id, why in fired.items():
        fired_entry = watchlist.get(fired_id)
        if fired_entry is not None:
            floors[fired_id] = min(_floor(f, fired_entry, watchlist, rules) for f in why)
    first: dict[str, Mention] = {}
    counts: dict[str, int] = {}
    for mention in sorted(item.found.mentions, key=lambda m: m.start):
        entry_id = mention.entry_id
        if entry_id is not None and entry_id in floors and mention.confidence >= floors[entry_id]:
            first.setdefault(entry_id, mention)
            counts[entry_id] = counts.get(entry_id, 0) + 1
    return [
        Hit(entry, mention, counts[entry_id], tuple(fired[entry_id]))
        for entry_id, mention in first.items()
        if (entry := watchlist.get(entry_id)) is not None
    ]


def _floor(fired: FiredRule, entry: WatchEntry, watchlist: WatchList, rules: Mapping[str, Rule]) -> float:
    """The confidence the rule that fired needed of a mention of `entry`; a baseline takes every mention."""
    if fired.kind == "baseline" or fired.rule_id not in rules:
        return 0.0
    return rules[fired.rule_id].threshold(entry, watchlist)


def _doubtful(item: PlacedArticle, state: DecisionState, watchlist: WatchList) -> list[DoubtfulMention]:
    """The entries the article names only doubtfully, not alerted in its story nor held there already,
    each with its most confident mention (the first of them on a tie), in the order first mentioned."""
    sure: set[str] = set()
    best: dict[str, Mention] = {}
    for mention in sorted(item.found.mentions, key=lambda m: m.start):
        entry_id = mention.entry_id
        if entry_id is None or watchlist.get(entry_id) is None:
            continue
        if is_sure(mention, watchlist):
            sure.add(entry_id)
        elif entry_id not in best or mention.confidence > best[entry_id].confidence:
            best[entry_id] = mention
    alerted, held = state.alerted_in(item.story), state.doubtful_in(item.story)
    doubtful = []
    for entry_id, mention in best.items():
        entry = watchlist.get(entry_id)
        if entry is None or entry_id in sure or entry_id in alerted or entry_id in held:
            continue
        held.add(entry_id)
        doubtful.append(DoubtfulMention(item.article, item.story, entry, mention))
    return doubtful


def _story_sources(
    placed: Sequence[PlacedArticle], stored: Mapping[int, tuple[str, ...]]
) -> dict[StoryRef, tuple[str, ...]]:
    """The sources of each story of the batch: those the store knows and those of the batch's articles."""
    sources: dict[StoryRef, set[str]] = {}
    for item in placed:
        known = stored.get(item.story.id, ()) if item.story.id is not None else ()
        sources.setdefault(item.story, set(known)).add(item.article.source)
    return {story: tuple(sorted(names)) for story, names in sources.items()}
