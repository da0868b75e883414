"""The line the built-in target writes to alerts.jsonl: an alert's fields as data, clean and bounded.

The fields are built by the real decision renderer (veille.decide.render.alert_details) from real
records; the line by veille.notify.jsonline, as the `veille://` plugin writes it. The monitor's own
file over the seeds is checked in tests/test_alert_file.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.builders import NOW, article, place, weapon
from tests.golden import DATA, assert_matches_golden
from veille.clean import LOCATION_CHARS
from veille.decide.render import alert_details, render_alert
from veille.notify.jsonline import FIELDS_BYTES, LINE_BYTES, json_line, line_fields
from veille.records import Article, FiredRule, Hit, Mention

PUBLISHED = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
ALEP = place("alep", coordinates=(36.2021, 37.1343))
MORTIER = weapon("mortier", inflected=True)
MENTION = FiredRule("mention", "mention", "normal", "new mention")


def hit(entry, text: str, sentence: str, occurrences: int = 1, *rules: FiredRule) -> Hit:
    start = sentence.find(text)
    mention = Mention(entry.id, "watched", text, start, start + len(text), sentence)
    return Hit(entry, mention, occurrences, rules or (MENTION,))


def line_of(item: Article, hits: list[Hit], severity: str = "normal", sources: tuple[str, ...] = ()) -> str:
    """The line of one alert on `item`, as the monitor writes it: its text, then its fields."""
    carriers = sources or (item.source,)
    message = render_alert(item, hits, severity, carriers, NOW)
    details = alert_details(item, hits, severity, ["alerts"], carriers, NOW)
    return json_line(NOW, "info", message.title, message.body, details)


def one_line(line: str) -> dict:
    """`line` read back: one line whatever splits it (str.splitlines() also breaks at U+2028), valid UTF-8."""
    assert line.splitlines() == [line]
    line.encode("utf-8")  # strict: a lone surrogate would raise here, and the plugin would fail the delivery
    assert len(line.encode("utf-8")) <= LINE_BYTES
    return json.loads(line)


SENTENCE = "Des tirs de mortiers ont visé Alep mercredi soir."
FEED_ARTICLE = article(
    SENTENCE,
    key="https://www.afp.example/a/1",
    source="feed:afp",
    title="Alep sous les tirs",
    location="https://www.afp.example/a/1",
    published_at=PUBLISHED,
)
FEED_HITS = [
    hit(ALEP, "Alep", SENTENCE, 1, MENTION, FiredRule("first-seen", "first_seen", "high", "back after 94 days")),
    hit(MORTIER, "mortiers", SENTENCE, 3),
]


def test_an_alert_line_reads_as_its_golden_file():
    line = line_of(FEED_ARTICLE, FEED_HITS, "high", ("feed:afp", "feed:lemonde", "feed:reuters"))

    assert_matches_golden(DATA / "alert-lines" / "two-entries-of-a-feed-article.jsonl", line + "\n")


def test_the_fields_say_what_fired_where_and_when():
    fields = one_line(line_of(FEED_ARTICLE, FEED_HITS, "high", ("feed:afp", "feed:lemonde")))["fields"]

    assert fields["severity"] == "high"
    assert fields["sources"] == ["feed:afp", "feed:lemonde"]
    assert fields["article"] == {
        "title": "Alep sous les tirs",
        "url": "https://www.afp.example/a/1",
        "location": "https://www.afp.example/a/1",
        "source": "feed:afp",
        "date": "2026-11-21T18:30:00+00:00",
        "read_at": "2026-11-22T08:00:00+00:00",
    }
    alep, mortier = fields["entries"]
    assert (alep["id"], alep["name"], alep["kind"], alep["coordinates"]) == (
        "alep",
        "Alep",
        "place",
        [36.2021, 37.1343],
    )
    assert [rule["id"] for rule in alep["rules"]] == ["mention", "first-seen"]
    assert alep["rules"][1] == {
        "id": "first-seen",
        "kind": "first_seen",
        "severity": "high",
        "why": "back after 94 days",
    }
    assert (mortier["kind"], mortier["variant"], mortier["occurrences"], mortier["coordinates"]) == (
        "weapon",
        "mortiers",
        3,
        None,
    )
    assert mortier["variant"] in mortier["sentence"] == SENTENCE


def test_a_message_without_fields_has_fields_null():
    record = one_line(json_line(NOW, "info", "Veille: monitor run failed", "See the UI.", None))

    assert record == {
        "time": "2026-11-22T08:00:00+00:00",
        "type": "info",
        "title": "Veille: monitor run failed",
        "body": "See the UI.",
        "fields": None,
    }


# Each hostile string is put in an article's text (so in the sentence), its title and its location,
# then through the renderer; the line must stay one valid line and keep the words around it.
HOSTILE = {
    "a NUL": "\x00",
    "a lone surrogate": "\ud800",
    "a line feed": "\n",
    "a carriage return": "\r",
    "a line separator": "\u2028",
    "a paragraph separator": "\u2029",
    "an escape sequence": "\x1b[2J",
    "a bidi override": "\u202e",
    "a quote and a backslash": '"\\',
    "a next line (C1)": "\x85",
}


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_character_in_an_article_keeps_the_line_whole(hostile):
    sentence = f"Des tirs{hostile} à Hama."
    item = article(sentence, title=f"Tirs{hostile}à Hama", location=f"seeds/tirs{hostile}.txt")

    fields = one_line(line_of(item, [hit(place("hama"), "Hama", item.text)]))["fields"]

    (entry,) = fields["entries"]
    assert entry["sentence"].startswith("Des tirs") and entry["sentence"].endswith("à Hama.")
    assert fields["article"]["title"].startswith("Tirs") and fields["article"]["location"].startswith("seeds/tirs")
    for text in (entry["sentence"], fields["article"]["title"], fields["article"]["location"]):
        assert not any(char in text for char in "\x00\ud800\r\u2028\u2029\x1b\x85"), text


def test_an_article_cleans_a_lone_surrogate_before_the_line_is_made():
    """clean_text (veille.clean) replaces it when the Article is made: the line never meets one from a source."""
    item = article("Des tirs à Hama \ud83d.", title="Hama \udfff")

    assert "\ufffd" in item.text and "\ufffd" in item.title

    fields = one_line(line_of(item, [hit(place("hama"), "Hama", item.text)]))["fields"]
    assert fields["entries"][0]["sentence"] == "Des tirs à Hama \ufffd."


@pytest.mark.parametrize(
    "details",
    [
        pytest.param({"entries": [{"sentence": "Hama \ud800\x00\u2028 Hama"}]}, id="a stored row with raw characters"),
        pytest.param({"article": {"title": 42, "location": None}, "entries": "not a list"}, id="wrong types"),
        pytest.param({"entries": [{"coordinates": [float("nan"), float("inf")]}]}, id="coordinates not finite"),
        pytest.param({"entries": [{"coordinates": [True, 2]}, {"occurrences": -1}]}, id="a bool, a negative count"),
    ],
)
def test_details_of_any_shape_give_a_valid_line(details):
    """The row's details are read back as they are: the line takes its own fields from them, whatever they hold."""
    fields = one_line(json_line(NOW, "info", "t", "b", details))["fields"]

    assert set(fields) >= {"severity", "tags", "article", "sources", "entries"}
    for entry in fields["entries"]:
        assert entry["coordinates"] is None and entry["occurrences"] in (None, 1)
        assert entry["sentence"] in (None, "Hama \ufffd  Hama")


