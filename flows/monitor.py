"""The monitor flow: read new articles, find watched places and weapons, alert once for each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.states import Completed, Failed, State

from tasks.extract import extract_batch, load_language_model
from tasks.ingest import find_changes, read_sources
from tasks.notify import send_alerts
from tasks.store import record_batch
from veille.errors import VeilleError
from veille.ingest.folder import FolderSource
from veille.notify.sender import DeliveryPolicy
from veille.notify.targets import AppriseNotifier, load_notifier
from veille.settings import Settings, load_settings
from veille.store.sql import SqlStore
from veille.summary import RunSummary
from veille.watchlist import WatchList, load_watchlist


@flow(name="monitor")
def monitor(folder: Path | None = None) -> State:
    """Alert on new mentions of watched places and weapons in the articles of a folder.

    Args:
        folder: Folder of .txt articles to read; default: the seeds folder (VEILLE_SEEDS_DIR).
    """
    logger = get_run_logger()
    try:
        settings, watchlist, notifier = load_configuration()
        store = SqlStore.open(settings.database_url_value)
    except VeilleError as exc:
        logger.error("%s", exc)
        return Failed(message=str(exc))
    try:
        summary = _run(store, settings, watchlist, notifier, folder or settings.seeds_dir)
    except VeilleError as exc:
        logger.error("%s", exc)
        return Failed(message=str(exc))
    finally:
        store.close()
    logger.info("%s", summary.render())
    return Completed(message=f"{len(summary.alerts)} alerts, {summary.delivery.sent} sent", data=summary)


def load_configuration() -> tuple[Settings, WatchList, AppriseNotifier]:
    """Settings, watch list and targets; every configuration problem shows here, before any work."""
    settings = load_settings()
    watchlist = load_watchlist(settings.watchlist_file)
    notifier = load_notifier(settings.targets_file, _secret(settings.notify_urls), settings.alerts_file)
    return settings, watchlist, notifier


def _run(store: SqlStore, settings: Settings, watchlist: WatchList, notifier: AppriseNotifier, folder: Path) -> RunSummary:
    summary = RunSummary()
    batches = read_sources([FolderSource(folder, settings.max_file_bytes)])
    changes = find_changes(store, batches)
    summary.add_reads(batches, changes)
    if changes.to_extract:
        nlp = load_language_model(settings.spacy_model, watchlist)
        articles = changes.to_extract
        for start in range(0, len(articles), settings.batch_size):
            found = extract_batch(nlp, articles[start : start + settings.batch_size], settings.batch_size)
            summary.watched_mentions += sum(1 for f in found for m in f.mentions if m.entry_id)
            summary.place_entities += sum(1 for f in found for m in f.mentions if not m.entry_id)
            summary.alerts += record_batch(store, found, watchlist, notifier)
    policy = DeliveryPolicy(settings.max_delivery_attempts, settings.retry_backoff_seconds,
                            settings.delivery_lease_seconds)
    summary.delivery = send_alerts(store, notifier, policy)
    summary.still_pending = store.delivery_counts().get("pending", 0)
    return summary


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.monitor [--folder PATH]`: one run; exit status 1 when it failed."""
    parser = argparse.ArgumentParser(prog="python -m flows.monitor", description=monitor.__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None, help="folder of .txt articles (default: seeds/)")
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
