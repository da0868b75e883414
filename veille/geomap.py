"""The map of watched places mentioned lately: which places, where, and their articles; as one HTML file.

Pure: records in, HTML out (folium builds it). Leaflet's script and style are inlined from
veille/data/leaflet/ instead of folium's CDN links, so the file opens offline but for the map tiles.
Every string from an article is escaped for HTML, then passed to the page's script as a JSON string
(folium's own popups go through a JS template literal, where `${...}` would run).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from veille.gazetteer import find_place
from veille.listing import shown
from veille.records import MentionedArticle
from veille.sanitize import safe_link
from veille.summary import plural
from veille.watchlist import WatchEntry

# Articles listed in one popup: a place in the news for days can have hundreds.
POPUP_ARTICLES = 30
_MIN_RADIUS, _MAX_RADIUS = 6.0, 30.0
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)

Locate = Callable[[WatchEntry], "tuple[float, float] | None"]


@dataclass(frozen=True)
class PlaceMarker:
    """A watched place on the map: where (and from what: "watch list" or "gazetteer"), its articles."""

    entry_id: str
    name: str
    coordinates: tuple[float, float]
    placed_by: str
    mentions: int
    articles: tuple[MentionedArticle, ...]


@dataclass(frozen=True)
class NotPlaced:
    """A mentioned place that has no coordinates and that the gazetteer does not find."""

    entry_id: str
    name: str
    mentions: int
    articles: int


@dataclass(frozen=True)
class MapPlan:
    markers: tuple[PlaceMarker, ...]
    not_placed: tuple[NotPlaced, ...]
    since: datetime
    until: datetime

    @property
    def articles(self) -> int:
        return len({a.article_id for m in self.markers for a in m.articles})


def gazetteer_coordinates(entry: WatchEntry) -> tuple[float, float] | None:
    """Where GeoNames puts the place (it needs the entry's country), or None."""
    match = find_place(entry.name, entry.aliases, entry.country, None)
    return match.coordinates if match is not None else None


def plan_map(
    entries: Iterable[WatchEntry],
    mentioned: Iterable[MentionedArticle],
    since: datetime,
    until: datetime,
    locate: Locate = gazetteer_coordinates,
) -> MapPlan:
    """A marker per mentioned place entry, at its watch-list coordinates, else where `locate` puts it;
    the others listed as not placed. Most mentioned first."""
    by_entry: dict[str, list[MentionedArticle]] = {}
    for item in mentioned:
        by_entry.setdefault(item.entry_id, []).append(item)
    markers, not_placed = [], []
    for entry in entries:
        articles = by_entry.get(entry.id)
        if entry.kind != "place" or not articles:
            continue
        articles.sort(key=lambda a: (-a.dated_at.timestamp(), a.article_id))
        mentions = sum(a.mentions for a in articles)
        if entry.coordinates is not None:
            markers.append(
                PlaceMarker(entry.id, entry.name, entry.coordinates, "watch list", mentions, tuple(articles))
            )
        elif (found := locate(entry)) is not None:
            markers.append(PlaceMarker(entry.id, entry.name, found, "gazetteer", mentions, tuple(articles)))
        else:
            not_placed.append(NotPlaced(entry.id, entry.name, mentions, len(articles)))
    markers.sort(key=lambda m: (-m.mentions, m.entry_id))
    not_placed.sort(key=lambda n: (-n.mentions, n.entry_id))
    return MapPlan(tuple(markers), tuple(not_placed), since, until)


def radius(mentions: int) -> float:
    """A marker's radius in pixels: its area grows with the mentions, within bounds."""
    return min(_MAX_RADIUS, _MIN_RADIUS + 3.0 * math.sqrt(max(mentions - 1, 0)))


def render_map(plan: MapPlan) -> str:
    """The map as a standalone HTML page."""
    fmap = folium.Map(location=(20.0, 0.0), zoom_start=2, tiles="OpenStreetMap", height="85%")
    # Leaflet inlined below; folium's jQuery and Bootstrap serve only its own popups and icons, unused here.
    fmap.default_js, fmap.default_css = [], []
    root = fmap.get_root()
    assert isinstance(root, Figure)  # a new Map makes its own Figure
    root.header.add_child(Element(f"<style>{_asset('leaflet.css')}</style>"), name="leaflet_css", index=0)
    root.header.add_child(Element(f"<script>{_asset('leaflet.js')}</script>"), name="leaflet_js", index=1)
    for marker in plan.markers:
        circle = folium.CircleMarker(
            location=marker.coordinates,
            radius=radius(marker.mentions),
            color="#b3261e",
            weight=2,
            fill=True,
            fill_color="#e4572e",
            fill_opacity=0.5,
        )
        circle.add_child(_Bound("bindPopup", popup_html(marker), {"maxWidth": 420}))
        circle.add_child(_Bound("bindTooltip", _text(f"{marker.name}: {plural(marker.mentions, 'mention')}"), {}))
        circle.add_to(fmap)
    points = [marker.coordinates for marker in plan.markers]
    if len(points) > 1:
        fmap.fit_bounds(_bounds(points), padding=(30, 30))
    elif points:
        fmap.location, fmap.options["zoom"] = list(points[0]), 8
    page = root.render()
    # Under the map: folium puts the map's own element in the body as the page renders, after any given first.
    end = page.rindex("</body>")
    return page[:end] + notes_html(plan) + page[end:]


def popup_html(marker: PlaceMarker) -> str:
    """The place, its count and each of its articles: title (a link when it is http(s)), date, source."""
    items = []
    for article in marker.articles[:POPUP_ARTICLES]:
        title = _text(article.title) or "(no title)"
        link = safe_link(article.location)
        shown_title = (
            f'<a href="{html.escape(link, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
            if link is not None
            else title
        )
        items.append(f"<li>{shown_title}<br><small>{article.dated_at:%Y-%m-%d} · {_text(article.source)}</small></li>")
    more = len(marker.articles) - POPUP_ARTICLES
    if more > 0:
        items.append(f"<li>… and {plural(more, 'more article', 'more articles')}</li>")
    head = (
        f"<b>{_text(marker.name)}</b>: {plural(marker.mentions, 'mention')} in "
        f"{plural(len(marker.articles), 'article')}"
    )
    return f'<div class="veille-popup">{head}<ul>{"".join(items)}</ul></div>'


def notes_html(plan: MapPlan) -> str:
    """Under the map: the window, what is on it, and the places mentioned that could not be placed."""
    span = f"{plan.since:%Y-%m-%d %H:%M} to {plan.until:%Y-%m-%d %H:%M} UTC"
    lines = [
        f"<p>Watched places mentioned from {span}: {plural(len(plan.markers), 'place')} on the map, "
        f"{plural(plan.articles, 'article')}.</p>"
    ]
    if plan.not_placed:
        items = "".join(
            f"<li>{_text(n.name)} ({_text(n.entry_id)}): {plural(n.mentions, 'mention')} in "
            f"{plural(n.articles, 'article')}</li>"
            for n in plan.not_placed
        )
        lines.append(
            '<section id="not-placed"><h2>Not placed</h2><p>No coordinates in the watch list, and the '
            f"gazetteer does not find them:</p><ul>{items}</ul></section>"
        )
    return f'<div id="map-notes" style="font-family: sans-serif; margin: 0.5em 1em;">{"".join(lines)}</div>'


def _bounds(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    return [
        [min(p[0] for p in points), min(p[1] for p in points)],
        [max(p[0] for p in points), max(p[1] for p in points)],
    ]


def _text(value: object) -> str:
    """Text from an article or the watch list, on one line, with nothing HTML would read as markup."""
    return html.escape(shown(value), quote=True)


def _js_string(value: str) -> str:
    """`value` as a JavaScript string literal that cannot end the page's <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Bound(MacroElement):
    """`marker.bindPopup(content)` (or bindTooltip) with the content passed as a JSON string."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}({{ this.content }}, {{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(self, method: str, content: str, options: dict[str, object]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's __init__ is unannotated
        self._name = "Bound"
        self.method = method
        self.content = _js_string(content)
        self.options = json.dumps(options)


@cache
def _asset(name: str) -> str:
    text = resources.files("veille").joinpath("data", "leaflet", name).read_text(encoding="utf-8")
    # The source map is not shipped: a browser's tools would ask for it over the network.
    return _SOURCE_MAP.sub("", text)
