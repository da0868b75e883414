"""What every flow shares: configuration read at the edge, the store, artifacts, and the operator's alarm."""

from __future__ import annotations

import logging
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from prefect import Flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import FlowRun, State
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_UI_URL
from prefect.states import Failed
from prefect.utilities.annotations import quote

from flows.engine_logs import hide_returned_state_tracebacks
from veille.decide import DecisionConfig
from veille.decide.deliveries import TargetProfile
from veille.decide.health import OPERATOR_TAG
from veille.errors import ConfigError, ConfigProblems, VeilleError
from veille.extract.index_cache import IndexCache, cached_watchlist
from veille.interfaces import Store
from veille.notify.journal import FileSentJournal, journal_path
from veille.notify.sender import DeliveryPolicy
from veille.notify.targets import AppriseNotifier, load_notifier
from veille.overlap import DueRun, due_meanwhile, superseded_by
from veille.redact import mask_urls
from veille.report import cell
from veille.rules.config import DEFAULT_RULES, RulesConfig, load_rules
from veille.sanitize import loggable
from veille.settings import Settings, check_spacy_model, load_settings, unknown_variables
from veille.sources import SourcesConfig, load_sources
from veille.store.continuity import earlier_state, remember_database
from veille.store.sql import SqlStore
from veille.watchlist import WatchList

logger = logging.getLogger(__name__)
Result = TypeVar("Result")
# Prefect's engine imports a deployment run's flow module, and so this one, before it runs the flow.
hide_returned_state_tracebacks()


def called_sync(result: Result | Coroutine[Any, Any, Result]) -> Result:
    """What a Prefect function made with @async_dispatch returned to synchronous code.

    Prefect types such a function (Block.load, create_progress_artifact, Flow.to_deployment) as
    returning its result or a coroutine, the second only when called inside an event loop: ours never are.
    """
    if isinstance(result, Coroutine):
        result.close()
        raise RuntimeError("a Prefect call returned a coroutine: it was made inside an event loop")
    return result


def unwalked(value: Result) -> Result:
    """`value` passed to a task as it is: Prefect otherwise walks every item of a task's arguments (each
    entry of the watch list, each article of a batch) at every call, looking for futures in them: seconds
    a call with 10,000 entries. For what holds no future."""
    return cast(Result, quote(value))


@dataclass(frozen=True)
class Configuration:
    settings: Settings
    watchlist: WatchList
    sources: SourcesConfig
    notifier: AppriseNotifier
    rules: RulesConfig = DEFAULT_RULES

    @property
    def decision(self) -> DecisionConfig:
        """What the decision step reads: watch list, rules, and each target with its delivery settings."""
        return decision_config(self.watchlist, self.rules, self.notifier)

    @property
    def languages(self) -> dict[str, str]:
        return {feed.source_name: feed.language for feed in self.sources.feeds}


def decision_config(watchlist: WatchList, rules: RulesConfig, notifier: AppriseNotifier) -> DecisionConfig:
    targets = tuple(
        TargetProfile(target.ref, target.tags, rules.delivery_for(target.tags)) for target in notifier.targets
    )
    return DecisionConfig(watchlist, rules, targets)


def load_configuration(with_blocks: bool = True) -> Configuration:
    """Settings, watch list, sources and targets; every configuration problem shows here, before any work.

    `with_blocks=False` skips the Prefect Secret block, which needs a Prefect server: for the
    command line's check before one starts.
    """
    settings = load_settings()
    if FlowRunContext.get():  # on the command line, the start check has said them already
        for warning in unknown_variables():
            get_run_logger().warning("%s", warning)
    urls = settings.notify_urls_value
    if with_blocks and settings.notify_urls_block:
        urls = " ".join(part for part in (urls, read_secret_block(settings.notify_urls_block)) if part)
    watchlist = cached_watchlist(settings.watchlist_file, IndexCache(settings.cache_dir))
    notifier = load_notifier(settings.targets_file, urls, settings.alerts_file)
    return Configuration(
        settings=settings,
        watchlist=watchlist,
        sources=load_sources(settings.sources_file),
        notifier=notifier,
        rules=load_rules(settings.rules_file, watchlist, notifier.all_tags()),
    )


