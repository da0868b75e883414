"""The monitor flow: read new articles, find watched places and weapons, alert once for each story."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed

from flows.common import (
    Configuration,
    checked_configuration,
    delivery_policy,
    failed,
    load_configuration,
    notify_operator,
    open_store,
    publish_report,
    runs_due_meanwhile,
    sent_journal,
    state_name,
    stopped,
    superseding_run,
    unwalked,
)
from flows.environment import offline_defaults
from flows.prefect_home import command_line_server
from flows.progress import RunProgress
from tasks.extract import load_language_model
from tasks.health import alert_source_health
from tasks.ingest import fetch_feeds, fetch_full_texts, find_changes, read_folders, record_source_health
from tasks.notify import send_alerts
from tasks.store import BatchSettings, load_story_index, record_batch
from veille.errors import ConfigError, VeilleError
from veille.extract.index_cache import IndexCache
from veille.ingest.feeds import FeedSource
from veille.ingest.fetch import Fetcher, FetchPolicy
from veille.ingest.folder import FolderSource, display_path
from veille.interfaces import Store
from veille.names import FOLDER_PREFIX
from veille.records import Article, DeliveryReport, SourceBatch
from veille.report import render_monitor_report
from veille.sanitize import loggable
from veille.settings import Settings
from veille.shards import Shard, parse_shard
from veille.sources import FolderConfig, SourcesConfig
from veille.store.lock import RunLock
from veille.summary import RunSummary, plural

REPORT_KEY = "monitor-summary"
# A run started by hand waits this long for one from the command line; the schedule's next run comes anyway.
_LOCK_WAIT_SECONDS = 30 * 60
_LOCK_POLL_SECONDS = 2.0
# Feeds fetched by one task run: a task run costs ~60 ms of Prefect, so 10,000 feeds take 20 of them, not 10,000.
FEEDS_PER_TASK = 500
# Extraction batches recorded by one record_batch at most, when the model's processes are that far ahead: a
# retry repeats no more, and a part holds no more texts.
_BATCHES_RECORDED_AT_ONCE = 8
# While the model reads, the outbox is passed over at most this often (a send_alerts task run each): alerts
# go out as they are recorded, not after the last batch.
_DELIVER_EVERY_SECONDS = 2.0
# Feeds named in the log line of a chunk that failed as a whole; the summary names each anyway.
_NAMED_FAILURES = 20


@flow(name="monitor", on_failure=[notify_operator], on_crashed=[notify_operator])
def monitor(
    folder: Path | None = None, sources: list[str] | None = None, baseline: bool = False, shard: str | None = None
) -> State:
    """Alert on new mentions of watched places and weapons in new articles of folders and feeds.

    One monitor run processes at a time. Of the deployment, a run started while another is processing
    waits for it (AwaitingConcurrencySlot); when its turn comes, a scheduled run that a later scheduled
    run has superseded ends at once as Cancelled, so that runs never pile up behind a slow one. A run
    that finds the lock held by a run from the command line (or another server) waits for it, logging
    "waiting for monitor <holder>", for up to 30 minutes if started by hand; a scheduled one, or one
    from the command line, ends at once as Cancelled, saying who holds the lock. A run that outlives
    its schedule names, in its summary, the scheduled runs that came due meanwhile.

    Args:
        folder: Read only this folder of .txt articles (a path on the machine running Veille).
            Empty: every folder and feed of config/sources.yaml.
        sources: Read only these sources of config/sources.yaml, named as in the run summary
            (feed:NAME, folder:PATH) or by a feed's name or a folder's path. Empty: all of them.
        baseline: On: store and index every new article of this run without notifying (its mentions
            are held, and later copies of its stories stay old news). Off: only the first read of a
            new feed is a baseline (unless its `baseline: false` in sources.yaml).
        shard: Read only this shard of the sources, INDEX/COUNT ("1/2"): a stable hash of each source's
            name picks its shard, so COUNT runs (on as many workers) read each source once. Shards run
            side by side; a run of every source waits for them, and they for it. Empty: every source.
    """
    logger = get_run_logger()
    started, began = time.monotonic(), datetime.now(UTC)
    later = superseding_run()
    if later is not None:
        message = f"superseded: the scheduled run {later.name}, due at {later.due:%H:%M:%S} UTC, does its work"
        logger.info("%s", message)
        return stopped(REPORT_KEY, Cancelled(message=message))
    try:
        config = load_configuration()
        chosen_shard = parse_shard(shard) if shard else None
        selected = _select(config, folder, sources, chosen_shard)
        store = open_store(config.settings)
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    try:
        holder = f"monitor {flow_run.get_name() or 'run'} since {began:%H:%M} UTC"
        if chosen_shard is not None:
            holder = f"monitor shard {chosen_shard} {flow_run.get_name() or 'run'} since {began:%H:%M} UTC"
        wait = _LOCK_WAIT_SECONDS if _started_by_hand() else 0
        with _monitor_lock(store, holder, wait, chosen_shard) as lock:
            if not lock.acquired:
                message = f"skipped: another monitor run is processing ({lock.held_by})"
                logger.warning("%s", message)
                return stopped(REPORT_KEY, Cancelled(message=message))
            summary = _run(store, selected, baseline, sharded=chosen_shard is not None)
        alerts = store.alert_lines(a.alert_id for a in summary.alerts)
        statuses = store.delivery_statuses(a.alert_id for a in summary.alerts)
        map_file = _week_map(store, config, redraw=bool(alerts))
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    finally:
        store.close()
    logger.info("%s", summary.render())
    turned_away = runs_due_meanwhile(began)
    if turned_away:
        logger.warning(
            "this run outlived its schedule: %s came due while it was processing and waited for it (%s)",
            plural(len(turned_away), "scheduled run"),
            ", ".join(turned_away),
        )
    publish_report(
        REPORT_KEY,
        render_monitor_report(summary, alerts, statuses, time.monotonic() - started, turned_away, map_file),
        "What the latest monitor run read, the alerts it created and their delivery",
    )
    message = summary.headline()
    if turned_away:
        message += f"; outlived its schedule: {plural(len(turned_away), 'scheduled run')} due meanwhile waited"
    return Completed(message=message, data=summary)


def _week_map(store: Store, config: Configuration, redraw: bool) -> str | None:
    """The map of the week's places for the summary to name: drawn again when this run alerted (new alerts
    move it), else as the last run or command left it; None when there is none."""
    if redraw:
        # Imported here: folium costs about 0.15 s of start-up, which a run with nothing new never needs.
        from flows.map import write_run_map

        return write_run_map(store, config.watchlist, config.settings)
    return str(config.settings.map_file) if config.settings.map_file.exists() else None


def _started_by_hand() -> bool:
    """Whether this is a run of the deployment started from the UI or the API, not by its schedule."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    return run is not None and run.deployment_id is not None and not run.auto_scheduled


