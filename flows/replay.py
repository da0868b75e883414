"""The replay flow: run detection again over stored articles, to try a watch list against history."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Completed

from flows.common import (
    decision_config,
    delivery_policy,
    failed,
    load_configuration,
    notify_operator,
    open_store,
    precheck_configuration,
    publish_report,
    sent_journal,
    state_name,
    unwalked,
)
from flows.environment import offline_defaults
from flows.prefect_home import command_line_server
from flows.progress import RunProgress
from tasks.extract import extract_batch, load_language_model
from tasks.notify import send_alerts
from tasks.store import rate_windows
from veille.decide import DecisionConfig, decide_batch
from veille.errors import VeilleError
from veille.extract.index_cache import IndexCache
from veille.interfaces import Store
from veille.records import (
    ArticleMentions,
    BatchPlan,
    CreatedAlert,
    DecisionContext,
    EntryHistory,
    PlacedArticle,
    PlannedAlert,
    StoredArticle,
    StoryRef,
)
from veille.report import render_replay_report
from veille.rules.config import load_rules
from veille.rules.tester import render_fired_per_day
from veille.sanitize import loggable
from veille.summary import plural
from veille.watchlist import load_watchlist

REPORT_KEY = "replay-report"


@flow(name="replay", on_failure=[notify_operator], on_crashed=[notify_operator])
def replay(
    since: datetime | None = None,
    until: datetime | None = None,
    watchlist_file: Path | None = None,
    rules_file: Path | None = None,
    dry_run: bool = True,
    ignore_past_alerts: bool = False,
) -> State:
    """Run detection and the rules again over stored articles, with the current or another watch list
    and rules file: to try a rule before turning it on.

    A dry run lists the alerts it would send and sends nothing; a real run creates and sends only
    the alerts that never existed (an entry already alerted for a story is never sent again). The
    rules read each entry's past from the articles read again, in their order.

    Args:
        since: First date of the articles to read again (their published date, else the day Veille
            first saw them). Empty: from the first stored article.
        until: End of the range, excluded. Empty: up to now.
        watchlist_file: A watch list to try instead of config/watchlist.yaml (a YAML file on the
            machine running Veille, same format).
        rules_file: A rules file to try instead of config/rules.yaml (same format).
        dry_run: On: list what would be alerted, send and store nothing. Off: create and send the new alerts.
        ignore_past_alerts: With a dry run: what the rules would have fired over this history, as if
            nothing had been alerted yet (the rule tester), rather than what they would send now.
    """
    logger = get_run_logger()
    since, until = _utc(since), _utc(until)
    try:
        config = load_configuration()
        watchlist = load_watchlist(watchlist_file) if watchlist_file is not None else config.watchlist
        rules = load_rules(rules_file, watchlist, config.notifier.all_tags()) if rules_file else config.rules
        store = open_store(config.settings)
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    settings = config.settings
    decision = decision_config(watchlist, rules, config.notifier)
    try:
        total = store.count_articles_between(since, until)
        nlp = load_language_model(settings.spacy_model, unwalked(watchlist), index_cache=IndexCache(settings.cache_dir))
        tags = {feed.source_name: feed.tags for feed in config.sources.feeds}
        planned: list[PlannedAlert] = []
        created: list[CreatedAlert] = []
        state = ReplayState()
        done, after = 0, 0
        with RunProgress("Stored articles read again", total) as progress:
            while batch := store.articles_between(since, until, after, settings.batch_size):
                after = batch[-1].id
                articles = [replace(item.article, tags=tags.get(item.article.source, ())) for item in batch]
                found = extract_batch(nlp, articles, settings.batch_size, settings.prefilter)
                now = settings.clock()
                plan = replay_plan(store, batch, found, decision, state, now, config.languages, ignore_past_alerts)
                if dry_run:
                    planned += [_without_text(alert) for alert in plan.notified]
                else:
                    created += store.record_plan(plan, now).alerts
                done += len(batch)
                progress.advance(len(batch))
        sent = 0
        if not dry_run:
            report = send_alerts(
                store, config.notifier, delivery_policy(settings), sent_journal(settings), settings.clock
            )
            sent = report.sent
            statuses = store.delivery_statuses(a.alert_id for a in created)
            lines = store.alert_lines(a.alert_id for a in created)
        else:
            statuses, lines = {}, []
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    finally:
        store.close()
    publish_report(
        REPORT_KEY,
        render_replay_report(planned, lines, statuses, dry_run, done, sent, since, until),
        "What the latest replay would send (dry run) or created and sent",
    )
    if dry_run:
        logger.info(
            "dry run over %s: %s would be sent, none was", plural(done, "stored article"), plural(len(planned), "alert")
        )
        return Completed(message=f"dry run: {plural(len(planned), 'alert')} would be sent", data=planned)
    message = f"{plural(len(created), 'alert')} created, {plural(sent, 'delivery', 'deliveries')} sent"
    logger.info("replay over %s: %s", plural(done, "stored article"), message)
    return Completed(message=message, data=created)


@dataclass
class ReplayState:
    """What a replay's earlier batches decided: the next batch is decided as if they were stored."""

    alerted: dict[StoryRef, frozenset[str]] = field(default_factory=dict)
    history: dict[str, EntryHistory] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    doubtful: dict[StoryRef, frozenset[str]] = field(default_factory=dict)


