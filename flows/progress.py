"""How far a long step is (extraction of many articles, a replay, a baseline), in both views of a run:
a bar on the console when stderr is a terminal, and the run's Prefect progress artifact."""

from __future__ import annotations

import logging
from types import TracebackType
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.context import FlowRunContext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from flows.common import called_sync

logger = logging.getLogger(__name__)
# Without a terminal (a pipe, a log file, a worker) a line at each quarter says the run is alive.
LOGGED_STEPS = 4


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
        self._console = console if console is not None else Console(stderr=True)
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._artifact: UUID | None = None
        self._logged_step = 0

    def __enter__(self) -> RunProgress:
        if not self.shown:
            return self
        if FlowRunContext.get():
            self._artifact = called_sync(
                create_progress_artifact(0.0, description=f"{self.description}, of {self.total}")
            )
        if self._console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._console,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, count: int) -> None:
        """`count` more items done."""
        self.done = min(self.total, self.done + count)
        if not self.shown:
            return
        if self._artifact is not None:
            update_progress_artifact(self._artifact, self.percent)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.done)
        else:
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
            self._bar.stop()
            self._bar = None

    def _log_quarter(self) -> None:
        step = int(self.percent * LOGGED_STEPS // 100)
        if step <= self._logged_step:
            return
        self._logged_step = step
        run_logger = get_run_logger() if FlowRunContext.get() else logger
        run_logger.info("%s: %d of %d (%d%%)", self.description, self.done, self.total, self.percent)
