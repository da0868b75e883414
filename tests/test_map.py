"""`veille map` (flows.map) on a project's real SQLite store: the HTML file parsed, each mentioned place with its
articles (and no other), hostile titles escaped, the gazetteer placing what the watch list does not; and the
map drawn by Chromium (the e2e browser test)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

import lxml.html
import pytest

from flows.map import main
from tests.builders import NOW, article, found, mention, route_to
from tests.project_store import project_folder, project_store
from tests.recording import record_detections
from veille.records import TargetRef
from veille.watchlist import load_watchlist

WATCHLIST = """\
entries:
  - {id: hama, kind: place, name: Hama, country: SY, coordinates: [35.132, 36.757]}
  - {id: alep, kind: place, name: Alep, country: SY, coordinates: [36.202, 37.134]}
  - {id: damas, kind: place, name: Damas, country: SY, coordinates: [33.513, 36.292]}
  - {id: manbij, kind: place, name: Manbij, country: SY}
  - {id: zzyzx, kind: place, name: Tell Zzyzx, country: SY}
  - {id: kalachnikov, kind: weapon, name: Kalachnikov}
"""
HOSTILE = '<script>alert(1)</script>"onmouseover=alert(2) x="</div>`${alert(3)}`\\u0041'


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Hama in two articles (one on the web with a hostile title), Manbij and Tell Zzyzx in one each, all
    today; Alep in an article of a month ago; Damas only in a doubtful mention."""
    folder = project_folder(tmp_path, monkeypatch)
    (folder / "config" / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    monkeypatch.setenv("VEILLE_NOW", NOW.isoformat())
    watchlist = load_watchlist(folder / "config" / "watchlist.yaml")
    route = route_to(TargetRef("k1", "json://127.0.0.1/a"))
    web = article(
        "Tirs à Hama, puis Hama encore.", key="w", source="feed:sana", title=HOSTILE, location="https://sana.example/w"
    )
    zzyzx = article("Combats à Tell Zzyzx et Manbij.", key="z.txt", source="folder:inbox", title="Combats au nord")
    doubtful = article("Le savon de Damas.", key="d.txt", source="folder:inbox", title="Savon")
    items = [
        found(
            article("Tirs à Hama.", key="a.txt", source="folder:inbox", title="Tirs", location="inbox/a.txt"), "Hama"
        ),
        found(web, "Hama", mention(web.text, "Hama", nth=1)),
        found(zzyzx, mention(zzyzx.text, "Tell Zzyzx", "zzyzx"), "Manbij"),
        found(doubtful, replace(mention(doubtful.text, "Damas"), confidence=0.2)),
        found(
            article(
                "Alep jadis.", key="old.txt", source="folder:inbox", title="Jadis", published_at=NOW - timedelta(30)
            ),
            "Alep",
        ),
    ]
    store = project_store()
    try:
        record_detections(store, items, watchlist, route, NOW)
    finally:
        store.close()
    return folder


class _Balance(HTMLParser):
    """Fails on an end tag that closes no open element: markup an article broke."""

    VOID = frozenset({"br", "meta", "link", "img", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.attributes += attrs
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def popups(page: str) -> dict[str, lxml.html.HtmlElement]:
    """Each marker's popup (bound in the page's script as a JSON string), parsed, by its place's name."""
    found_ = {}
    for literal in re.findall(r'\.bindPopup\(("(?:[^"\\]|\\.)*")', page):
        content = json.loads(literal)
        checker = _Balance()
        checker.feed(content)
        assert checker.open == [] and not any(name.startswith("on") for name, _ in checker.attributes)
        element = lxml.html.fragment_fromstring(content)
        found_[element.findtext("b")] = element
    return found_


def test_the_map_shows_each_mentioned_place_with_its_articles_and_no_other(project, capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    path = project / "data" / "map.html"
    assert out == f"{path}\n"
    page = path.read_text(encoding="utf-8")
    document = lxml.html.document_fromstring(page)
    assert document.find("body") is not None and document.xpath("//div[contains(@class, 'folium-map')]")
    shown = popups(page)
    assert set(shown) == {"Hama", "Manbij"}  # Alep is a month old, Damas doubtful, Tell Zzyzx not placed
    hama = shown["Hama"]
    assert hama.text_content().startswith("Hama: 3 mentions in 2 articles")
    (link,) = hama.xpath(".//a")
    assert link.get("href") == "https://sana.example/w" and link.get("rel") == "noopener noreferrer"
    assert link.text_content() == HOSTILE
    assert "Tirs" in [li.text for li in hama.xpath(".//li")]
    assert "2026-11-22 · feed:sana" in hama.text_content() and "2026-11-22 · folder:inbox" in hama.text_content()
    assert len(re.findall(r"L\.circleMarker\(", page)) == 2
    # Manbij has no coordinates in the watch list: GeoNames puts it at 36.53 N, 37.95 E.
    assert re.search(r"L\.circleMarker\(\s*\[36\.52\d*, 37\.95\d*\]", page)
    notes = document.get_element_by_id("not-placed").text_content()
    assert "Tell Zzyzx (zzyzx): 1 mention in 1 article" in notes and "Manbij" not in notes
    assert "2 places on the map, 3 articles" in document.get_element_by_id("map-notes").text_content()


def test_the_page_loads_no_script_or_style_from_the_network(project, capsys):
    assert main(["--output", str(project / "out" / "m.html")]) == 0
    document = lxml.html.document_fromstring((project / "out" / "m.html").read_text(encoding="utf-8"))
    assert document.xpath("//script[@src]") == [] and document.xpath("//link[@href]") == []
    assert "Leaflet 1.9.4" in document.xpath("//script")[0].text
    assert "sourceMappingURL" not in document.xpath("//script")[0].text


def test_no_script_an_article_wrote_runs_in_the_page(project, capsys):
    assert main([]) == 0
    page = (project / "data" / "map.html").read_text(encoding="utf-8")
    # The page's own three scripts (Leaflet, folium's switches, the map), nothing an article added.
    scripts = lxml.html.document_fromstring(page).xpath("//script")
    assert len(scripts) == 3
    assert "<script>alert" not in page and '"onmouseover=' not in page and "</div>`" not in page
    # The title sits escaped in a JSON string, never in a JS template literal (where ${...} would run).
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;\\u0026quot;onmouseover=" in page
    # The map's script has no template literal of its own: its only backticks are the title's two.
    assert scripts[-1].text.count("`") == 2


def test_the_days_window_decides_what_is_on_the_map(project, capsys):
    assert main(["--days", "40"]) == 0
    capsys.readouterr()
    page = (project / "data" / "map.html").read_text(encoding="utf-8")
    assert set(popups(page)) == {"Hama", "Manbij", "Alep"}


@pytest.mark.parametrize("days", ["0", "sept", "-3"])
def test_a_bad_number_of_days_exits_2(project, capsys, days):
    with pytest.raises(SystemExit) as exited:
        main(["--days", days])
    assert exited.value.code == 2 and "--days" in capsys.readouterr().err


def test_a_map_that_cannot_be_written_exits_1_naming_the_path(project, capsys):
    (project / "blocked").write_text("a file, not a folder", encoding="utf-8")
    code = main(["--output", str(project / "blocked" / "map.html")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"veille map: cannot write the map to {project / 'blocked' / 'map.html'}")