@contextmanager
def _monitor_lock(store: Store, holder: str, wait_seconds: float, shard: Shard | None = None) -> Iterator[RunLock]:
    """The monitor's run lock; while another run holds it, asked again every few seconds for `wait_seconds`.

    A run of every source holds "monitor" alone. A shard's run shares "monitor" with the other shards
    (so a run of everything waits for them all, and they for it) and holds its shard's lock alone.
    """
    deadline = time.monotonic() + wait_seconds
    told = ""
    while True:
        with _shard_locks(store, holder, shard) as lock:
            if lock.acquired or time.monotonic() >= deadline:
                yield lock
                return
        if lock.held_by != told:  # once per holder: a queue of command-line runs shows each
            get_run_logger().info("waiting for %s", loggable(lock.held_by or "another monitor run"))
            told = lock.held_by
        time.sleep(_LOCK_POLL_SECONDS)


@contextmanager
def _shard_locks(store: Store, holder: str, shard: Shard | None) -> Iterator[RunLock]:
    """ "monitor" alone for a run of every source; "monitor" shared, then the shard's own lock, for a shard."""
    if shard is None:
        with store.run_lock("monitor", holder) as lock:
            yield lock
        return
    with store.run_lock("monitor", holder, shared=True) as whole:
        if not whole.acquired:
            yield whole
            return
        with store.run_lock(shard.lock_name, holder) as lock:
            yield lock