def replay_plan(
    store: Store,
    batch: Sequence[StoredArticle],
    found: Sequence[ArticleMentions],
    decision: DecisionConfig,
    state: ReplayState,
    now: datetime,
    languages: dict[str, str],
    ignore_past_alerts: bool,
) -> BatchPlan:
    """The decision on a batch of stored articles, in their own stories, read at the time first seen."""
    placed = [
        PlacedArticle(mentions, StoryRef(id=item.story_id), item.first_seen_at or now)
        for item, mentions in zip(batch, found, strict=True)
    ]
    alerted, carriers = store.story_context(item.story_id for item in batch)
    doubtful = store.held_as_doubtful(item.story_id for item in batch)
    if ignore_past_alerts:
        alerted, doubtful = {}, {}
    for story, entries in state.alerted.items():
        if story.id is not None:
            alerted[story.id] = alerted.get(story.id, frozenset()) | entries
    for story, entries in state.doubtful.items():
        if story.id is not None:
            doubtful[story.id] = doubtful.get(story.id, frozenset()) | entries
    context = DecisionContext(
        now=now,
        alerted=alerted,
        story_sources=carriers,
        history=state.history,
        sent_recently={**store.sent_recently(rate_windows(decision), now), **state.sent},
        languages=languages,
        doubtful=doubtful,
    )
    plan = decide_batch(placed, context, decision)
    state.alerted.update(plan.alerted)
    state.doubtful.update(plan.held_doubtful)
    state.history = dict(plan.history)
    return plan


def _without_text(alert: PlannedAlert) -> PlannedAlert:
    # A replay over thousands of articles keeps its plan: not their texts.
    return replace(alert, article=replace(alert.article, text=""))


def _utc(moment: datetime | None) -> datetime | None:
    """A date without a timezone is taken as UTC, as everything Veille stores."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (replay.__doc__ or "").splitlines()[0]
    parser.add_argument(
        "--since",
        type=datetime.fromisoformat,
        help="first date of the articles read again (YYYY-MM-DD, UTC; default: the first stored article)",
    )
    parser.add_argument("--until", type=datetime.fromisoformat, help="end of the range, excluded (default: now)")
    parser.add_argument("--watchlist-file", type=Path, help="a watch list to try instead of config/watchlist.yaml")
    parser.add_argument("--rules-file", type=Path, help="a rules file to try instead of config/rules.yaml")
    parser.add_argument(
        "--try-rules",
        action="store_true",
        help="print, per day, what the rules would have fired over this history, as if nothing had been "
        "alerted yet (a dry run; the rule tester)",
    )
    parser.add_argument(
        "--send",
        action="store_true",
        help="create and send the new alerts (default: a dry run that lists them and sends and stores nothing)",
    )


def run(args: argparse.Namespace) -> int:
    """One replay from the command line; exit status 1 when it failed, 2 on a bad configuration or usage."""
    if args.try_rules and args.send:
        print("veille: --try-rules is a dry run: it cannot --send", file=sys.stderr)
        return 2
    if not precheck_configuration():
        return 2
    with offline_defaults(command_line_server()):
        state = replay(
            since=args.since,
            until=args.until,
            watchlist_file=args.watchlist_file,
            rules_file=args.rules_file,
            dry_run=not args.send,
            ignore_past_alerts=args.try_rules,
            return_state=True,
        )
    if args.try_rules and state.is_completed():
        planned: object = state.result()  # the flow's Completed state holds the planned alerts as its data
        if isinstance(planned, list):
            print(render_fired_per_day(planned))
    print(f"veille: replay {state_name(state).lower()}: {loggable(state.message or '')}", file=sys.stderr)
    return 1 if state.is_failed() else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.replay`, the same as `veille replay`."""
    parser = argparse.ArgumentParser(prog="python -m flows.replay")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
