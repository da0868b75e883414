"""`make operate` end to end, in a real browser, on the UI Prefect opens by default: the README's third
command, as a user meets it.

`python -m flows.operate` starts a Prefect server and serves the deployments. A slow monitor run
(a feed that takes its time to answer) is started through the API; while it runs, Debian's Chromium,
driven by Playwright, opens `/` (Prefect 3.8.8's V2 UI, under /v2/, for a browser with no saved
preference) and starts a custom monitor run from the deployment's page. That run waits for the slow
one (AwaitingConcurrencySlot), then reads a feed and alerts a receiver on 127.0.0.1; its summary
artifact is read at 1280 px. Screenshots of each step go to test-artifacts/ui/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CONFIG, ROOT, Receiver, free_port
from tests.feedserver import RSS, FeedServer, Reply, rss

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "test-artifacts" / "ui"
ARTICLE = "Des fusils Kalachnikov ont été saisis dans un dépôt d'armes près de Hama, a annoncé l'armée syrienne mardi."
ARTICLE_URL = "http://example.org/hama-1"  # tests.feedserver.rss links an item to example.org/<guid>
# How long the slow feed takes to answer: the slow run holds the deployment for that long, in which the
# browser starts its run.
SLOW_FEED_SECONDS = 20


def browser_or_skip():
    """Playwright and the system Chromium, or a skip with the reason (a failure in CI, which has both)."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is not installed (make test installs it)"
    if problem is None and not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI must run the browser test")
        pytest.skip(problem)
    return sync_playwright


@pytest.fixture
def feeds():
    """A news feed with one article about Hama, and a slow one that takes SLOW_FEED_SECONDS to answer."""
    server = FeedServer()
    server.routes["/news"] = Reply(200, rss(("hama-1", "Saisie d'armes près de Hama", ARTICLE)), RSS)
    server.routes["/slow"] = Reply(200, rss(title="Flux lent"), RSS, delay=SLOW_FEED_SECONDS)
    yield server
    server.close()


@pytest.fixture
def project(tmp_path, feeds):
    """A project folder: the shipped config, an empty inbox and the two feeds as its sources."""
    shutil.copytree(CONFIG, tmp_path / "config")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "config" / "sources.yaml").write_text(
        "folders:\n  - path: inbox\n"
        "feeds:\n"
        f"  - name: news\n    url: {feeds.url('/news')}\n    baseline: false\n"
        # Read once an hour at most: the run that follows the slow one does not wait for it again.
        f"  - name: slow\n    url: {feeds.url('/slow')}\n    poll_minutes: 60\n",
        encoding="utf-8",
    )
    # The monitor's cron never fires during the test (01:03 on 1 January), so that no scheduled run
    # holds the deployment when the test's runs start; the scheduler still has to create its runs.
    (tmp_path / "config" / "schedules.yaml").write_text(
        "timezone: Europe/Paris\nmonitor:\n  cron: '3 1 1 1 *'\ndigest:\n  cron: '30 6 * * 1-5'\n", encoding="utf-8"
    )
    return tmp_path