def _select(
    config: Configuration, folder: Path | None, sources: list[str] | None, shard: Shard | None = None
) -> Configuration:
    """The configuration narrowed to one folder, or to the named sources; then to a shard of them."""
    narrowed = _narrowed(config, folder, sources)
    if shard is None:
        return narrowed
    only = {
        "folders": tuple(f for f in narrowed.sources.folders if shard.holds(f.source_name)),
        "feeds": tuple(f for f in narrowed.sources.feeds if shard.holds(f.source_name)),
    }
    return replace(narrowed, sources=narrowed.sources.model_copy(update=only))


def _narrowed(config: Configuration, folder: Path | None, sources: list[str] | None) -> Configuration:
    """The configuration narrowed to one folder, or to the named sources."""
    if folder is not None:
        _check_folder_allowed(config, folder)
        # A configured folder keeps its name (and so its articles), however the parameter spells its path.
        same = [f for f in config.sources.folders if os.path.realpath(f.path) == os.path.realpath(folder)]
        only = {"folders": (same[0] if same else FolderConfig(path=folder),), "feeds": ()}
        return replace(config, sources=config.sources.model_copy(update=only))
    if not sources:
        return config
    chosen = chosen_sources(config.sources, sources, config.settings.sources_file)
    return replace(config, sources=config.sources.model_copy(update=chosen))


def chosen_sources(configured: SourcesConfig, names: Sequence[str], sources_file: Path) -> dict[str, tuple[Any, ...]]:
    """The feeds and folders `names` designate, or a ConfigError naming each unknown one with a suggestion."""
    wanted = set(names)
    feeds = [(f, {f.name, f.source_name}) for f in configured.feeds]
    folders = [(f, {str(f.path), display_path(f.path), f.source_name}) for f in configured.folders]
    unknown = wanted.difference(*(known for _, known in feeds + folders))
    if unknown:
        known = [f.source_name for f in configured.feeds] + [f.source_name for f in configured.folders]
        every = sorted(set().union(*(names for _, names in feeds + folders)))
        guesses = [f"{name!r}{did_you_mean(name, every)}" for name in sorted(unknown)]
        raise ConfigError(f"sources: {', '.join(guesses)} not in {sources_file} (known: {', '.join(known) or 'none'})")
    return {
        "feeds": tuple(f for f, known in feeds if wanted & known),
        "folders": tuple(f for f, known in folders if wanted & known),
    }


def did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_folder_allowed(config: Configuration, folder: Path) -> None:
    """A run's `folder` must be inside a configured folder or VEILLE_FOLDER_ROOTS.

    Anyone who can start a run through the Prefect API chooses its parameters; without this, a
    `folder` of /home or /etc would be read and quoted in alerts.
    """
    roots = [item.path for item in config.sources.folders]
    roots += [Path(part) for part in (config.settings.folder_roots or "").split(os.pathsep) if part]
    real = os.path.realpath(folder)
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return
    raise ConfigError(
        f"folder: {display_path(folder)} is outside the folders of {config.settings.sources_file} "
        "and VEILLE_FOLDER_ROOTS; a run started from the UI or the API reads only those"
    )


