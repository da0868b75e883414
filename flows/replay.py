"""The replay flow: run detection again over stored articles, to try a watch list against history."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed

from flows.common import (
    called_sync,
    delivery_policy,
    failed,
    load_configuration,
    notify_operator,
    open_store,
    precheck_configuration,
    publish_report,
    sent_journal,
    state_name,
)
from flows.environment import offline_defaults
from tasks.extract import extract_batch, load_language_model
from tasks.notify import send_alerts
from tasks.store import record_batch
from veille.errors import VeilleError
from veille.replay import plan_replay
from veille.report import render_replay_report
from veille.sanitize import loggable
from veille.stories import StoryIndex
from veille.watchlist import load_watchlist

REPORT_KEY = "replay-report"


@flow(name="replay", on_failure=[notify_operator], on_crashed=[notify_operator])
def replay(
    since: datetime | None = None,
    until: datetime | None = None,
    watchlist_file: Path | None = None,
    dry_run: bool = True,
) -> State:
    """Run detection again over stored articles, with the current or another watch list.

    A dry run lists the alerts it would send and sends nothing; a real run creates and sends only
    the alerts that never existed (an entry already alerted for a story is never sent again).

    Args:
        since: First date of the articles to read again (their published date, else the day Veille
            first saw them). Empty: from the first stored article.
        until: End of the range, excluded. Empty: up to now.
        watchlist_file: A watch list to try instead of config/watchlist.yaml (a YAML file on the
            machine running Veille, same format).
        dry_run: On: list what would be alerted, send and store nothing. Off: create and send the new alerts.
    """
    logger = get_run_logger()
    since, until = _utc(since), _utc(until)
    try:
        config = load_configuration()
        watchlist = load_watchlist(watchlist_file) if watchlist_file is not None else config.watchlist
        store = open_store(config.settings)
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    settings = config.settings
    try:
        total = store.count_articles_between(since, until)
        progress = called_sync(create_progress_artifact(0.0, description=f"Stored articles read again, of {total}"))
        nlp = load_language_model(settings.spacy_model, watchlist)
        tags = {feed.source_name: feed.tags for feed in config.sources.feeds}
        planned, created, alerted, done, after = [], [], {}, 0, 0
        while batch := store.articles_between(since, until, after, settings.batch_size):
            after = batch[-1].id
            articles = [replace(item.article, tags=tags.get(item.article.source, ())) for item in batch]
            found = extract_batch(nlp, articles, settings.batch_size)
            if dry_run:
                alerted.update(store.alerted_entries(i.story_id for i in batch if i.story_id not in alerted))
                planned += plan_replay(batch, found, alerted, watchlist)
            else:
                created += record_batch(store, found, watchlist, config.notifier, StoryIndex()).alerts
            done += len(batch)
            update_progress_artifact(progress, 100.0 * min(done / max(total, 1), 1.0))
        update_progress_artifact(progress, 100.0)
        sent = 0
        if not dry_run:
            sent = send_alerts(store, config.notifier, delivery_policy(settings), sent_journal(settings)).sent
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
        logger.info("dry run over %d stored articles: %d alerts would be sent, none was", done, len(planned))
        return Completed(message=f"dry run: {len(planned)} alerts would be sent", data=planned)
    logger.info("replay over %d stored articles: %d alerts created, %d deliveries sent", done, len(created), sent)
    return Completed(message=f"{len(created)} alerts created, {sent} deliveries sent", data=created)


def _utc(moment: datetime | None) -> datetime | None:
    """A date without a timezone is taken as UTC, as everything Veille stores."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.replay [--since DATE] [--until DATE] [--watchlist-file PATH] [--send]`: one run."""
    parser = argparse.ArgumentParser(prog="python -m flows.replay", description=(replay.__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--since",
        type=datetime.fromisoformat,
        help="first date of the articles read again (YYYY-MM-DD, UTC; default: the first stored article)",
    )
    parser.add_argument("--until", type=datetime.fromisoformat, help="end of the range, excluded (default: now)")
    parser.add_argument("--watchlist-file", type=Path, help="a watch list to try instead of config/watchlist.yaml")
    parser.add_argument(
        "--send",
        action="store_true",
        help="create and send the new alerts (default: a dry run that lists them and sends and stores nothing)",
    )
    args = parser.parse_args(argv)
    if not precheck_configuration():
        return 2
    with offline_defaults():
        state = replay(
            since=args.since,
            until=args.until,
            watchlist_file=args.watchlist_file,
            dry_run=not args.send,
            return_state=True,
        )
    print(f"veille: replay {state_name(state).lower()}: {loggable(state.message or '')}", file=sys.stderr)
    return 1 if state.is_failed() else 0


if __name__ == "__main__":
    sys.exit(main())
