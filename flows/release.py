"""The release flow: the mentions held as doubtful, listed, and those the operator names sent as alerts.

`veille release` lists the doubtful mentions not released (id, when, entry, variant, confidence,
why, article); `veille release ID [ID ...]` releases them: each becomes an alert through the
same decision and store as any mention (taken as sure, "released by hand"), delivered by the outbox,
and is marked released with the alert's id. One whose entry its story has alerted since creates nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Completed

from flows.common import (
    Configuration,
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
from flows.prefect_home import command_line_server
from tasks.notify import send_alerts
from tasks.store import history_days, rate_windows, thresholds
from veille.decide.release import release_by_hand
from veille.errors import VeilleError
from veille.interfaces import Store
from veille.records import DecisionContext, HeldDoubtful, StoredArticle
from veille.report import cell, delivery_status
from veille.sanitize import loggable
from veille.summary import RELEASE_COMMAND, doubtful_text, plural

REPORT_KEY = "release"


class ReleaseError(VeilleError):
    """Ids the operator named that no mention held as doubtful has."""


@dataclass(frozen=True)
class Released:
    """What releasing one id came to, in words (`says`): the alert it became now (`created`) or before, or
    why nothing was created."""

    id: int
    alert_id: int | None
    says: str
    created: bool = False


@dataclass
class ReleaseOutcome:
    """A release run: the mentions listed (without ids), or what each id named came to."""

    listed: list[HeldDoubtful] = field(default_factory=list)
    released: list[Released] = field(default_factory=list)


@flow(name="release", on_failure=[notify_operator], on_crashed=[notify_operator])
def release(ids: list[int] | None = None) -> State:
    """List the mentions held as doubtful and not released; with `ids`, send those as alerts.

    Args:
        ids: Ids of mentions held as doubtful, as the list, the run summary and the digest show them: each
            is sent as an alert, taken as sure, and marked released. Empty: list those not released.
    """
    try:
        config = load_configuration()
        store = open_store(config.settings)
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    try:
        if ids:
            outcome = ReleaseOutcome(released=_release(store, config, ids))
        else:
            outcome = ReleaseOutcome(listed=store.doubtful_mentions(released=False))
    except VeilleError as exc:
        return failed(REPORT_KEY, exc)
    finally:
        store.close()
    publish_report(
        REPORT_KEY, render_release_report(outcome), "The mentions held as doubtful, or what releasing them did"
    )
    message = _state_message(outcome, bool(ids))
    get_run_logger().info("%s", message)
    return Completed(message=message, data=outcome)


def _release(store: Store, config: Configuration, ids: Sequence[int]) -> list[Released]:
    """Each id released, in the order given (once each): sent, or why nothing was created."""
    wanted = list(dict.fromkeys(ids))
    held = {item.id: item for item in store.doubtful_mentions(wanted)}
    unknown = [str(number) for number in wanted if number not in held]
    if unknown:
        raise ReleaseError(
            f"no mention held as doubtful has id {', '.join(unknown)}: `{RELEASE_COMMAND}` lists those there are"
        )
    settings = config.settings
    now = settings.clock()
    pending = [held[number] for number in wanted if held[number].released_at is None]
    articles = store.stored_articles(item.article_id for item in pending)
    story_ids = {item.story_id for item in pending}
    alerted, carriers = store.story_context(story_ids)
    tags = {feed.source_name: feed.tags for feed in config.sources.feeds}
    items = [
        (item, _tagged(articles[item.article_id], tags))
        for item in pending
        if item.article_id in articles and item.entry_id not in alerted.get(item.story_id, frozenset())
    ]
    created: dict[int, int] = {}
    refused: set[int] = set()
    if items:
        decision = config.decision
        entries = {item.entry_id for item, _ in items}
        context = DecisionContext(
            now=now,
            alerted=alerted,
            story_sources=carriers,
            history=store.entry_history(entries, now, history_days(decision), thresholds(decision, entries)),
            sent_recently=store.sent_recently(rate_windows(decision), now),
            languages=config.languages,
            doubtful=store.held_as_doubtful(story_ids),
        )
        recorded = store.record_plan(release_by_hand(items, context, decision), now)
        created = recorded.released
        for error in recorded.rejected:
            get_run_logger().error("cannot store %s: %s", loggable(error.item), loggable(error.problem))
        refused = {item.id for item, _ in items if item.id not in created}
        # Through the outbox, as any alert: retries, the journal of sends and the lease come with it.
        send_alerts(store, config.notifier, delivery_policy(settings), sent_journal(settings), settings.clock)
    statuses = store.delivery_statuses(created.values())
    return [_outcome(held[number], articles, created, statuses, refused) for number in wanted]


def _outcome(
    item: HeldDoubtful,
    articles: dict[int, StoredArticle],
    created: dict[int, int],
    statuses: dict[int, Counter[str]],
    refused: set[int],
) -> Released:
    if item.released_at is not None:
        return Released(item.id, item.released_alert_id, f"already released as alert {item.released_alert_id}")
    if item.id in created:
        alert_id = created[item.id]
        status = delivery_status(statuses.get(alert_id, Counter()))
        return Released(item.id, alert_id, f"released as alert {alert_id}: {status}", created=True)
    if item.article_id not in articles:
        return Released(item.id, None, "its article is no longer stored; nothing created")
    if item.id in refused:
        return Released(item.id, None, "not recorded: the database refused its article (the run's log says why)")
    if item.alerted_since is not None:
        says = f"its story has alerted {item.entry_name} since (alert {item.alerted_since}); nothing created"
        return Released(item.id, item.alerted_since, says)
    return Released(item.id, None, f"its story has {item.entry_name} already (held); nothing created")


def _tagged(stored: StoredArticle, tags: dict[str, tuple[str, ...]]) -> StoredArticle:
    """The stored article with its source's routing tags, as a monitor run reads it."""
    return replace(stored, article=replace(stored.article, tags=tags.get(stored.article.source, ())))