def _run(store: Store, config: Configuration, baseline: bool = False, sharded: bool = False) -> RunSummary:
    settings, summary = config.settings, RunSummary()
    policy = FetchPolicy(
        settings.fetch_timeout_seconds,
        settings.max_feed_bytes,
        attempts=settings.fetch_attempts,
        backoff_seconds=settings.fetch_backoff_seconds,
        allowed_networks=settings.fetch_allowed_networks_value,
        deadline_seconds=settings.fetch_deadline_seconds,
        per_host=settings.fetch_per_host,
        concurrency=settings.fetch_concurrency,
    )
    with Fetcher(policy) as fetcher:
        batches, to_extract, held_back = _read_changes(store, config, fetcher, summary, baseline)
    _detect(store, config, to_extract, summary, BatchSettings(held_back, config.languages), sharded)
    # Only now: a feed's new ETag saved before its entries were would answer 304 to the next run,
    # and a run that died in between would lose those entries.
    now = settings.clock()
    record_source_health(store, unwalked(batches), now)
    sources = [batch.source for batch in batches]
    summary.health = alert_source_health(
        store, unwalked(sources), unwalked(config.decision), settings.source_failures_alert, now
    )
    summary.delivery = summary.delivery.followed_by(_deliver(store, config))
    summary.still_pending = store.delivery_counts().get("pending", 0)
    summary.sources = store.source_health(batch.source for batch in batches)
    return summary


def _read_changes(
    store: Store, config: Configuration, fetcher: Fetcher, summary: RunSummary, baseline: bool
) -> tuple[list[SourceBatch], list[Article], frozenset[str]]:
    """The sources read (without their articles), the new and changed articles in a list of their own
    (with their pages' text for full_text feeds), and the sources whose new articles notify no one.

    Nothing else of the run holds an article once this returns: `_detect` lets each go when it is
    recorded, so a run over 10,000 new articles does not keep 10,000 texts to its end."""
    batches = _read_sources(store, config, fetcher)
    changes = find_changes(store, unwalked(batches))
    held_back = _baseline_sources(store, config, batches, baseline)
    batches = [batch.without_articles() for batch in batches]
    summary.add_reads(batches, changes)
    full_text_sources = {feed.source_name for feed in config.sources.feeds if feed.full_text}
    wanted = [a for a in changes.new if a.source in full_text_sources]
    if wanted:
        enriched = {(a.source, a.key): a for a in _full_texts(wanted, fetcher, config.settings)}
        changes = replace(changes, new=tuple(enriched.get((a.source, a.key), a) for a in changes.new))
    return batches, list(changes.to_extract), held_back


def _read_sources(store: Store, config: Configuration, fetcher: Fetcher) -> list[SourceBatch]:
    """Folders in one task; the due feeds in chunks of up to FEEDS_PER_TASK, a task each (run side by side),
    whose feeds are fetched side by side inside it."""
    settings = config.settings
    folders = [
        FolderSource(item.path, settings.max_file_bytes, item.name, settings.follow_links)
        for item in config.sources.folders
    ]
    for source in folders:
        # Before folder names stopped depending on the working directory, they were relative to it.
        legacy = FOLDER_PREFIX + display_path(source.path)
        if source.label is None and legacy != source.name and store.rename_source(legacy, source.name):
            get_run_logger().warning("source %s is now named %s (its articles are kept)", legacy, source.name)
    batches = read_folders(folders)
    feeds = config.sources.feeds
    states = store.source_states(feed.source_name for feed in feeds)
    now = config.settings.clock()
    due = []
    for feed in feeds:
        state = states.get(feed.source_name)
        if not feed.due(state.last_fetched_at if state else None, now):
            batches.append(SourceBatch.not_due(feed.source_name))
            continue
        due.append(FeedSource(feed.name, feed.url, fetcher, state.validators if state else {}, feed.tags))
    timeout = settings.network_task_timeout_seconds
    # Prefect's own timeout cannot stop a task in a worker thread: the chunk keeps its own (`timeout`,
    # which fails only the feeds it has not read), and this backstop marks one that never came back.
    fetch = fetch_feeds.with_options(timeout_seconds=2 * timeout)
    chunks = [due[start : start + FEEDS_PER_TASK] for start in range(0, len(due), FEEDS_PER_TASK)]
    futures = [
        (chunk, fetch.submit(unwalked(chunk), _part(index, chunks), timeout, settings.fetch_concurrency))
        for index, chunk in enumerate(chunks)
    ]
    for chunk, future in futures:
        batches.extend(_feed_batches([source.name for source in chunk], future))
    return batches


