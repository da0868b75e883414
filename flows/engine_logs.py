"""Prefect's engine logs, without the traceback it adds to a run that ended as the flow said it would.

A Veille flow stopped by a problem it names (a configuration error, a database refusing) logs one
line and returns a Failed or Cancelled state. In a deployment's run, Prefect's engine then asks that
state for its result, which raises a FailedRun or CancelledRun wrapping the state's message, and logs
it with its traceback ("Engine execution exited with unexpected exception", 40 lines of Prefect's
own frames) after Veille's line. That exception says nothing the state does not: its record is
dropped. Any other exception, a real crash, keeps its traceback.
"""

from __future__ import annotations

import logging

from prefect.exceptions import CancelledRun, FailedRun

# Where Prefect 3.8.8 logs it: the run's logger (shown in the UI) and the engine's (the process output).
_ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.engine")


class ReturnedStateFilter(logging.Filter):
    """Drops the engine's record of the exception a returned Failed or Cancelled state raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(error, FailedRun | CancelledRun) and "exited with unexpected exception" in str(record.msg)
        )


_FILTER = ReturnedStateFilter()


def hide_returned_state_tracebacks() -> None:
    """Install the filter on Prefect's engine loggers (idempotent)."""
    for name in _ENGINE_LOGGERS:
        engine_logger = logging.getLogger(name)
        if _FILTER not in engine_logger.filters:
            engine_logger.addFilter(_FILTER)