def precheck_configuration(needs_model: bool = True) -> bool:
    """Whether the configuration passes checked_configuration (which says why not)."""
    return checked_configuration(needs_model) is not None


def checked_configuration(needs_model: bool = True) -> Configuration | None:
    """The configuration checked without Prefect, before a command starts it: a wrong setting fails in a
    second, not after the eight or so Prefect's temporary server takes to start. None after saying why
    (one line, or a file's headline and one line per problem); warnings are printed and pass.
    `needs_model=False` for a command that reads no text (digest, release): the spaCy model is not asked for."""
    # First: a misspelt variable may be why what follows fails (a file looked for under its default name).
    warn_unknown_variables()
    try:
        config = load_configuration(with_blocks=False)
        # Found to be missing now, not after Prefect started, the feeds were fetched and two tracebacks.
        if needs_model:
            check_spacy_model(config.settings.spacy_model)
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return None
    return config


@contextmanager
def opened_store(settings: Settings) -> Iterator[Store]:
    """The store (open_store) for a command's reads, closed when they are done."""
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


_warned: set[str] = set()


def warn_unknown_variables() -> None:
    """Each misspelt `VEILLE_` variable said on stderr, once a process (`veille` and the start check both ask)."""
    for warning in unknown_variables():
        if warning not in _warned:
            _warned.add(warning)
            print(f"veille: warning: {warning}", file=sys.stderr)


def read_secret_block(name: str) -> str:
    """The value of the Prefect Secret block `name`: apprise URL items kept out of files and the environment."""
    from prefect.blocks.system import Secret

    try:
        value = called_sync(Secret.load(name)).get()
    except ValueError as exc:
        raise ConfigError(f"VEILLE_NOTIFY_URLS_BLOCK: no Secret block named {name!r} on this Prefect server") from exc
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"VEILLE_NOTIFY_URLS_BLOCK: Secret block {name!r} must hold '[tag=]URL' items as text")
    return value


def publish_report(key: str, markdown: str, description: str) -> None:
    """The run's summary as a Markdown artifact; a failure to publish it never fails the run."""
    try:
        create_markdown_artifact(markdown=markdown, key=key, description=description)
    except Exception as exc:  # the work is done and recorded; the report is a view of it
        get_run_logger().warning("could not publish the %s artifact: %s", key, type(exc).__name__)


def state_name(state: State[Any]) -> str:
    """The state's name ("Failed", "TimedOut"); Prefect's schema allows none, its constructors always give one."""
    return state.name or state.type.value.title()


def stopped(key: str, state: State[Any]) -> State[Any]:
    """A run that ends before its work (failed, or skipped) still says so in its artifact."""
    publish_report(
        key,
        f"# Run {state_name(state).lower()}\n\n{cell(state.message or '')}\n",
        f"Why the latest run ended {state_name(state)}",
    )
    return state


def failed(key: str, error: VeilleError) -> State[Any]:
    """A run stopped by a problem Veille names (configuration, database): logged, reported, Failed."""
    message = mask_urls(str(error))  # a URL in an error may carry a token: the state and the log are public
    if isinstance(error, ConfigProblems):
        # A file's problems, one a line, each already made loggable: the line breaks are ours.
        get_run_logger().error("%s", "\n".join(loggable(line) for line in message.split("\n")))
    else:
        get_run_logger().error("%s", loggable(message))  # it may quote a file name or a server's answer
    return stopped(key, Failed(message=message))


def run_url(flow_run: FlowRun) -> str:
    base = PREFECT_UI_URL.value()
    return f"{base.rstrip('/')}/runs/flow-run/{flow_run.id}" if base else f"flow run {flow_run.id}"


def runs_due_meanwhile(since: datetime) -> list[str]:
    """The scheduled runs of this run's deployment that came due after `since` (when it began) and by now.

    They had to wait for this one (the deployment runs one monitor at a time): it outlived its interval.
    Runs started by hand are not counted. Empty outside a deployment; a Prefect server that cannot say
    is logged, never fails the run.
    """
    now = datetime.now(UTC)
    return [run.name for run in due_meanwhile(_deployment_runs_due(since, now), since, now)]


