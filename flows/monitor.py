"""The monitor flow: read new articles, find watched places and weapons, alert once for each story."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.states import Completed, Failed, State

from tasks.extract import extract_batch, load_language_model
from tasks.ingest import fetch_feed, fetch_full_texts, find_changes, read_folders, record_source_health
from tasks.notify import send_alerts
from tasks.store import load_story_index, record_batch
from veille.detect import ArticleChanges
from veille.errors import VeilleError
from veille.ingest.feeds import FeedSource
from veille.ingest.fetch import Fetcher, FetchPolicy
from veille.ingest.folder import FolderSource
from veille.notify.sender import DeliveryPolicy
from veille.notify.targets import AppriseNotifier, load_notifier
from veille.records import SourceBatch
from veille.settings import Settings, load_settings
from veille.sources import SourcesConfig, load_sources
from veille.store.sql import SqlStore
from veille.summary import RunSummary
from veille.watchlist import WatchList, load_watchlist


@dataclass(frozen=True)
class Configuration:
    settings: Settings
    watchlist: WatchList
    sources: SourcesConfig
    notifier: AppriseNotifier


@flow(name="monitor")
def monitor(folder: Path | None = None) -> State:
    """Alert on new mentions of watched places and weapons in new articles of folders and feeds.

    Args:
        folder: Read only this folder of .txt articles; default: every folder and feed of config/sources.yaml.
    """
    logger = get_run_logger()
    try:
        config = load_configuration()
        store = SqlStore.open(config.settings.database_url_value)
    except VeilleError as exc:
        logger.error("%s", exc)
        return Failed(message=str(exc))
    try:
        summary = _run(store, config, folder)
    except VeilleError as exc:
        logger.error("%s", exc)
        return Failed(message=str(exc))
    finally:
        store.close()
    logger.info("%s", summary.render())
    return Completed(message=f"{len(summary.alerts)} alerts, {summary.delivery.sent} sent", data=summary)


def load_configuration() -> Configuration:
    """Settings, watch list, sources and targets; every configuration problem shows here, before any work."""
    settings = load_settings()
    return Configuration(
        settings=settings,
        watchlist=load_watchlist(settings.watchlist_file),
        sources=load_sources(settings.sources_file),
        notifier=load_notifier(settings.targets_file, settings.notify_urls_value, settings.alerts_file),
    )


def _run(store: SqlStore, config: Configuration, folder: Path | None) -> RunSummary:
    settings, summary = config.settings, RunSummary()
    policy = FetchPolicy(settings.fetch_timeout_seconds, settings.max_feed_bytes, attempts=settings.fetch_attempts,
                         backoff_seconds=settings.fetch_backoff_seconds)
    with Fetcher(policy) as fetcher:
        batches = _read_sources(store, config, folder, fetcher)
        changes = find_changes(store, batches)
        summary.add_reads(batches, changes)
        full_text_sources = {f"feed:{feed.name}" for feed in config.sources.feeds if feed.full_text}
        wanted = [a for a in changes.new if a.source in full_text_sources]
        if wanted:
            enriched = {(a.source, a.key): a for a in fetch_full_texts(wanted, fetcher)}
            changes = replace(changes, new=tuple(enriched.get((a.source, a.key), a) for a in changes.new))
    _detect(store, config, changes, summary)
    # Only now: a feed's new ETag saved before its entries were would answer 304 to the next run,
    # and a run that died in between would lose those entries.
    record_source_health(store, batches)
    delivery = DeliveryPolicy(settings.max_delivery_attempts, settings.retry_backoff_seconds,
                              settings.delivery_lease_seconds)
    summary.delivery = send_alerts(store, config.notifier, delivery)
    summary.still_pending = store.delivery_counts().get("pending", 0)
    summary.sources = store.source_health(batch.source for batch in batches)
    return summary


def _read_sources(store: SqlStore, config: Configuration, folder: Path | None, fetcher: Fetcher) -> list[SourceBatch]:
    """Folders in one task, each due feed in a task of its own (run side by side)."""
    max_bytes = config.settings.max_file_bytes
    if folder is not None:
        return read_folders([FolderSource(folder, max_bytes)])
    batches = read_folders([FolderSource(item.path, max_bytes) for item in config.sources.folders])
    feeds = config.sources.feeds
    states = store.source_states(f"feed:{feed.name}" for feed in feeds)
    now = datetime.now(timezone.utc)
    futures = []
    for feed in feeds:
        state = states.get(f"feed:{feed.name}")
        if not feed.due(state.last_fetched_at if state else None, now):
            batches.append(SourceBatch(f"feed:{feed.name}", (), skipped=True))
            continue
        source = FeedSource(feed.name, feed.url, fetcher, state.validators if state else {}, feed.tags)
        futures.append(fetch_feed.submit(source))
    return batches + [future.result() for future in futures]


def _detect(store: SqlStore, config: Configuration, changes: ArticleChanges, summary: RunSummary) -> None:
    """Extract and record new and changed articles, a batch at a time."""
    if not changes.to_extract:
        return
    settings = config.settings
    nlp = load_language_model(settings.spacy_model, config.watchlist)
    stories = load_story_index(store, settings.story_window_days, settings.story_threshold)
    articles = changes.to_extract
    for start in range(0, len(articles), settings.batch_size):
        found = extract_batch(nlp, articles[start : start + settings.batch_size], settings.batch_size)
        summary.add_mentions(found)
        summary.alerts += record_batch(store, found, config.watchlist, config.notifier, stories)


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.monitor [--folder PATH]`: one run; exit status 1 when it failed."""
    parser = argparse.ArgumentParser(prog="python -m flows.monitor", description=monitor.__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None,
                        help="read only this folder of .txt articles (default: config/sources.yaml)")
    args = parser.parse_args(argv)
    try:
        load_configuration()  # fail in a second, before Prefect's temporary server takes eight to start
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    state = monitor(folder=args.folder, return_state=True)
    if state.is_failed():
        print(f"veille: monitor failed: {state.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
