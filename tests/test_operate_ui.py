"""`make operate` end to end, in a real browser: the README's third command, as a user meets it.

`python -m flows.operate` starts a Prefect server and serves the deployments; Debian's Chromium,
driven by Playwright, starts a monitor run from the UI with its `folder` changed; the alert arrives
at a receiver on 127.0.0.1. Screenshots go to test-artifacts/ui/.
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
ARTICLE = (
    "Des fusils Kalachnikov ont été saisis dans un dépôt d'armes près de Hama, a annoncé l'armée syrienne mardi.\n"
)


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
def project(tmp_path):
    """A project folder: the shipped config, an empty inbox as the configured source, and a corpus elsewhere."""
    shutil.copytree(CONFIG, tmp_path / "config")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "hama.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "config" / "sources.yaml").write_text("folders:\n  - path: inbox\n", encoding="utf-8")
    # The monitor's cron never fires during the test (01:03 on 1 January), so that no scheduled run
    # holds the lock when the UI's run starts; the scheduler still has to create its runs.
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
        # The run started from the UI reads this folder, outside sources.yaml: allowed by name.
        "VEILLE_FOLDER_ROOTS": str(project / "corpus"),
        # Served deployments look for work every 2 s instead of 10; the scheduler loops every 2 s.
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
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


def test_operate_serves_the_deployments_and_a_run_started_from_the_ui_alerts(project, operate):
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

        folder = str(project / "corpus")
        clicked = time.monotonic()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 900})
                try:
                    run = start_custom_run_from_the_ui(page, base, folder)
                except Exception:
                    page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
                    raise
            finally:
                browser.close()

        assert run["parameters"].get("folder") == folder
        wait_for("the alert at the receiver", lambda: len(receiver.received) >= 1, timeout=60, log=log)
        titles = [message["title"].split(" in ")[0] for message in receiver.received]
        assert titles == ["Veille: Kalachnikov, Hama"], "one message for the article, naming both entries"
        final = httpx.get(f"{api}/flow_runs/{run['id']}").json()
        # One alert, to the built-in target and to the receiver.
        assert final["state"]["type"] == "COMPLETED" and final["state"]["message"] == "1 alert, 2 sent"

        completed = time.monotonic() - clicked
        stopping = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=90) == 0, log.read_text()[-3000:]
        print(
            f"\nmake operate: server healthy after {healthy:.1f} s, deployments served after {served:.1f} s; "
            f"browser to completed run with its alerts: {completed:.1f} s; "
            f"stopped {time.monotonic() - stopping:.1f} s after SIGINT"
        )
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{api}/health", timeout=2)
    finally:
        receiver.stop()


def start_custom_run_from_the_ui(page, base: str, folder: str) -> dict:
    """Deployments → monitor → Run → Custom run, `folder` set, Submit; wait for Completed; screenshots."""
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_default_timeout(30_000)
    page.goto(f"{base}/deployments")
    # The flow's link beside it has the same text; the deployment's points to /deployments/deployment/.
    page.locator('a[href^="/deployments/deployment/"]', has_text=re.compile(r"^monitor$")).first.click()
    page.wait_for_url(re.compile(r"/deployments/deployment/[0-9a-f-]{36}$"))
    expect(page.get_by_text(re.compile(r"At 01:03 AM on day 1 of the month, only in January"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / "deployment.png"), full_page=True)

    page.get_by_role("button", name="Run", exact=True).click()  # not exact: the sidebar's "Runs" matches
    page.get_by_role("button", name="Custom run", exact=True).click()
    page.wait_for_url(re.compile(r"/run(\?|$)"))
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_visible()
    field = (
        page.locator(".schema-form-property")
        .filter(has=page.locator(".schema-form-property__label", has_text=re.compile(r"^folder\b")))
        .first
    )
    expect(field).to_contain_text("Read only this folder")  # the docstring's description shows in the form
    field.get_by_role("button", name="path", exact=True).click()  # `Path | None`: a [path][None] toggle, None chosen
    field.get_by_role("textbox").fill(folder)
    page.screenshot(path=str(SHOTS / "custom-run-form.png"), full_page=True)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/create_flow_run")) as made:
        page.get_by_role("button", name="Submit", exact=True).click()
    assert made.value.status == 201
    run = made.value.json()

    page.goto(f"{base}/runs/flow-run/{run['id']}")
    expect(page.locator(".state-badge").first).to_have_text(re.compile("Completed"), timeout=180_000)
    expect(page.get_by_text(re.compile("Finished in state Completed")).first).to_be_visible(timeout=60_000)
    page.screenshot(path=str(SHOTS / "monitor-run.png"), full_page=True)

    page.get_by_text("Artifacts", exact=True).click()
    page.wait_for_url(re.compile(r"tab=Artifacts"))
    page.get_by_text("monitor-summary", exact=True).last.click()  # .first is the run graph's label
    page.wait_for_url(re.compile(r"/artifacts/artifact/[0-9a-f-]{36}"))
    expect(page.get_by_role("heading", name=re.compile(r"Monitor run: 1 alert, 2 sent"))).to_be_visible()
    alert = page.get_by_role("listitem").filter(has_text=re.compile(r"Kalachnikov \(weapon\) \+ Hama — sent"))
    expect(alert).to_be_visible()
    page.screenshot(path=str(SHOTS / "monitor-summary-artifact.png"), full_page=True)
    return run


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