def superseding_run() -> DueRun | None:
    """The later scheduled run of this deployment already due, when this run is a scheduled one; else None."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None or not context.flow_run.auto_scheduled:
        return None
    due = context.flow_run.expected_start_time or context.flow_run.created or datetime.now(UTC)
    this = DueRun(context.flow_run.name, due, scheduled=True)
    now = datetime.now(UTC)
    return superseded_by(this, _deployment_runs_due(this.due, now), now)


def _deployment_runs_due(after: datetime, until: datetime) -> list[DueRun]:
    """The other runs of this run's deployment due after `after` and by `until`, latest first (at most 100)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterId,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.runtime import deployment, flow_run

    deployment_id, this_run_id = deployment.get_id(), flow_run.get_id()
    if not deployment_id or not this_run_id:
        return []
    window = FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[UUID(deployment_id)]),
        # Validated: Prefect's DateTime type is pendulum's before Python 3.13, which a datetime validates to.
        expected_start_time=FlowRunFilterExpectedStartTime.model_validate({"after_": after, "before_": until}),
        id=FlowRunFilterId(not_any_=[UUID(this_run_id)]),
    )
    try:
        with get_client(sync_client=True) as client:
            # sort given: this client sends null without it, which the server refuses (422)
            runs = client.read_flow_runs(flow_run_filter=window, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=100)
    except Exception as exc:  # a view of the schedule, not the work: the run goes on
        get_run_logger().warning("could not read the other runs of this deployment: %s", type(exc).__name__)
        return []
    return [DueRun(run.name, run.expected_start_time, run.auto_scheduled) for run in runs if run.expected_start_time]


def open_store(settings: Settings) -> Store:
    """The store; a new, empty one beside the trace of another database is refused, or warned about."""
    url = settings.database_url_value
    earlier = None if settings.accept_new_database else earlier_state(settings.data_dir, settings.alerts_file, url)
    store = SqlStore.open(url, refuse_new_because=earlier.evidence if earlier and earlier.certain else None)
    if store.was_new and earlier is not None:
        # Outside a flow run too (the outbox command): Prefect's run logger, else this module's.
        run_logger = get_run_logger() if FlowRunContext.get() else logger
        run_logger.warning(
            "started a new, empty database, but %s: if VEILLE_DATABASE_URL is mistyped, "
            "stop and correct it before the next run",
            earlier.evidence,
        )
    remember_database(settings.data_dir, url)
    return store


def sent_journal(settings: Settings) -> FileSentJournal:
    """Where sends a target accepted but the database could not record wait for the next run."""
    return FileSentJournal(journal_path(settings.data_dir, settings.database_url_value))


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        settings.max_delivery_attempts, settings.retry_backoff_seconds, settings.delivery_lease_seconds
    )


def _alarm_configuration() -> Configuration:
    """The configuration with the Secret block's targets, else without them: the alarm reaches what it can."""
    try:
        return load_configuration()
    except Exception:  # a missing Secret block or an unreachable server; any other problem shows again below
        return load_configuration(with_blocks=False)


def notify_operator(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """on_failure and on_crashed hook: tell the targets tagged 'operator' that a run failed, and where to look."""
    try:
        config = _alarm_configuration()
    except VeilleError as exc:
        logger.error("cannot notify the operator of failed run %s: %s", flow_run.name, loggable(mask_urls(str(exc))))
        return
    title = f"Veille: {flow.name} run {flow_run.name} {state_name(state).lower()}"
    # A crash's message is the exception's text, not Veille's: it may hold a URL with its token.
    ended = f"The {flow.name} run {flow_run.name} ended {state_name(state)}"
    body = "\n".join(
        [
            f"{ended}: {mask_urls(state.message or 'no message')}",
            f"See {run_url(flow_run)}",
            "Nothing is lost: articles and alerts not recorded are taken up by the next run.",
        ]
    )
    notifier = config.notifier
    targets = notifier.targets_for([OPERATOR_TAG])
    if not targets:
        logger.warning("run %s failed and no notification target is tagged %r", flow_run.name, OPERATOR_TAG)
    for target in targets:
        error = notifier.send(target.key, title, body)
        if error is not None:
            logger.error("cannot notify the operator through %s: %s", target.label, loggable(error))
