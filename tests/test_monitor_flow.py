"""The monitor flow under Prefect's test harness, with the real model, database and apprise."""

from __future__ import annotations

import logging

import pytest

from flows.monitor import monitor
from tests.conftest import read_alert_file, write_targets
from tests.seed_alerts import EXPECTED_SEED_ALERTS

pytestmark = pytest.mark.usefixtures("prefect_harness")

NAMES = {
    "deir-ez-zor": "Deir ez-Zor",
    "raqqa": "Raqqa",
    "hama": "Hama",
    "mortier": "mortier",
    "al-boukamal": "al-Boukamal",
    "kalibr": "Kalibr",
    "tu-22m3": "Tu-22M3",
    "kalachnikov": "Kalachnikov",
    "hummer": "Hummer",
}


def run(**parameters):
    state = monitor(return_state=True, **parameters)
    return state, (state.result(raise_on_failure=False) if state.is_completed() else None)


def alerted(alerts) -> set[tuple[str, str]]:
    """(file, entry name) of each entry of each alert."""
    return {(a.location.rsplit("/", 1)[-1], name) for a in alerts for name in a.entries}


def test_seeds_alert_once_then_nothing(workdir, receiver):
    receiver.start()
    write_targets(workdir, receiver.url)

    state, summary = run()

    assert state.is_completed(), state.message
    expected = {(file, NAMES[entry]) for file, entries in EXPECTED_SEED_ALERTS.items() for entry in entries}
    assert alerted(summary.alerts) >= expected
    assert (summary.new, summary.changed, summary.unchanged) == (2, 0, 0)
    assert summary.delivery.sent == 2 * len(summary.alerts)
    assert len(receiver.received) == len(summary.alerts) == len(read_alert_file(workdir))
    assert len(summary.alerts) == 2, "one message per article"
    kalibr = next(m for m in receiver.received if "Kalibr" in m["title"])
    assert "written «missiles Kalibr»" in kalibr["message"]
    assert "seeds/003_14110cf45b5c4781.txt" in kalibr["message"], "a file's path is inert text, its .txt kept"

    state, summary = run()

    assert state.is_completed()
    assert (summary.new, summary.unchanged, len(summary.alerts), summary.delivery.sent) == (0, 2, 0, 0)
    assert "alerts:        0 created (nothing new)" in summary.render()
    assert len(receiver.received) == len(read_alert_file(workdir))


def test_an_edited_article_alerts_only_for_what_it_did_not_have(workdir):
    article = workdir / "seeds" / "000_cb98e6dd4b5ccfbd.txt"
    run()
    article.write_text(
        article.read_text(encoding="utf-8") + "\nDes Kalachnikov ont été saisies à Hama.\n", encoding="utf-8"
    )

    _state, summary = run()

    assert (summary.changed, summary.unchanged) == (1, 1)
    assert alerted(summary.alerts) == {("000_cb98e6dd4b5ccfbd.txt", "Kalachnikov")}


def test_a_receiver_down_on_the_first_run_gets_each_alert_once_on_the_second(workdir, receiver):
    write_targets(workdir, receiver.url)

    _, first = run()
    assert first.delivery.sent == len(first.alerts), "the file target still works"
    assert first.delivery.retrying + first.delivery.deferred == len(first.alerts)
    assert receiver.received == []

    receiver.start()
    _, second = run()
    _, third = run()

    assert second.delivery.sent == len(first.alerts) and third.delivery.sent == 0
    titles = [message["title"] for message in receiver.received]
    assert len(titles) == len(set(titles)) == len(first.alerts)


def test_bad_files_are_logged_by_name_and_the_others_processed(workdir, caplog):
    seeds = workdir / "seeds"
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(300))
    (seeds / "undecodable.txt").write_bytes(b"Hama \x81\x8d\x8f\x90\x9d")

    with caplog.at_level(logging.ERROR):
        state, summary = run()

    assert state.is_completed()
    assert summary.new == 2
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    for name in ("empty.txt", "binary.txt", "undecodable.txt"):
        assert sum(name in message for message in errors) == 1, errors
    assert {e.item.rsplit("/", 1)[-1] for e in summary.read_errors} == {"empty.txt", "binary.txt", "undecodable.txt"}