@pytest.fixture
def operate(project):
    """`python -m flows.operate` on a free port; stopped with SIGINT, as Ctrl-C does."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VEILLE_", "PREFECT_"))} | {
        "PYTHONPATH": str(ROOT),
        "PREFECT_HOME": str(project / "prefect-home"),
        "VEILLE_FETCH_ALLOWED_NETWORKS": "127.0.0.1/32",  # the feed server
        "VEILLE_FETCH_TIMEOUT_SECONDS": str(SLOW_FEED_SECONDS * 3),
        # Served deployments look for work every 2 s instead of 10; the scheduler loops every 2 s; a run
        # waiting for the deployment's slot asks again every 2 s instead of 30.
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "2",
    }
    log = (project / "operate.log").open("w")
    project.joinpath(".started").write_text(str(time.monotonic()))
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.operate", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, port, project / "operate.log"
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)
    log.close()


def wait_for(what: str, check, timeout: float = 120, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout} s" + (f"; operate's output:\n{log.read_text()[-3000:]}" if log else ""))


def test_a_run_started_from_the_default_ui_during_another_waits_for_it_then_alerts(project, operate):
    sync_playwright = browser_or_skip()
    receiver = Receiver().start()
    try:
        targets = project / "config" / "targets.yaml"
        targets.write_text(
            targets.read_text(encoding="utf-8") + f"  - {receiver.url}:\n      tag: alerts\n", encoding="utf-8"
        )
        process, port, log = operate
        base, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/api"

        started = float((project / ".started").read_text())
        wait_for("the server", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, log=log)
        healthy = time.monotonic() - started
        deployments = wait_for("the four deployments served", lambda: _deployments(api, 4), log=log)
        served = time.monotonic() - started
        monitor = deployments["monitor"]
        [schedule] = monitor["schedules"]
        assert schedule["schedule"]["cron"] == "3 1 1 1 *" and schedule["schedule"]["timezone"] == "Europe/Paris"
        assert deployments["digest"]["schedules"][0]["schedule"]["cron"] == "30 6 * * 1-5"
        assert deployments["replay"]["schedules"] == [] and deployments["release"]["schedules"] == []
        # The scheduler turns the cron into runs (a broken scheduler shows a fine UI and no runs).
        scheduled = wait_for("the scheduler's runs of monitor", lambda: _scheduled_runs(api, monitor["id"]), log=log)
        assert scheduled[0]["expected_start_time"].endswith("T00:03:00Z"), "01:03 in Paris in January is 00:03 UTC"

        slow = httpx.post(
            f"{api}/deployments/{monitor['id']}/create_flow_run", json={"parameters": {"sources": ["slow"]}}
        ).json()
        wait_for(
            "the slow run to take the deployment", lambda: _state(api, slow["id"]) in {"PENDING", "RUNNING"}, log=log
        )
        clicked = time.monotonic()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                try:
                    run = start_custom_run_from_the_ui(page, base)
                    assert _state(api, slow["id"]) in {"PENDING", "RUNNING"}, (
                        "the slow run was over: nothing to wait for"
                    )
                    links = follow_the_run_to_its_summary(page, base, run["id"])
                except Exception:
                    page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
                    raise
            finally:
                browser.close()

        states = [
            state["name"] for state in httpx.get(f"{api}/flow_run_states/", params={"flow_run_id": run["id"]}).json()
        ]
        assert "AwaitingConcurrencySlot" in states, f"the run started while another was running waited: {states}"
        assert _state(api, slow["id"]) == "COMPLETED"
        wait_for("the alert at the receiver", lambda: len(receiver.received) >= 1, timeout=60, log=log)
        titles = [message["title"].split(" in ")[0] for message in receiver.received]
        assert titles == ["Veille: Hama, Kalachnikov"], "one message for the article, naming both"
        final = httpx.get(f"{api}/flow_runs/{run['id']}").json()
        # One alert, to the built-in target and to the receiver.
        assert final["state"]["type"] == "COMPLETED" and final["state"]["message"] == "1 alert, 2 sent"

        completed = time.monotonic() - clicked
        stopping = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=90) == 0, log.read_text()[-3000:]
        print(
            f"\nmake operate: server healthy after {healthy:.1f} s, deployments served after {served:.1f} s; "
            f"browser to completed run (behind a {SLOW_FEED_SECONDS} s run) with its alerts: {completed:.1f} s; "
            f"stopped {time.monotonic() - stopping:.1f} s after SIGINT"
        )
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{api}/health", timeout=2)
        # Last, so that all the rest is checked whatever the report's layout: the alert links to its article.
        assert ARTICLE_URL in links, f"the summary's alert links to its article; its links: {links}"
    finally:
        receiver.stop()


def start_custom_run_from_the_ui(page, base: str) -> dict:
    """/ → Deployments → monitor → Run → Custom run → Submit, as the sources configure it; screenshots."""
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_default_timeout(30_000)
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(r"/v2/"))  # Prefect's default UI, for a browser with no saved preference
    page.get_by_role("link", name="Deployments", exact=True).first.click()
    # The flow's link beside it has the same text; the deployment's points to /v2/deployments/deployment/.
    page.locator('a[href^="/v2/deployments/deployment/"]', has_text=re.compile(r"^monitor$")).first.click()
    page.wait_for_url(re.compile(r"/v2/deployments/deployment/[0-9a-f-]{36}"))
    expect(page.get_by_text(re.compile(r"01:03 AM.*January")).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "deployment.png"), full_page=True)

    page.get_by_role("button", name="Run", exact=True).click()  # exact: the sidebar's "Runs" matches otherwise
    page.get_by_role("menuitem", name="Custom run", exact=True).click()
    page.wait_for_url(re.compile(r"/v2/deployments/deployment/[0-9a-f-]{36}/run"))
    # The docstring's descriptions show in the form.
    expect(page.get_by_text(re.compile(r"^Read only this folder of \.txt articles"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Read only these sources of config/sources\.yaml"))).to_be_visible()
    page.screenshot(path=str(SHOTS / "custom-run-form.png"), full_page=True)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/create_flow_run")) as made:
        page.get_by_role("button", name="Submit", exact=True).click()
    assert made.value.status == 201
    return made.value.json()


def follow_the_run_to_its_summary(page, base: str, run_id: str) -> list[str]:
    """The run page while it waits, then Completed; its summary artifact at 1280 px, and its links out;
    screenshots."""
    from playwright.sync_api import expect

    # The page shows the state it loaded with: each is awaited through the API, then the page loaded.
    api = f"{base}/api"
    wait_for("the run to wait for the slow one", lambda: _state_name(api, run_id) == "AwaitingConcurrencySlot")
    page.goto(f"{base}/v2/runs/flow-run/{run_id}")
    expect(page.get_by_text("AwaitingConcurrencySlot", exact=True).first).to_be_visible()
    page.screenshot(path=str(SHOTS / "waiting-run.png"), full_page=True)
    wait_for("the run to complete", lambda: _state(api, run_id) == "COMPLETED", timeout=180)
    page.reload()
    expect(page.get_by_text("Completed", exact=True).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "completed-run.png"), full_page=True)

    page.get_by_role("tab", name="Artifacts").click()
    page.wait_for_url(re.compile(r"tab=Artifacts"))
    page.locator('a[href="/v2/artifacts/key/monitor-summary"]').first.click()
    page.wait_for_url(re.compile(r"/v2/artifacts/key/monitor-summary"))
    page.locator('a[href^="/v2/artifacts/artifact/"]').first.click()  # the latest version: this run's
    page.wait_for_url(re.compile(r"/v2/artifacts/artifact/[0-9a-f-]{36}"))
    expect(page.get_by_role("heading", name=re.compile(r"Monitor run: 1 alert, 2 sent"))).to_be_visible()
    artifact = page.locator(".prose").filter(has=page.get_by_role("heading", name=re.compile(r"Monitor run:"))).first
    expect(artifact).to_contain_text("Kalachnikov")
    expect(artifact).to_contain_text("Hama")
    # One list item per alert, its entries (the message's first, then the others) and delivery first.
    entries = r"(Kalachnikov \(weapon\) \+ Hama|Hama \(place\) \+ Kalachnikov) — sent"
    expect(artifact.get_by_role("listitem").filter(has_text=re.compile(entries))).to_be_visible()
    page.screenshot(path=str(SHOTS / "monitor-summary-artifact.png"), full_page=True)
    # Readable at 1280 px: neither the page nor the artifact scrolls sideways.
    widths = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways at 1280 px: {widths}"
    own = artifact.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert own[0] <= own[1], f"the artifact scrolls sideways at 1280 px: {own}"
    return artifact.locator('a[href^="http"]').evaluate_all("links => links.map(link => link.href)")


def _deployments(api: str, count: int) -> dict[str, dict] | None:
    found = httpx.post(f"{api}/deployments/filter", json={}, timeout=5).json()
    return {d["name"]: d for d in found} if len(found) >= count else None


def _scheduled_runs(api: str, deployment_id: str) -> list[dict]:
    return httpx.post(
        f"{api}/flow_runs/filter",
        timeout=5,
        json={
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
            "sort": "EXPECTED_START_TIME_ASC",
        },
    ).json()


def _state(api: str, run_id: str) -> str:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]["type"]


def _state_name(api: str, run_id: str) -> str:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]["name"]
