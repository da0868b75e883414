"""The map `veille map` writes, opened in Debian's Chromium (Playwright) from the file, offline: its circle
markers drawn by the inlined Leaflet, a popup opened, no script of an article run. Screenshot in
test-artifacts/ui/map.png."""

from __future__ import annotations

import pytest

from flows.map import main
from tests.test_map import HOSTILE, project
from tests.test_operate_ui import CHROMIUM, CHROMIUM_ARGS, SHOTS, browser_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
__all__ = ["project"]  # the fixture, shared with tests/test_map.py


def test_chromium_draws_a_marker_per_place_and_shows_a_hostile_title_as_text(project, capsys):
    sync_playwright = browser_or_skip()
    assert main([]) == 0
    path = project / "data" / "map.html"
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda request: requested.append(request.url))
            page.goto(path.as_uri())
            markers = page.locator("path.leaflet-interactive")
            markers.first.wait_for(timeout=10_000)
            assert markers.count() == 2  # Hama and Manbij
            markers.first.click()
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for(timeout=5_000)
            assert popup.locator("b").inner_text() == "Hama"
            assert popup.locator("a").inner_text() == HOSTILE
            assert popup.locator("script").count() == 0
            page.wait_for_timeout(500)  # the popup's fade-in
            page.screenshot(path=str(SHOTS / "map.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []
    # Only the tiles go to the network: no script or style from a CDN.
    assert {url.split("/")[2] for url in requested if url.startswith("http")} <= {"tile.openstreetmap.org"}