def listing_lines(held: Sequence[HeldDoubtful]) -> list[str]:
    """The mentions held as doubtful and not released, one a line, escaped for a terminal."""
    if not held:
        return ["No mention held as doubtful waits to be released."]
    lines = [
        f"{plural(len(held), 'mention')} held as doubtful, not released ({RELEASE_COMMAND} ID [ID ...] sends them):"
    ]
    for item in held:
        settled = (
            f" [its story alerted {loggable(item.entry_name)} since: alert {item.alerted_since}]"
            if item.alerted_since is not None
            else ""
        )
        lines.append(f"  {item.id}  {_when(item.created_at)}  {_described(item, loggable)}{settled}")
    return lines


def _described(item: HeldDoubtful, quote: Callable[[str], str]) -> str:
    article = f"«{quote(item.article_title)}» ({quote(item.source)}, {quote(item.location)})"
    return f"{doubtful_text(item, quote)} in {article}"


def render_release_report(outcome: ReleaseOutcome) -> str:
    """The run's artifact: the list, or each id with what it came to."""
    if outcome.released:
        lines = [f"# Release: {plural(sum(r.created for r in outcome.released), 'alert')} created", ""]
        lines += [f"- {r.id}: {cell(r.says, 300)}" for r in outcome.released]
        return "\n".join(lines) + "\n"
    lines = [f"# Held as doubtful, not released: {len(outcome.listed)}", ""]
    lines += [f"- {item.id} ({_when(item.created_at)}): {cell(_described(item, str), 600)}" for item in outcome.listed]
    return "\n".join(lines) + "\n"


def _state_message(outcome: ReleaseOutcome, releasing: bool) -> str:
    if not releasing:
        return f"{plural(len(outcome.listed), 'mention')} held as doubtful, not released"
    made = sum(r.created for r in outcome.released)
    return f"{plural(made, 'alert')} created from {plural(len(outcome.released), 'mention')} held as doubtful"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def unknown_ids(ids: Sequence[int]) -> list[int] | None:
    """Of `ids`, those no mention held as doubtful has; None when the store cannot be read without Prefect
    (the flow then says so itself). Checked before Prefect starts, so that a mistyped id fails at once."""
    try:
        store = open_store(load_configuration(with_blocks=False).settings)
    except VeilleError:
        return None
    try:
        known = {item.id for item in store.doubtful_mentions(ids)}
    except VeilleError:
        return None
    finally:
        store.close()
    return [number for number in dict.fromkeys(ids) if number not in known]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (__doc__ or "").splitlines()[0]
    parser.add_argument(
        "ids",
        metavar="ID",
        type=int,
        nargs="*",
        help="a mention held as doubtful to send as an alert (as the list, the run summary and the digest show it)",
    )


def run(args: argparse.Namespace) -> int:
    """`veille release [ID ...]`: list the doubtful mentions, or release those named; exit 2 for an
    unknown id or a configuration problem, 1 when the run failed."""
    if not precheck_configuration(needs_model=False):
        return 2
    if args.ids:
        unknown = unknown_ids(args.ids)
        if unknown:
            shown = ", ".join(str(number) for number in unknown)
            print(
                f"veille: release: no mention held as doubtful has id {shown} ({RELEASE_COMMAND} lists them)",
                file=sys.stderr,
            )
            return 2
    with offline_defaults(command_line_server()):
        state = release(ids=args.ids or None, return_state=True)
    if state.is_completed():
        outcome: object = state.result()  # the flow's Completed state holds its outcome as its data
        if isinstance(outcome, ReleaseOutcome):
            if args.ids:
                print("\n".join(f"{r.id}: {loggable(r.says)}" for r in outcome.released))
            else:
                print("\n".join(listing_lines(outcome.listed)))
        return 0
    print(f"veille: release {state_name(state).lower()}: {loggable(state.message or '')}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """`python -m flows.release`, the same as `veille release`."""
    parser = argparse.ArgumentParser(prog="python -m flows.release")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
