"""The monitor flow over feeds served on 127.0.0.1, under Prefect's test harness."""

from __future__ import annotations

import time

import pytest

from flows.monitor import monitor
from tests.conftest import run_monitor, write_sources
from tests.feedserver import RSS, Reply, rss
from tests.prefect_api import task_run_count
from tests.wire import COPIES, OTHER_STORY_SAME_PLACE
from veille.records import SourceOutcome
from veille.settings import load_settings
from veille.store.sql import SqlStore

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(autouse=True)
def allow_the_feed_server(workdir, monkeypatch):
    """The feed server listens on 127.0.0.1, which Veille refuses unless told (after workdir's clean slate)."""
    monkeypatch.setenv("VEILLE_FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")


def with_etag(body: bytes):
    """A feed route that answers 304 to a request carrying its ETag."""

    def feed(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(200, body, {**RSS, "ETag": '"v1"'})

    return feed


def health(name: str):
    store = SqlStore.open(load_settings().database_url_value)
    try:
        (row,) = store.source_health([name])
        return row
    finally:
        store.close()


def test_one_story_in_three_sources_is_one_alert_naming_three_sources(workdir, feed_server):
    for number, text in enumerate(COPIES, start=1):
        feed_server.routes[f"/outlet{number}"] = Reply(200, rss((f"o{number}-1", "Frappes russes", text)), RSS)
    feed_server.routes["/outlet4"] = Reply(200, rss(("o4-1", "Le siège de Deir ez-Zor", OTHER_STORY_SAME_PLACE)), RSS)
    write_sources(workdir, [{"name": f"outlet{n}", "url": feed_server.url(f"/outlet{n}")} for n in range(1, 5)])

    summary = run_monitor()

    tu22 = [a for a in summary.alerts if "Tu-22M3" in a.entries]
    assert len(tu22) == 1 and tu22[0].sources == 3
    deir = [a for a in summary.alerts if "Deir ez-Zor" in a.entries]
    assert len(deir) == 2, "two different stories about the same place stay two"
    assert sorted(a.sources for a in deir) == [1, 3]
    alert_lines = (workdir / "data" / "alerts.jsonl").read_text(encoding="utf-8")
    assert "Carried by 3 sources: feed:outlet1, feed:outlet2, feed:outlet3" in alert_lines

    # A fourth copy, in a new outlet, later: it joins the story and alerts for nothing.
    feed_server.routes["/outlet5"] = Reply(200, rss(("o5-1", "Frappes", COPIES[1] + " Mise à jour.")), RSS)
    write_sources(workdir, [{"name": f"outlet{n}", "url": feed_server.url(f"/outlet{n}")} for n in range(1, 6)])
    later = run_monitor()
    assert later.new == 1 and later.alerts == []


def test_an_unchanged_feed_costs_a_304_and_no_work(workdir, feed_server):
    body = rss(("1", "Hama", "Des tirs de mortier ont visé Hama dans la nuit, selon des témoins sur place."))
    feed_server.routes["/feed"] = with_etag(body)
    write_sources(workdir, [{"name": "agence", "url": feed_server.url("/feed")}])

    first, second = run_monitor(), run_monitor()

    assert first.new == 1 and [a.entries for a in first.alerts] == [("Hama", "mortier")]
    assert (
        second.new == 0
        and second.unchanged == 0
        and [b.outcome for b in second.batches] == [SourceOutcome.NOT_MODIFIED]
    )
    assert "feed:agence: not modified" in second.render()
    assert feed_server.hits("/feed")[1].headers["if-none-match"] == '"v1"'
    assert health("feed:agence").entries == 1


def test_a_failing_feed_is_reported_and_the_others_go_on(workdir, feed_server):
    feed_server.routes["/ok"] = Reply(200, rss(("1", "Raqqa", "Des combats ont repris à Raqqa ce matin.")), RSS)
    feed_server.routes["/down"] = Reply(503, b"unavailable")
    feed_server.routes["/html"] = Reply(200, b"<html><body>Accueil</body></html>", {"Content-Type": "text/html"})
    feed_server.routes["/cut"] = Reply(200, rss(("c1", "Alep", "Des tirs à Alep hier soir."))[:-30], RSS)
    write_sources(
        workdir,
        [
            {"name": "ok", "url": feed_server.url("/ok")},
            {"name": "down", "url": feed_server.url("/down")},
            {"name": "html", "url": feed_server.url("/html")},
            {"name": "cut", "url": feed_server.url("/cut")},
        ],
    )

    run_monitor()
    summary = run_monitor()

    text = summary.render()
    assert "feed:down: FAILED: HTTP 503 Service Unavailable (after 3 attempts), 2 failures in a row" in text
    assert "feed:html: FAILED: not a feed (text/html)" in text
    down = health("feed:down")
    assert down.consecutive_failures == 2 and down.last_success_at is None
    ok = health("feed:ok")
    assert ok.consecutive_failures == 0 and ok.last_success_at is not None and ok.entries == 1
    cut = health("feed:cut")
    assert cut.last_warning.startswith("malformed feed") and cut.entries == 1 and cut.consecutive_failures == 0
    assert "feed:cut: 1 entry, 0 new (warning: malformed feed" in text


def test_full_text_comes_from_the_linked_page(workdir, feed_server):
    page = (
        "<html><head><title>x</title><script>var a=1;</script></head><body><nav>Accueil Monde</nav><article>"
        "<h1>Frappes russes</h1><p>"
        + "Les frappes se poursuivent dans la région, selon plusieurs sources. " * 8
        + "</p><p>Des renforts sont arrivés de Palmyre dans la soirée.</p></article></body></html>"
    )
    feed_server.routes["/page"] = Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    feed_server.routes["/feed"] = Reply(
        200,
        (
            '<rss version="2.0"><channel><title>t</title><item><guid isPermaLink="false">p1</guid>'
            f"<title>Frappes russes</title><link>{feed_server.url('/page')}</link>"
            "<description>Les frappes se poursuivent.</description></item>"
            '<item><guid isPermaLink="false">p2</guid><title>Lien mort</title>'
            f"<link>{feed_server.url('/missing')}</link><description>Tirs de mortier à Hama.</description></item>"
            "</channel></rss>"
        ).encode(),
        RSS,
    )
    write_sources(workdir, [{"name": "presse", "url": feed_server.url("/feed"), "full_text": "true"}])

    summary = run_monitor()

    found = {name for a in summary.alerts for name in a.entries}
    assert "Palmyre" in found, "found only in the page's text"
    assert {"Hama", "mortier"} <= found, "a page that cannot be fetched falls back to the feed's text"
    assert "<script" not in (workdir / "data" / "alerts.jsonl").read_text(encoding="utf-8")


def test_a_feed_is_not_fetched_again_before_its_poll_interval(workdir, feed_server):
    feed_server.routes["/slow-news"] = Reply(200, rss(("1", "t", "Des tirs à Alep.")), RSS)
    write_sources(workdir, [{"name": "hebdo", "url": feed_server.url("/slow-news"), "poll_minutes": 60}])
    run_monitor()
    second = run_monitor()
    assert [b.outcome for b in second.batches] == [SourceOutcome.NOT_DUE]
    assert len(feed_server.hits("/slow-news")) == 1
    assert "feed:hebdo: not due (poll interval)" in second.render()


def test_a_run_that_fails_after_fetching_loses_no_entry(workdir, feed_server, monkeypatch):
    body = rss(("1", "Hama", "Des tirs de mortier ont visé Hama dans la nuit, selon des témoins sur place."))
    feed_server.routes["/feed"] = with_etag(body)
    write_sources(workdir, [{"name": "agence", "url": feed_server.url("/feed")}])
    monkeypatch.setenv("VEILLE_SPACY_MODEL", "xx_not_installed")  # the run fails after fetching, before recording

    failed = monitor(return_state=True)
    assert failed.is_failed() and "xx_not_installed" in failed.message

    monkeypatch.delenv("VEILLE_SPACY_MODEL")
    summary = run_monitor()
    assert summary.new == 1, "the feed's validators were kept from the failed run: its entry would be lost"
    assert {name for a in summary.alerts for name in a.entries} == {"Hama", "mortier"}


def test_three_hundred_feeds_take_a_few_task_runs_and_a_hanging_one_fails_only_itself(
    workdir, feed_server, monkeypatch
):
    monkeypatch.setattr("flows.monitor.FEEDS_PER_TASK", 100)
    monkeypatch.setenv("VEILLE_NETWORK_TASK_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("VEILLE_FETCH_PER_HOST", "4")
    for n in range(300):
        feed_server.routes[f"/f{n}"] = with_etag(rss((f"f{n}-1", f"Dépêche {n}", "Le conseil municipal a voté.")))
    feed_server.routes["/hanging"] = Reply(200, rss(("h1", "Jamais", "Jamais lu.")), RSS, delay=20)
    feeds = [{"name": f"f{n}", "url": feed_server.url(f"/f{n}")} for n in range(300)]
    feeds.insert(150, {"name": "hanging", "url": feed_server.url("/hanging")})
    write_sources(workdir, feeds)

    started = time.monotonic()
    state = monitor(return_state=True)
    elapsed = time.monotonic() - started

    assert state.is_completed(), state.message
    summary = state.result()
    assert task_run_count(state.state_details.flow_run_id, "fetch_feeds") == 4, "301 feeds in chunks of 100"
    outcomes = {batch.source: batch for batch in summary.batches}
    assert outcomes["feed:hanging"].outcome is SourceOutcome.FAILED
    assert "its fetch_feeds task took longer than its 3 s timeout" in (outcomes["feed:hanging"].problem or "")
    assert sum(batch.outcome is SourceOutcome.READ for batch in summary.batches) == 300
    assert feed_server.most_in_flight <= 4, "the per-host limit"
    assert elapsed < 60, "the hanging feed waited for, not cut at its chunk's timeout"
    store = SqlStore.open(load_settings().database_url_value)
    try:
        recorded = {row.name: row for row in store.source_health([f"feed:{feed['name']}" for feed in feeds])}
    finally:
        store.close()
    assert len(recorded) == 301, "every feed's health recorded"
    assert all(row.last_success_at is not None for name, row in recorded.items() if name != "feed:hanging")
    assert recorded["feed:hanging"].last_error and recorded["feed:hanging"].last_success_at is None

    again = run_monitor()
    assert sum(batch.outcome is SourceOutcome.NOT_MODIFIED for batch in again.batches) == 300, "validators kept"


def test_a_chunk_whose_task_fails_fails_each_of_its_feeds_by_name_and_not_the_run():
    from prefect import flow, task

    from flows.monitor import _feed_batches

    @task
    def broken_chunk() -> list:
        raise RuntimeError("the worker died")

    @flow
    def reading() -> list:
        return _feed_batches(["feed:a", "feed:b"], broken_chunk.submit())

    batches = reading()

    assert [(batch.source, batch.outcome) for batch in batches] == [
        ("feed:a", SourceOutcome.FAILED),
        ("feed:b", SourceOutcome.FAILED),
    ]
    problem = batches[0].problem or ""
    assert problem.startswith("its fetch_feeds task ended") and "the worker died" in problem
