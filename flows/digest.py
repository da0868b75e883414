"""The digest flow: what the last hours brought, sent once to the targets tagged 'digest'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed
from prefect.tasks import exponential_backoff

from flows.common import failed, load_configuration, notify_operator, open_store, publish_report, stopped
from veille.digest import DIGEST_TAG, render_digest
from veille.errors import NotifyError, VeilleError
from veille.notify.targets import AppriseNotifier
from veille.records import AlertMessage
from veille.report import render_digest_report

REPORT_KEY = "digest"
MAX_HOURS = 720


@flow(name="digest", on_failure=[notify_operator], on_crashed=[notify_operator])
def digest(hours: int = 24) -> State:
    """Send a summary of the last hours (alerts by entry, new articles by source, failing sources).

    Args:
        hours: How far back the digest looks, in hours (1 to 720).
    """
    if not 1 <= hours <= MAX_HOURS:
        return stopped(REPORT_KEY, Failed(message=f"hours must be between 1 and {MAX_HOURS}, not {hours}"))
    until = datetime.now(UTC)
    since = until - timedelta(hours=hours)
    try:
        config = load_configuration()
        store = open_store(config.settings)
        try:
            figures = store.period_figures(since, until)
            statuses = store.delivery_statuses(a.alert_id for a in figures.alerts)
        finally:
            store.close()
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    message = render_digest(figures, since, until)
    accepted: dict[str, str] = {}
    # The delivery outbox's backoff setting: 30 s, then 60 s, 120 s by default.
    sender = send_digest.with_options(
        retry_delay_seconds=exponential_backoff(backoff_factor=config.settings.retry_backoff_seconds)
    )
    state = sender(config.notifier, message, accepted, return_state=True)
    undelivered = [t.label for t in config.notifier.targets_for([DIGEST_TAG]) if t.key not in accepted]
    publish_report(
        REPORT_KEY,
        render_digest_report(figures, statuses, since, until, accepted.values(), undelivered),
        "The latest digest and where it went",
    )
    if state.is_failed():
        error = state.result(raise_on_failure=False)
        return Failed(message=f"digest not delivered ({error}); sent to {len(accepted)} targets")
    return Completed(message=f"{len(figures.alerts)} alerts; sent to {len(accepted)} targets")


@task(name="send_digest", cache_policy=NO_CACHE, retries=3, retry_jitter_factor=0.5)
def send_digest(notifier: AppriseNotifier, message: AlertMessage, accepted: dict[str, str]) -> None:
    """Send the digest to every target tagged 'digest' that has not accepted it yet.

    `accepted` (target key to label) is the same object on every retry: a target that took the
    digest on the first try does not get it again when another one fails.
    """
    logger = get_run_logger()
    targets = notifier.targets_for([DIGEST_TAG])
    if not targets:
        logger.warning("no notification target is tagged %r: the digest goes nowhere", DIGEST_TAG)
    errors = []
    for target in targets:
        if target.key in accepted:
            continue
        error = notifier.send(target.key, message.title, message.body)
        if error is None:
            accepted[target.key] = target.label
        else:
            errors.append(f"{target.label}: {error}")
    if errors:
        raise NotifyError("; ".join(errors))
