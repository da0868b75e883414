"""The digest flow: what the last hours brought, sent once to the targets tagged 'digest'; and to every
target with alerts queued for it (a digest rule, its rate limit), one message carrying them."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed
from prefect.tasks import exponential_backoff

from flows.common import (
    delivery_policy,
    failed,
    load_configuration,
    notify_operator,
    open_store,
    precheck_configuration,
    publish_report,
    sent_journal,
    state_name,
    stopped,
)
from flows.environment import offline_defaults
from flows.prefect_home import command_line_server
from tasks.notify import record_digests, send_alerts
from veille.digest import DIGEST_TAG, render_digest
from veille.errors import NotifyError, VeilleError
from veille.notify.targets import AppriseNotifier
from veille.records import AlertMessage, RecordedDigest
from veille.report import delivery_status, render_digest_report
from veille.sanitize import loggable
from veille.summary import plural

REPORT_KEY = "digest"
MAX_HOURS = 720


@flow(name="digest", on_failure=[notify_operator], on_crashed=[notify_operator])
def digest(hours: int = 24) -> State:
    """Send a summary of the last hours (alerts by entry, new articles by source, failing sources), and to
    each target its queued alerts in one message (with the summary inside, for a target tagged 'digest').

    Args:
        hours: How far back the summary looks, in hours (1 to 720). Queued alerts are sent however old.
    """
    if not 1 <= hours <= MAX_HOURS:
        return stopped(REPORT_KEY, Failed(message=f"hours must be between 1 and {MAX_HOURS}, not {hours}"))
    try:
        config = load_configuration()
        settings = config.settings
        until = settings.clock()
        since = until - timedelta(hours=hours)
        store = open_store(settings)
        try:
            figures = store.period_figures(since, until)
            message = render_digest(figures, since, until)
            summary_keys = frozenset(t.key for t in config.notifier.targets_for([DIGEST_TAG]))
            held = record_digests(store, config.decision.targets, message, summary_keys, until)
            if held:
                # Through the outbox, as any alert: retries, the journal of sends and the lease come with it.
                send_alerts(store, config.notifier, delivery_policy(settings), sent_journal(settings), settings.clock)
            statuses = store.delivery_statuses(a.alert_id for a in figures.alerts)
            held_statuses = store.delivery_statuses(d.alert_id for d in held)
            # Imported here: folium costs ~0.2 s of the start-up of every run the deployments serve.
            from flows.map import write_run_map

            map_file = write_run_map(store, config.watchlist, config.settings)
        finally:
            store.close()
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    # A target whose held alerts' digest carries the summary does not get the summary again.
    merged = frozenset(d.target.key for d in held) & summary_keys
    accepted: dict[str, str] = {}
    # The delivery outbox's backoff setting: 30 s, then 60 s, 120 s by default.
    sender = send_digest.with_options(
        retry_delay_seconds=exponential_backoff(backoff_factor=config.settings.retry_backoff_seconds)
    )
    state = sender(config.notifier, message, accepted, merged, return_state=True)
    undelivered = [
        t.label for t in config.notifier.targets_for([DIGEST_TAG]) if t.key not in accepted and t.key not in merged
    ]
    held_lines = [(d.target.label, delivery_status(held_statuses.get(d.alert_id, Counter()))) for d in held]
    report = render_digest_report(figures, statuses, since, until, accepted.values(), undelivered, held_lines, map_file)
    publish_report(REPORT_KEY, report, "The latest digest and where it went")
    held_part = _held_part(held, held_statuses)
    doubtful = f"; {plural(len(figures.doubtful), 'mention')} held as doubtful" if figures.doubtful else ""
    if state.is_failed():
        error = state.result(raise_on_failure=False)
        return Failed(message=f"digest not delivered ({error}); sent to {plural(len(accepted), 'target')}{held_part}")
    sent_to = plural(len(accepted), "target")
    return Completed(message=f"{plural(len(figures.alerts), 'alert')}{doubtful}; sent to {sent_to}{held_part}")


def _held_part(held: list[RecordedDigest], statuses: dict[int, Counter[str]]) -> str:
    """The held alerts' digests in the run's state message: '; 3 held alerts in 2 digests, 2 sent'."""
    if not held:
        return ""
    sent = sum(1 for d in held if statuses.get(d.alert_id, Counter()).get("sent"))
    return f"; {plural(sum(d.alerts for d in held), 'held alert')} in {plural(len(held), 'digest')}, {sent} sent"


@task(name="send_digest", cache_policy=NO_CACHE, retries=3, retry_jitter_factor=0.5)
def send_digest(
    notifier: AppriseNotifier, message: AlertMessage, accepted: dict[str, str], merged: frozenset[str] = frozenset()
) -> None:
    """Send the digest to every target tagged 'digest' that has not accepted it yet, but those of `merged`
    (whose held alerts' digest carries it).

    `accepted` (target key to label) is the same object on every retry: a target that took the
    digest on the first try does not get it again when another one fails.
    """
    logger = get_run_logger()
    targets = notifier.targets_for([DIGEST_TAG])
    if not targets:
        logger.warning("no notification target is tagged %r: the digest goes nowhere", DIGEST_TAG)
    errors = []
    for target in targets:
        if target.key in accepted or target.key in merged:
            continue
        error = notifier.send(target.key, message.title, message.body)
        if error is None:
            accepted[target.key] = target.label
        else:
            errors.append(f"{target.label}: {error}")
    if errors:
        raise NotifyError("; ".join(errors))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Send the digest now: what the last hours brought, and each target its queued alerts."
    parser.add_argument(
        "--hours", type=int, default=24, help=f"how far back the summary looks (1 to {MAX_HOURS}; default 24)"
    )


def run(args: argparse.Namespace) -> int:
    """`veille digest [--hours N]`: one digest run; exit status 1 when it failed, 2 on a bad configuration."""
    if not 1 <= args.hours <= MAX_HOURS:
        print(f"veille: --hours must be between 1 and {MAX_HOURS}, not {args.hours}", file=sys.stderr)
        return 2
    if not precheck_configuration(needs_model=False):
        return 2
    with offline_defaults(command_line_server()):
        state = digest(hours=args.hours, return_state=True)
    print(f"veille: digest {state_name(state).lower()}: {loggable(state.message or '')}", file=sys.stderr)
    return 1 if state.is_failed() else 0
