"""The pre-filter and the model's processes in the monitor flow: the same alerts as the model on everything."""

from __future__ import annotations

import pytest

from bench.corpus import news_stream, write_stream
from flows.monitor import monitor

pytestmark = pytest.mark.usefixtures("prefect_harness")


def alerts_of(workdir, monkeypatch, data: str, **environ: str):
    monkeypatch.setenv("VEILLE_DATA_DIR", str(workdir / data))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    state = monitor(return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    return {(a.location.rsplit("/", 1)[-1], tuple(a.entries)) for a in summary.alerts}, summary


@pytest.mark.parametrize("workdir", ["sqlite"], indirect=True)
def test_the_monitor_alerts_the_same_with_the_prefilter_and_two_processes(workdir, monkeypatch):
    stream = write_stream(workdir / "stream", news_stream(48, 0.3))
    (workdir / "config" / "sources.yaml").write_text(
        f"folders:\n  - path: {workdir / 'seeds'}\n  - path: {stream}\n", encoding="utf-8"
    )
    # Small batches, so that 48 articles are batches enough for two processes.
    monkeypatch.setenv("VEILLE_BATCH_SIZE", "4")

    quick, summary = alerts_of(workdir, monkeypatch, "data-quick", VEILLE_EXTRACT_PROCESSES="2")
    everything, full = alerts_of(
        workdir, monkeypatch, "data-full", VEILLE_PREFILTER="false", VEILLE_EXTRACT_PROCESSES="1"
    )

    assert quick == everything
    assert len(quick) >= 8
    assert summary.skipped_by_prefilter >= 25 and full.skipped_by_prefilter == 0
    assert summary.read_by_model + summary.skipped_by_prefilter == 50
    assert f"in {summary.read_by_model} articles ({summary.skipped_by_prefilter} with no watched name skipped)" in (
        summary.render()
    )
    assert full.place_entities > summary.place_entities, "the places of skipped articles are not looked for"
