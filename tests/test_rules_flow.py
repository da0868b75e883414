"""Rule kinds and the baseline through the real pipeline: real model, real database, a fixed clock.

Each run is one monitor run under Prefect's harness with VEILLE_NOW set: the rules see the
articles' dates as the day the run "happened", so months of history take a few seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import read_alert_file, run_monitor, write_sources
from tests.feedserver import RSS, Reply, rss

pytestmark = pytest.mark.usefixtures("prefect_harness")

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def rules(workdir, monkeypatch):
    """Write config/rules.yaml and point Veille at it; the seeds are moved away (each test writes its own)."""
    for seed in (workdir / "seeds").iterdir():
        seed.unlink()

    def write(text: str) -> None:
        path = workdir / "config" / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("VEILLE_RULES_FILE", str(path))

    return write


def run_at(monkeypatch, moment: datetime):
    monkeypatch.setenv("VEILLE_NOW", moment.isoformat())
    return run_monitor()


def drop(workdir, name: str, text: str) -> None:
    (workdir / "seeds" / f"{name}.txt").write_text(text, encoding="utf-8")


def fired(workdir, rule_id: str) -> list[str]:
    """Why `rule_id` fired, for every entry of every alert the built-in target wrote."""
    prefix = f"  Rule {rule_id}: "
    return [
        line.removeprefix(prefix)
        for alert in read_alert_file(workdir)
        for line in alert["body"].splitlines()
        if line.startswith(prefix)
    ]


def rules_of(summary) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [(alert.entries, alert.rules) for alert in summary.alerts]


def test_first_seen_fires_on_a_first_mention_and_when_back_after_quiet_days_only(workdir, rules, monkeypatch):
    rules("rules:\n  - id: back\n    kind: first_seen\n    entries: {kinds: [place]}\n    quiet_days: 30\n")

    drop(workdir, "a", "Des combats ont eu lieu à Hama hier soir, selon des habitants.")
    first = run_at(monkeypatch, T0)
    drop(workdir, "b", "Un convoi humanitaire est arrivé à Hama dans la matinée, après trois jours.")
    soon = run_at(monkeypatch, T0 + timedelta(days=10))
    drop(workdir, "c", "Les frappes ont repris sur Hama, a indiqué un responsable local à la presse.")
    later = run_at(monkeypatch, T0 + timedelta(days=104))

    assert rules_of(first) == [(("Hama",), ("back",))]
    assert soon.alerts == [], "seen 10 days ago: not back in the news"
    assert rules_of(later) == [(("Hama",), ("back",))]
    body = later.alerts and read_alert_file(workdir)[-1]["body"]
    assert "back: back in the news after 94 days" in body


def test_co_occurrence_fires_on_a_weapon_and_a_place_in_one_sentence_not_apart(workdir, rules, monkeypatch):
    rules(
        "rules:\n  - id: strike\n    kind: co_occurrence\n    severity: high\n"
        "    entries: {kinds: [weapon]}\n    with_entries: {kinds: [place]}\n"
    )
    drop(workdir, "together", "Des missiles Kalibr ont frappé Deir ez-Zor dans la nuit de mardi.")
    drop(workdir, "apart", "Des tirs de mortier ont été entendus. Le lendemain, Hama était calme.")

    summary = run_at(monkeypatch, T0)

    assert rules_of(summary) == [(("Kalibr", "Deir ez-Zor"), ("strike",))]
    (line,) = read_alert_file(workdir)
    assert line["title"].startswith("Veille [high]: Kalibr, Deir ez-Zor in")
    assert "strike: with Deir ez-Zor in one sentence" in line["body"]
    assert "strike: with Kalibr in one sentence" in line["body"]


def test_a_spike_fires_once_on_a_burst_and_stays_silent_on_the_usual_trickle(workdir, rules, monkeypatch):
    rules(
        "rules:\n  - id: surge\n    kind: spike\n    entries: {ids: [raqqa]}\n"
        "    window_hours: 24\n    baseline_days: 28\n"
    )
    # Seven different stories, one every four days (0.25 a day), then a burst of six in one day. Each
    # text is its own (copies of one text would be one story, which a spike does not count twice).
    news = ["calme", "tendue", "incertaine", "difficile", "apaisée", "confuse", "grave"]
    trickle = []
    for day, word in zip(range(28, 0, -4), news, strict=True):
        # "en Syrie": a place in a text with no word of the region or of war would be held as doubtful.
        drop(workdir, f"t{day}", f"La situation reste {word} à Raqqa, en Syrie.")
        trickle.append(run_at(monkeypatch, T0 - timedelta(days=day)))
    events = ["explosions", "tirs", "frappes", "combats", "incendies", "arrestations"]
    for number, event in enumerate(events):
        drop(workdir, f"b{number}", f"Des {event} à Raqqa, en Syrie.")
    burst = run_at(monkeypatch, T0)

    assert all(summary.alerts == [] for summary in trickle), "the usual trickle never spikes"
    assert len(burst.alerts) == 1, "one spike alert for the burst, not one per article"
    (why,) = fired(workdir, "surge")
    # The statistic's values, shown: against 0.25 a day (floored to 0.5 a day), 3 and 4 stories in a day
    # are not improbable enough (p = 0.014, 0.0018); the fifth is (p = 0.00017 <= 0.001).
    assert why == "5 stories in 24 h, usual 0.25/day (p = 0.0002)", why
    print(why)


def test_a_new_feed_s_backlog_sends_nothing_and_its_next_new_entry_alerts(workdir, feed_server, monkeypatch):
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")
    # Five different old reports (copies of one text would be one story, held once).
    news = ["combats à Hama", "tirs de mortier près de Hama", "Hama sous les obus de mortier", "Hama", "Hama"]
    backlog = [(f"old{n}", f"Archive {n}", f"{text}, {'en ' * n}mortier") for n, text in enumerate(news)]
    feed_server.routes["/feed"] = Reply(200, rss(*backlog), RSS)
    write_sources(workdir, [{"name": "agence", "url": feed_server.url("/feed"), "baseline": "true"}])

    first = run_monitor()

    assert first.alerts == [] and read_alert_file(workdir) == []
    assert len(first.held) == 10, "two entries in each of five old articles, recorded and held"
    assert "10 mentions held (baseline)" in first.headline()

    fresh = ("new1", "Urgent", "Des missiles Kalibr ont visé Hama dans la nuit, selon un communiqué.")
    feed_server.routes["/feed"] = Reply(200, rss(fresh, *backlog), RSS)
    second = run_monitor()

    assert [alert.entries for alert in second.alerts] == [("Kalibr", "Hama")]
    assert second.held == []


def test_the_baseline_option_holds_any_source_and_a_folder_alerts_by_default(workdir, rules, monkeypatch):
    from flows.monitor import monitor

    rules("rules:\n  - id: mention\n    kind: mention\n")
    drop(workdir, "a", "Des combats ont eu lieu à Hama hier soir, selon des habitants.")
    state = monitor(baseline=True, return_state=True)
    assert state.is_completed() and state.result().alerts == []
    assert "1 mention held (baseline)" in state.message

    drop(workdir, "b", "Un convoi est arrivé à Raqqa dans la matinée, après trois jours de route.")
    summary = run_monitor()
    assert [alert.entries for alert in summary.alerts] == [("Raqqa",)]
