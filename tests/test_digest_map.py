"""The digest writes the week's map to the data folder after its run; a map it cannot write costs a warning,
never the digest. Under Prefect's harness, after a real monitor run over the seeds, on SQLite."""

from __future__ import annotations

import logging

import lxml.html
import pytest

from flows.digest import digest
from tests.conftest import run_monitor, write_targets
from tests.prefect_api import run_record

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.parametrize("workdir", ["sqlite"], indirect=True)]


def test_the_digest_writes_the_map_of_the_places_the_monitor_found(workdir):
    write_targets(workdir)
    run_monitor()
    state = digest(return_state=True)
    assert state.is_completed(), state.message
    path = workdir / "data" / "map.html"
    page = path.read_text(encoding="utf-8")
    assert lxml.html.document_fromstring(page).xpath("//script[@src]") == []
    assert "Deir ez-Zor" in page and "L.circleMarker(" in page
    report = run_record(state.state_details.flow_run_id).artifact("digest")
    assert f"Map of the places mentioned in the last 7 days: `{path}`" in report


def test_a_map_that_cannot_be_written_is_a_warning_and_the_digest_completes(workdir, caplog):
    write_targets(workdir)
    run_monitor()
    (workdir / "data" / "map.html").mkdir(parents=True)  # a folder where the file goes
    with caplog.at_level(logging.WARNING):
        state = digest(return_state=True)
    assert state.is_completed(), state.message
    (warning,) = [r for r in caplog.records if "could not write the map" in r.getMessage()]
    assert str(workdir / "data" / "map.html") in warning.getMessage()
    report = run_record(state.state_details.flow_run_id).artifact("digest")
    assert "Map of the places" not in report