def _part(index: int, chunks: list[list[FeedSource]]) -> str:
    """A chunk's task run name: which feeds of the run's due ones it reads (`1-500 of 10000`)."""
    first = sum(len(chunk) for chunk in chunks[:index]) + 1
    return f"{first}-{first + len(chunks[index]) - 1} of {sum(len(chunk) for chunk in chunks)}"


def _feed_batches(names: list[str], future: PrefectFuture[list[SourceBatch]]) -> list[SourceBatch]:
    """The chunk's batches; or, when its task did not complete (its backstop timeout, a crash), a failure
    for each of its feeds, by name: never the run's, nor the other chunks'."""
    # Typed as the task's return value; with raise_on_failure=False a run that failed gives its exception.
    outcome: object = future.result(raise_on_failure=False)
    if isinstance(outcome, list):
        return outcome
    state = future.state
    problem = (
        "its fetch_feeds task outlived its backstop timeout (VEILLE_NETWORK_TASK_TIMEOUT_SECONDS)"
        if state.name == "TimedOut"
        else f"its fetch_feeds task ended {state_name(state)}: {state.message}"
    )
    logger = get_run_logger()
    logger.error("cannot read %s: %s", plural(len(names), "feed"), loggable(problem))
    logger.error("feeds not read: %s", loggable(", ".join(names[:_NAMED_FAILURES])) + _more(len(names)))
    return [SourceBatch.failed(name, problem) for name in names]


def _more(count: int) -> str:
    return f" and {count - _NAMED_FAILURES} more" if count > _NAMED_FAILURES else ""


def _full_texts(articles: list[Article], fetcher: Fetcher, settings: Settings) -> list[Article]:
    """The articles with their pages' text; as they came if the task outlived its timeout (a backstop)."""
    budget = settings.full_text_budget_seconds
    task = fetch_full_texts.with_options(timeout_seconds=budget + settings.network_task_timeout_seconds)
    state = task(articles, fetcher, budget, return_state=True)
    if state.is_completed():
        return state.result()
    get_run_logger().error(
        "full texts not fetched (%s): the %d new entries of full_text feeds keep their feed's text",
        loggable(state.message),
        len(articles),
    )
    return articles


def _baseline_sources(
    store: Store, config: Configuration, batches: list[SourceBatch], everything: bool
) -> frozenset[str]:
    """The sources whose new articles are stored without notifying: all of this run's with `baseline`,
    else the feeds read for the first time (their backlog is old news), unless set otherwise."""
    read = {batch.source for batch in batches if batch.articles}
    if everything:
        return frozenset(read)
    wanted = {feed.source_name for feed in config.sources.feeds if feed.baseline}
    wanted |= {folder.source_name for folder in config.sources.folders if folder.baseline}
    return store.sources_never_read(read & wanted)


def _detect(
    store: Store,
    config: Configuration,
    to_extract: list[Article],
    summary: RunSummary,
    batch: BatchSettings,
    sharded: bool = False,
) -> None:
    """Extract and record new and changed articles, a batch at a time; `to_extract` is emptied, its
    articles let go as they are recorded."""
    if not to_extract:
        return
    settings = config.settings
    nlp = load_language_model(
        settings.spacy_model, unwalked(config.watchlist), index_cache=IndexCache(settings.cache_dir)
    )
    decision = config.decision
    stories = load_story_index(store, settings.story_window_days, settings.story_threshold, settings.clock())
    if sharded:
        # Shards side by side store articles of each other's stories meanwhile: each batch adds them first.
        # A run of every source runs alone (its lock), and need not ask the database at every batch.
        batch = replace(batch, stories_since=settings.clock() - timedelta(days=settings.story_window_days))
    from veille.extract.pipeline import extract_ready_mentions  # imports spaCy: only a run with text to read

    count, size = len(to_extract), settings.batch_size
    # One stream for the run, recorded as it comes: while a part is recorded, the model's processes read the
    # next batches, and the part after holds every batch they read meanwhile (a task run each costs ~60 ms
    # of Prefect, client and server). The stream holds the only reference to the articles.
    found = extract_ready_mentions(
        nlp, _moved(to_extract), size, settings.prefilter, settings.extract_processes_value, _BATCHES_RECORDED_AT_ONCE
    )
    undelivered, last_delivery = 0, time.monotonic()
    # A long run (a first read of many feeds, a baseline) shows how far it is, in the UI and on a terminal.
    with RunProgress("Articles analysed", count, shown=count > size) as progress:
        for part in found:
            summary.add_mentions(part)
            recorded = record_batch(
                store, unwalked(part), unwalked(decision), unwalked(stories), batch, settings.clock()
            )
            summary.add_recorded(recorded)
            progress.advance(len(part))
            undelivered += sum(alert.deliveries for alert in recorded.alerts)
            if undelivered and time.monotonic() - last_delivery >= _DELIVER_EVERY_SECONDS:
                # While the model's processes read on: the alerts so far reach their targets now, not after
                # the last batch, and that work leaves the end of the run.
                summary.delivery = summary.delivery.followed_by(_deliver(store, config))
                undelivered, last_delivery = 0, time.monotonic()


