"""The digest, and the operator's alarm when a run fails; with secrets that must show nowhere."""

from __future__ import annotations

import logging
import re

import pytest
from prefect.blocks.system import Secret

from flows.digest import digest
from flows.monitor import monitor
from tests.conftest import Receiver, free_port
from tests.prefect_api import run_record

pytestmark = pytest.mark.usefixtures("prefect_harness")


def write_targets_file(workdir, *items: tuple[str, str]) -> None:
    """The built-in target for alerts (silent), and each (URL, tags)."""
    lines = ["version: 1", "urls:", "  - veille://:", "      tag: alerts", "      console: no"]
    lines += [f"  - {url}:\n      tag: {tags}" for url, tags in items]
    (workdir / "config" / "targets.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_digest_sums_up_the_last_day_for_the_targets_tagged_digest(workdir, receiver):
    receiver.start()
    write_targets_file(workdir, (receiver.url, "digest"))
    assert monitor(return_state=True).is_completed()
    assert receiver.received == [], "alerts do not go to a digest-only target"

    state = digest(return_state=True)

    assert state.is_completed(), state.message
    [message] = receiver.received
    assert message["title"] == "Veille digest: 2 alerts in the last 24 h"
    body = message["message"]
    assert "Alerts by entry: Deir ez-Zor (place) ×2, mortier (weapon) ×2" in body
    assert re.search(r"» \(folder:\S*seeds\): Deir ez-Zor, mortier, Raqqa, Hama\n", body), body
    assert "New articles: 2 (folder:" in body
    assert "Deliveries of these alerts: 2 sent" in body
    report = run_record(state.state_details.flow_run_id).artifact("digest")
    assert "Sent to 1 target." in report and "## Alerts (2)" in report


def test_a_target_that_fails_gets_the_retries_and_one_that_accepted_is_not_sent_twice(workdir, receiver):
    receiver.start()
    refusing = Receiver().start()
    refusing.status = 503
    try:
        write_targets_file(workdir, (receiver.url, "digest"), (refusing.url, "digest"))
        state = digest(return_state=True)
    finally:
        refusing.stop()

    assert state.is_failed()
    assert state.message.startswith(f"digest not delivered (json://127.0.0.1:{refusing.port}/****: ")
    assert state.message.endswith("; sent to 1 target")
    assert len(receiver.received) == 1, "the target that accepted got it once, through every retry"


def test_a_failed_run_tells_the_operator_and_no_secret_shows_anywhere(workdir, receiver, monkeypatch, caplog):
    """Tokens in VEILLE_NOTIFY_URLS and in a Prefect Secret block; the digest target is down."""
    receiver.start()
    dead = free_port()
    write_targets_file(workdir)
    monkeypatch.setenv("VEILLE_NOTIFY_URLS", f"digest=json://veille:canary-env-token@127.0.0.1:{dead}/hook")
    Secret(value=f"operator=json://veille:canary-block-token@127.0.0.1:{receiver.port}/hook").save(
        "veille-test-operator", overwrite=True
    )
    monkeypatch.setenv("VEILLE_NOTIFY_URLS_BLOCK", "veille-test-operator")

    with caplog.at_level(logging.DEBUG):
        state = digest(return_state=True)

    assert state.is_failed()
    assert f"json://****@127.0.0.1:{dead}/****" in state.message
    [alarm] = receiver.received
    record = run_record(state.state_details.flow_run_id)
    assert alarm["title"] == f"Veille: digest run {record.flow_run['name']} failed"
    assert f"/runs/flow-run/{record.flow_run['id']}" in alarm["message"] and "digest not delivered" in alarm["message"]
    places = {
        "flow run parameters": repr(record.flow_run["parameters"]),
        "flow run state": repr(record.flow_run["state"]),
        "logs": "\n".join(record.logs),
        "artifacts": "\n".join(str(a["data"]) for a in record.artifacts),
        "local log records": "\n".join(record.getMessage() for record in caplog.records),
        "operator's message": repr(alarm),
    }
    assert "digest not delivered" in places["logs"] or "send_digest" in places["logs"]
    assert "Sent to 0 targets; failed for 1" in places["artifacts"]
    for canary in ("canary-env-token", "canary-block-token"):
        leaks = [place for place, content in places.items() if canary in content]
        assert not leaks, f"{canary} in {leaks}"


def test_a_period_out_of_range_fails_the_run_with_the_range(workdir):
    state = digest(hours=0, return_state=True)

    assert state.is_failed()
    assert state.message == "hours must be between 1 and 720, not 0"
