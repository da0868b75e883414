"""The digest, and a monitor run that alerts, write the week's map to the data folder and name it in their
summary; a map that cannot be written costs a warning, never the run. Under Prefect's harness, after a
real monitor run over the seeds, on SQLite."""

from __future__ import annotations

import logging

import lxml.html
import pytest

from flows.digest import digest
from flows.monitor import monitor
from tests.conftest import run_monitor, write_targets
from tests.prefect_api import run_record

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.parametrize("workdir", ["sqlite"], indirect=True)]


def test_the_digest_writes_the_map_of_the_places_the_monitor_found(workdir):
    write_targets(workdir)
    run_monitor()
    path = workdir / "data" / "map.html"
    path.unlink()  # the monitor's: the digest writes its own
    state = digest(return_state=True)
    assert state.is_completed(), state.message
    page = path.read_text(encoding="utf-8")
    assert lxml.html.document_fromstring(page).xpath("//script[@src]") == []
    assert "Deir ez-Zor" in page and "L.circleMarker(" in page
    report = run_record(state.state_details.flow_run_id).artifact("digest")
    assert "- **Map**" in report and f"{path}" in report, "the map's path whole, to be copied"


def test_a_map_that_cannot_be_written_is_a_warning_and_the_digest_completes(workdir, caplog):
    write_targets(workdir)
    run_monitor()
    (workdir / "data" / "map.html").unlink()
    (workdir / "data" / "map.html").mkdir()  # a folder where the file goes
    with caplog.at_level(logging.WARNING):
        state = digest(return_state=True)
    assert state.is_completed(), state.message
    (warning,) = [r for r in caplog.records if "could not write the map" in r.getMessage()]
    assert str(workdir / "data" / "map.html") in warning.getMessage()
    report = run_record(state.state_details.flow_run_id).artifact("digest")
    assert "**Map**" not in report


def test_a_monitor_run_that_alerts_writes_the_map_and_one_with_nothing_new_names_it_still(workdir):
    write_targets(workdir)
    first = monitor(return_state=True)
    assert first.is_completed() and first.message.startswith("2 alerts"), first.message
    path = workdir / "data" / "map.html"
    assert "al-Boukamal" in path.read_text(encoding="utf-8"), "of the undated article, read now"
    assert f"{path}" in run_record(first.state_details.flow_run_id).artifact("monitor-summary")
    written = path.stat().st_mtime_ns
    second = monitor(return_state=True)
    assert second.is_completed() and second.message.startswith("0 alerts"), second.message
    assert path.stat().st_mtime_ns == written, "nothing new: the map is left as it was"
    assert f"{path}" in run_record(second.state_details.flow_run_id).artifact("monitor-summary")