def _deliver(store: Store, config: Configuration) -> DeliveryReport:
    """One pass over the outbox: every due delivery sent once (send_alerts)."""
    settings = config.settings
    return send_alerts(store, config.notifier, delivery_policy(settings), sent_journal(settings), settings.clock)


def _moved(items: list[Article]) -> list[Article]:
    """A new list of `items`, which is left empty."""
    moved = items[:]
    items.clear()
    return moved


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (monitor.__doc__ or "").partition("\n")[0]
    parser.add_argument(
        "--folder",
        type=Path,
        default=None,
        help="read only this folder of .txt articles (default: the sources of config/sources.yaml)",
    )
    parser.add_argument(
        "--sources",
        nargs="+",
        metavar="NAME",
        default=None,
        help="read only these sources of config/sources.yaml: feed:NAME, folder:PATH, a feed's name or a folder's path",
    )
    parser.add_argument(
        "--shard",
        default=None,
        metavar="INDEX/COUNT",
        help="read only this shard of the sources (1/2: the first of two), for runs side by side on several workers",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="store every new article of this run without notifying (its mentions are held); "
        "default: only a new feed's first read is a baseline",
    )


def run(args: argparse.Namespace) -> int:
    """One monitor run from the command line; exit status 1 when it failed, 2 on a bad configuration."""
    if args.folder is not None and args.sources:
        print("veille: --folder and --sources choose what to read: give one of them", file=sys.stderr)
        return 2
    if args.folder is not None:
        # The command line is its user's own: any folder they can read may be read. A run started
        # through the Prefect API is held to the configured folders (see _check_folder_allowed).
        roots = [part for part in (os.environ.get("VEILLE_FOLDER_ROOTS"), str(args.folder)) if part]
        os.environ["VEILLE_FOLDER_ROOTS"] = os.pathsep.join(roots)
    checked = checked_configuration()
    if checked is None:
        return 2
    if args.sources or args.shard:
        try:  # a mistyped name or shard is a usage error, said before Prefect starts
            if args.sources:
                chosen_sources(checked.sources, args.sources, checked.settings.sources_file)
            if args.shard:
                parse_shard(args.shard)
        except VeilleError as exc:
            print(f"veille: {exc}", file=sys.stderr)
            return 2
    with offline_defaults(command_line_server()):
        state = monitor(
            folder=args.folder, sources=args.sources, baseline=args.baseline, shard=args.shard, return_state=True
        )
    if state.is_failed():
        # The message may quote a file name or a server's answer: escaped, it stays one line.
        print(f"veille: monitor failed: {loggable(state.message)}", file=sys.stderr)
        return 1
    if state.is_cancelled():
        print(f"veille: monitor {state.message}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.monitor`, the same as `veille run`."""
    parser = argparse.ArgumentParser(prog="python -m flows.monitor")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    from flows.cli import exit_at_once

    exit_at_once(main())