def test_file_names_cannot_forge_a_log_line_or_a_terminal_sequence(workdir, caplog):
    seeds = workdir / "seeds"
    (seeds / "x\nSource: forged\x1b[2J.txt").write_text("Des tirs à Hama.", encoding="utf-8")
    (seeds / "empty\n    ! forged\x1b]0;title\x07.txt").write_bytes(b"")

    with caplog.at_level(logging.INFO):
        state, summary = run()

    assert state.is_completed()
    # An article's location is cleaned at the edge (one line, no control character) ...
    assert any(alert.location.endswith("x Source: forged[2J.txt") for alert in summary.alerts)
    messages = [record.getMessage() for record in caplog.records]
    assert not [message for message in messages if "\x1b" in message or "\x07" in message]
    lines = [line.strip() for message in messages for line in message.split("\n")]
    assert not [line for line in lines if line.startswith(("Source: forged", "! forged"))]
    # ... and the name of a file that is no article, logged as it is, is shown escaped.
    assert any("empty\\n    ! forged\\x1b]0;title\\x07.txt" in line for line in lines), "shown escaped"


@pytest.mark.parametrize(
    ("file", "content", "expected"),
    [
        (
            "watchlist.yaml",
            "entries:\n  - id: hama\n    kind: city\n    name: Hama\n",
            "watchlist.yaml:3:5: entries[0].kind: Input should be 'place' or 'weapon'",
        ),
        (
            "targets.yaml",
            "version: 1\nurls:\n  - notaschema://x\n",
            "targets.yaml:3:5: urls[0]: not a URL apprise can use",
        ),
    ],
)
def test_a_malformed_config_file_stops_the_run_before_any_work(workdir, file, content, expected):
    (workdir / "config" / file).write_text(content, encoding="utf-8")

    state, _ = run()

    assert state.is_failed()
    assert expected in state.message
    assert not (workdir / "data").exists(), "no database, no alert file: nothing was done"


def test_a_run_can_read_only_the_named_sources(workdir):
    extra = workdir / "more"
    extra.mkdir()
    (extra / "kalibr.txt").write_text("Des missiles Kalibr ont été tirés vers Palmyre.\n", encoding="utf-8")
    (workdir / "config" / "sources.yaml").write_text(
        f"folders:\n  - path: {workdir / 'seeds'}\n  - path: {extra}\n", encoding="utf-8"
    )

    state, summary = run(sources=[f"folder:{extra}"])
    assert state.is_completed(), state.message
    assert alerted(summary.alerts) == {("kalibr.txt", "Kalibr"), ("kalibr.txt", "Palmyre")}

    state, _ = run(sources=["feed:nope"])
    assert state.is_failed()
    assert state.message.startswith("sources: 'feed:nope' not in ") and f"folder:{extra}" in state.message


def test_alerts_go_out_while_the_model_reads_each_once(workdir, receiver, monkeypatch):
    # Every part recorded is followed by a pass over the outbox (at most every 2 s in a run; every part here):
    # the first articles' alerts reach their targets before the last ones are even recorded.
    from sqlalchemy import func, select

    import flows.monitor
    from veille.settings import load_settings
    from veille.store.models import DeliveryRow
    from veille.store.sql import SqlStore

    monkeypatch.setattr(flows.monitor, "_DELIVER_EVERY_SECONDS", 0.0)
    monkeypatch.setenv("VEILLE_BATCH_SIZE", "2")
    monkeypatch.setenv("VEILLE_EXTRACT_PROCESSES", "1")  # a part per batch: 4 parts
    places = ["Hama", "Raqqa", "Deir ez-Zor", "Alep", "Homs", "Idleb"]
    for number, place in enumerate(places):
        (workdir / "seeds" / f"1{number}.txt").write_text(
            f"Dépêche {number}. Des tirs de mortier ont visé {place} dans la nuit de mardi, selon un témoin "
            f"joint par téléphone, qui a compté {number + 3} blessés parmi les civils du quartier.\n",
            encoding="utf-8",
        )
    receiver.start()
    write_targets(workdir, receiver.url)

    state, summary = run()

    assert state.is_completed(), state.message
    titles = [message["title"] for message in receiver.received]
    assert len(titles) == len(set(titles)) == len(summary.alerts) >= len(places)
    assert summary.delivery.sent == 2 * len(summary.alerts)
    store = SqlStore.open(load_settings().database_url_value)
    try:
        with store.engine.connect() as connection:
            first_sent = connection.scalar(select(func.min(DeliveryRow.sent_at)))
            last_made = connection.scalar(select(func.max(DeliveryRow.created_at)))
            unsent = connection.scalar(select(func.count()).where(DeliveryRow.status != "sent"))
    finally:
        store.close()
    assert first_sent < last_made, "the first alerts waited for the last batch"
    assert unsent == 0
