"""How far a long step is (extraction of many articles, a replay, a baseline), in both views of a run:
a bar on the console when stderr is a terminal, and the run's Prefect progress artifact."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from types import TracebackType
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.context import FlowRunContext
from prefect.logging.handlers import PrefectConsoleHandler
from rich.console import Console
from rich.default_styles import DEFAULT_STYLES
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.theme import Theme

from flows.common import called_sync

logger = logging.getLogger(__name__)
# The artifact is updated at most this often: each update is a call to the server (~10 ms here, more
# there), and a run records a batch every few hundred milliseconds; the UI shows it no faster.
ARTIFACT_EVERY_SECONDS = 1.0
# Rich's own styles of the bar's parts, for a console themed without them (Prefect's).
BAR_STYLES = {name: style for name, style in DEFAULT_STYLES.items() if name.startswith(("bar.", "progress."))}
# Without a terminal (a pipe, a log file, a worker) a line at each quarter says the run is alive.
LOGGED_STEPS = 4


def log_console() -> Console:
    """The console Prefect's log handler prints to, else one on stderr.

    The same one: rich then prints each log line above the bar. A console of its own would have
    the log lines written through the bar's line, each glued to it.
    """
    consoles = {
        id(handler.console): handler.console
        for logger_ in (logging.getLogger(), *logging.Logger.manager.loggerDict.values())
        if isinstance(logger_, logging.Logger)
        for handler in logger_.handlers
        if isinstance(handler, PrefectConsoleHandler) and handler.stream is sys.stderr
    }
    return next(iter(consoles.values())) if len(consoles) == 1 else Console(stderr=True)


class RunProgress:
    """`done of total` items of one step, shown as it advances; use as a context manager around the step.

    Shown only when `shown` (a step of one batch is over before a bar could say anything). The bar is
    drawn only when `console` is a terminal; the artifact is made only inside a flow run; elsewhere
    a line is logged at each quarter.
    """

    def __init__(self, description: str, total: int, *, shown: bool = True, console: Console | None = None) -> None:
        self.description = description
        self.total = max(total, 0)
        self.done = 0
        self.shown = shown and self.total > 0
        self._console = console if console is not None else log_console()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._artifact: UUID | None = None
        self._artifact_updated = 0.0
        self._logged_step = 0
        self._themed = False

    def __enter__(self) -> RunProgress:
        if not self.shown:
            return self
        if FlowRunContext.get():
            self._artifact = called_sync(
                create_progress_artifact(0.0, description=f"{self.description}, of {self.total}")
            )
            self._artifact_updated = time.monotonic()
        if self._console.is_terminal:
            self._draw(self._start_bar)
        return self

    def advance(self, count: int) -> None:
        """`count` more items done."""
        self.done = min(self.total, self.done + count)
        if not self.shown:
            return
        if self._artifact is not None and time.monotonic() - self._artifact_updated >= ARTIFACT_EVERY_SECONDS:
            update_progress_artifact(self._artifact, self.percent)
            self._artifact_updated = time.monotonic()
        if self._bar is not None:
            self._draw(self._update_bar)
        if self._bar is None:
            self._log_quarter()

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._artifact is not None and kind is None:
            # The step is over: the count it was given first may have been an estimate.
            update_progress_artifact(self._artifact, 100.0)
        if self._bar is not None:
            self._draw(self._stop_bar)
            self._bar = None

    def _start_bar(self) -> None:
        # Prefect's console knows its own styles alone: the bar's are lent to it while it is drawn.
        self._console.push_theme(Theme(BAR_STYLES))
        self._themed = True
        # Redrawn at each batch, not by a thread of rich's: a failure to draw shows here, where it is caught.
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self._console,
            auto_refresh=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.description, total=self.total)

    def _update_bar(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done, refresh=True)

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        if self._themed:
            self._themed = False
            self._console.pop_theme()

    def _draw(self, step: Callable[[], None]) -> None:
        """One step of drawing; a terminal that fails it loses the bar, never the run (lines are logged instead)."""
        try:
            step()
        except Exception as exc:  # a view of the work, like the artifact: the work goes on
            logger.warning("progress bar dropped: %s", type(exc).__name__)
            self._bar = None
            if self._themed:
                self._themed = False
                self._console.pop_theme()

    def _log_quarter(self) -> None:
        step = int(self.percent * LOGGED_STEPS // 100)
        if step <= self._logged_step:
            return
        self._logged_step = step
        run_logger = get_run_logger() if FlowRunContext.get() else logger
        run_logger.info("%s: %d of %d (%d%%)", self.description, self.done, self.total, self.percent)
