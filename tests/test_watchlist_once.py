"""A monitor run reads and validates the watch list once, and the next run not at all (issue #14, goal 2)."""

from __future__ import annotations

import logging
from collections import OrderedDict

import pytest

import tasks.extract
from flows.common import checked_configuration
from flows.monitor import monitor
from tests.conftest import read_alert_file
from veille.extract import index_cache
from veille.summary import RunSummary

pytestmark = pytest.mark.usefixtures("prefect_harness")


def said(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in record.getMessage() for record in caplog.records if record.name == index_cache.__name__)


def command_line_run() -> RunSummary:
    """What `veille run` does: the start check, then the flow, in one process."""
    assert checked_configuration() is not None
    state = monitor(return_state=True)
    assert state.is_completed(), state.message
    return state.result()


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a run's new process starts without: the watch lists and the pipelines this one keeps."""
    monkeypatch.setattr(index_cache, "_loaded", {})
    monkeypatch.setattr(tasks.extract, "_LOADED", OrderedDict())


def test_a_run_reads_the_watch_list_once_and_the_next_takes_it_from_the_cache(workdir, caplog, monkeypatch):
    new_process(monkeypatch)
    caplog.set_level(logging.INFO, logger=index_cache.__name__)
    command_line_run()
    assert (said(caplog, "read and validated"), said(caplog, "index of")) == (1, 1)
    first_alerts = len(read_alert_file(workdir))
    assert first_alerts
    assert sorted(path.name.split("-")[0] for path in (workdir / "data" / "cache").iterdir()) == ["index", "watchlist"]

    caplog.clear()
    new_process(monkeypatch)  # the next scheduled run
    (workdir / "seeds" / "new.txt").write_text(
        "Frappes à Raqqa\n\nDes frappes ont visé Raqqa mardi, selon une ONG.\n", encoding="utf-8"
    )
    summary = command_line_run()
    assert (said(caplog, "read and validated"), said(caplog, "index of")) == (0, 0)
    assert summary.new == 1  # and read with the kept index
    assert summary.watched_mentions >= 1
