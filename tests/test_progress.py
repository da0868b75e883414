"""Console progress of a long step: a bar on a terminal, nothing on a pipe but a line a quarter, and the
run's Prefect progress artifact saying the same."""

from __future__ import annotations

import io
import logging
import re
import time

import pytest
from prefect import flow
from rich.console import Console
from rich.theme import Theme

import flows.progress as progress_module
from flows.progress import RunProgress
from tests.prefect_api import run_record


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=terminal, width=100), stream


def screen(text: str) -> list[str]:
    """What a terminal shows of `text`: each line as its last carriage return left it, without escapes."""
    return [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line.rsplit("\r", 1)[-1]) for line in text.split("\n")]


def run_batches(progress: RunProgress, batch: int) -> None:
    with progress:
        for _ in range(0, progress.total, batch):
            progress.advance(batch)


def test_a_terminal_shows_a_bar_that_reaches_the_total(caplog):
    terminal, stream = console(terminal=True)
    caplog.set_level(logging.INFO, logger="flows.progress")

    run_batches(RunProgress("Articles analysed", 96, console=terminal), batch=32)

    drawn = stream.getvalue()
    assert "Articles analysed" in drawn and "96/96" in drawn
    assert "\x1b[" in drawn, "drawn with the terminal's control sequences"
    assert not caplog.records, "a bar, not log lines as well"


def test_a_pipe_gets_no_bar_but_a_line_at_each_quarter(caplog):
    pipe, stream = console(terminal=False)
    caplog.set_level(logging.INFO, logger="flows.progress")

    run_batches(RunProgress("Stored articles read again", 100, console=pipe), batch=10)

    assert stream.getvalue() == ""
    assert [record.getMessage() for record in caplog.records] == [
        "Stored articles read again: 30 of 100 (30%)",
        "Stored articles read again: 50 of 100 (50%)",
        "Stored articles read again: 80 of 100 (80%)",
        "Stored articles read again: 100 of 100 (100%)",
    ]


@pytest.mark.parametrize(("shown", "total"), [(False, 64), (True, 0)])
def test_a_step_too_short_to_follow_shows_nothing(caplog, shown, total):
    terminal, stream = console(terminal=True)
    caplog.set_level(logging.INFO, logger="flows.progress")

    run_batches(RunProgress("Articles analysed", total, shown=shown, console=terminal), batch=32)

    assert stream.getvalue() == "" and not caplog.records


def test_the_count_never_passes_the_total():
    terminal, stream = console(terminal=True)
    with RunProgress("Articles analysed", 10, console=terminal) as progress:
        progress.advance(32)
    assert progress.done == 10 and progress.percent == 100.0
    assert "10/10" in stream.getvalue()


@pytest.mark.usefixtures("prefect_harness")
def test_in_a_flow_run_the_progress_artifact_follows_the_same_count():
    pipe, _ = console(terminal=False)

    @flow
    def three_batches() -> None:
        run_batches(RunProgress("Articles analysed", 90, console=pipe), batch=30)

    state = three_batches(return_state=True)

    assert state.is_completed()
    record = run_record(state.state_details.flow_run_id)
    [artifact] = [a for a in record.artifacts if a["type"] == "progress"]
    assert artifact["data"] == 100.0 and artifact["description"] == "Articles analysed, of 90"
    assert "Articles analysed: 90 of 90 (100%)" in record.logs


@pytest.mark.usefixtures("prefect_harness")
def test_the_artifact_is_updated_at_most_once_a_second_and_always_at_the_end(monkeypatch):
    # Each update is a call to the server: a run of 300 batches a few milliseconds apart must not make 300.
    sent: list[float] = []
    update = progress_module.update_progress_artifact

    def counted(artifact_id, progress):
        sent.append(progress)
        return update(artifact_id, progress)

    monkeypatch.setattr(progress_module, "update_progress_artifact", counted)
    pipe, _ = console(terminal=False)

    @flow
    def quick_batches() -> None:
        with RunProgress("Articles analysed", 300, console=pipe) as progress:
            for _ in range(300):
                progress.advance(1)
            time.sleep(progress_module.ARTIFACT_EVERY_SECONDS)
            progress.advance(0)

    state = quick_batches(return_state=True)

    assert state.is_completed()
    assert len(sent) <= 4 and sent[-2:] == [100.0, 100.0]
    [artifact] = [a for a in run_record(state.state_details.flow_run_id).artifacts if a["type"] == "progress"]
    assert artifact["data"] == 100.0


def test_the_bar_draws_on_the_console_of_prefect_s_log_handler_whose_theme_has_no_bar_styles(caplog):
    # Prefect's console handler themes its console with its own styles alone (inherit=False).
    stream = io.StringIO()
    themed = Console(file=stream, force_terminal=True, width=100, theme=Theme({"log.time": "cyan"}, inherit=False))
    caplog.set_level(logging.INFO, logger="flows.progress")

    run_batches(RunProgress("Articles analysed", 64, console=themed), batch=32)

    assert "64/64" in stream.getvalue()
    assert not caplog.records


def test_log_lines_printed_while_the_bar_is_drawn_come_above_it_not_glued_to_it():
    terminal, stream = console(terminal=True)
    with RunProgress("Articles analysed", 64, console=terminal) as progress:
        progress.advance(32)
        terminal.print("Task run 'extract_batch-e07' - Finished")
        progress.advance(32)
    shown = screen(stream.getvalue())
    assert shown[0] == "Task run 'extract_batch-e07' - Finished"
    assert re.fullmatch(r"Articles analysed ━+ 64/64 0:00:00", shown[1])


class HungUpTerminal(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")


def test_a_terminal_that_fails_loses_the_bar_not_the_run(caplog):
    broken = Console(file=HungUpTerminal(), force_terminal=True, width=100)
    caplog.set_level(logging.INFO, logger="flows.progress")

    run_batches(RunProgress("Articles analysed", 64, console=broken), batch=32)

    assert [record.getMessage() for record in caplog.records] == [
        "progress bar dropped: OSError",
        "Articles analysed: 32 of 64 (50%)",
        "Articles analysed: 64 of 64 (100%)",
    ]