@pytest.mark.parametrize(
    ("location", "url", "shown"),
    [
        ("seeds/003_14110cf45b5c4781.txt", None, "seeds/003_14110cf45b5c4781.txt"),
        ("https://www.afp.example/a b", "https://www.afp.example/a%20b", "https://www.afp.example/a%20b"),
        ("https://www.afp.example/" + "é" * 400, "https://www.afp.example/" + "%C3%A9" * 400, None),
        ("https://user:s3cret@feeds.example.org/rss", None, "https://****@feeds.example.org/****"),
        ("javascript:alert(1)", None, "****:****"),
        ("https://www.afp.example/" + "a" * LOCATION_CHARS, None, None),
    ],
    ids=[
        "a file",
        "a link made safe",
        "a link longer than a location, whole",
        "a URL with a password",
        "a script",
        "a URL too long to be a link",
    ],
)
def test_the_article_url_is_only_a_safe_link_and_the_location_holds_no_password(location, url, shown):
    fields = line_fields({"article": {"location": location}})

    assert fields["article"]["url"] == url
    if shown is not None:
        assert fields["article"]["location"] == shown
    assert "s3cret" not in json.dumps(fields)
    if url is not None:
        assert fields["article"]["location"] == url, "a link is where the article is, never cut"
    else:
        assert len(fields["article"]["location"]) <= LOCATION_CHARS


def test_a_line_is_bounded_whatever_the_article():
    """Megabyte strings of 4-byte characters everywhere, hundreds of entries, rules and sources: under LINE_BYTES."""
    huge = "\U0001d54f" * 1_000_000  # MATHEMATICAL DOUBLE-STRUCK X: 4 bytes in UTF-8
    rules = [{"id": huge, "kind": huge, "severity": huge, "why": huge}] * 100
    entry = {"id": huge, "name": huge, "kind": huge, "variant": huge, "sentence": huge, "occurrences": 2}
    entry |= {"matched_by": huge, "confidence": 0.5, "reasons": [huge] * 100}
    details = {
        "severity": huge,
        "tags": [huge] * 150,
        "article": {"title": huge, "location": huge, "source": huge, "date": huge, "read_at": huge},
        "sources": [huge] * 100,
        "entries": [entry | {"rules": rules}] * 300,
    }

    line = json_line(NOW, "info", huge, huge, details)

    fields = one_line(line)["fields"]
    assert len(json.dumps(fields, ensure_ascii=False).encode("utf-8")) <= FIELDS_BYTES
    assert len(fields["entries"]) >= 1, "the first entry always fits"
    assert len(fields["entries"]) + fields["entries_left_off"] == 300
    assert (fields["sources_left_off"], fields["tags_left_off"]) == (80, 50)
    assert fields["entries"][0]["rules_left_off"] == 90
    assert fields["entries"][0]["reasons_left_off"] == 95
    assert fields["entries"][0]["sentence"].endswith("…")


def test_an_alert_of_a_few_entries_is_a_few_kilobytes():
    line = line_of(FEED_ARTICLE, FEED_HITS, "high")

    assert "entries_left_off" not in one_line(line)["fields"]
    assert len(line.encode("utf-8")) < 4_000
