"""Specification of veille.detect: what is new, what to alert on, what an alert says, when to retry.

Pure functions over records: no database, no Prefect, no model.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.builders import NOW, article, found, mention, model_place, planned_alert, watch_list, weapon
from veille.detect import classify_articles, plan_alerts, render_alert
from veille.notify.sender import retry_delay

WATCHED = watch_list("hama", "alep", weapon("mortier", "mortier", tags=("armes",)))

# --- classify_articles ----------------------------------------------------------------------------

A = article("Des tirs à Hama.", key="a.txt")
B = article("Rien à Alep.", key="b.txt")


@pytest.mark.parametrize(
    ("known", "new", "changed", "unchanged"),
    [
        pytest.param({}, [A, B], [], [], id="nothing known: all new"),
        pytest.param({(A.source, A.key): A.content_hash}, [B], [], [A], id="same hash: unchanged"),
        pytest.param({(A.source, A.key): "an older hash"}, [B], [A], [], id="other hash: changed"),
        pytest.param(
            {("folder:other", A.key): A.content_hash}, [A, B], [], [], id="the same key in another source: new"
        ),
        pytest.param(
            {(A.source, A.key): "old", (B.source, B.key): B.content_hash},
            [],
            [A],
            [B],
            id="one changed and one unchanged",
        ),
    ],
)
def test_an_article_is_new_changed_or_unchanged_by_its_source_key_and_content_hash(known, new, changed, unchanged):
    changes = classify_articles([A, B], known)

    assert (list(changes.new), list(changes.changed), list(changes.unchanged)) == (new, changed, unchanged)
    assert list(changes.to_extract) == new + changed


def test_classification_keeps_the_order_of_the_articles_given():
    articles = [article(f"Texte {n}.", key=f"{n}.txt") for n in (3, 1, 2)]

    assert [a.key for a in classify_articles(articles, {}).new] == ["3.txt", "1.txt", "2.txt"]


# --- plan_alerts ----------------------------------------------------------------------------------

HAMA_TWICE = "Hama, puis encore Hama."
BOTH = "Des mortiers sur Alep et Hama."


@pytest.mark.parametrize(
    ("story", "already_alerted", "expected"),
    [
        pytest.param([found("Des tirs à Hama.", "Hama")], [], [("hama", "a.txt", 11, 1)], id="one mention"),
        pytest.param(
            [found(HAMA_TWICE, mention(HAMA_TWICE, "Hama", nth=1), mention(HAMA_TWICE, "Hama"))],
            [],
            [("hama", "a.txt", 0, 2)],
            id="two mentions: one alert, on the first written",
        ),
        pytest.param([found("Des tirs à Hama.", "Hama")], ["hama"], [], id="already alerted: nothing"),
        pytest.param(
            [found("Des tirs à Idlib.", model_place("Des tirs à Idlib.", "Idlib"))],
            [],
            [],
            id="a place the model found: nothing",
        ),
        pytest.param([found("Des tirs à Raqqa.", "Raqqa")], [], [], id="an entry no longer watched: nothing"),
        pytest.param(
            [found("Hama.", "Hama", key="1.txt"), found("Encore Hama.", "Hama", key="2.txt")],
            [],
            [("hama", "1.txt", 0, 2)],
            id="a story of two articles: one alert, on the first",
        ),
        pytest.param(
            [found(BOTH, mention(BOTH, "Hama"), mention(BOTH, "mortiers", "mortier"), mention(BOTH, "Alep"))],
            [],
            [("mortier", "a.txt", 4, 1), ("alep", "a.txt", 17, 1), ("hama", "a.txt", 25, 1)],
            id="several entries: in the order they are written",
        ),
        pytest.param(
            [found(BOTH, mention(BOTH, "mortiers", "mortier"), mention(BOTH, "Alep"))],
            ["alep"],
            [("mortier", "a.txt", 4, 1)],
            id="only the entries not yet alerted",
        ),
    ],
)
def test_a_story_gets_one_alert_per_watched_entry_never_alerted_on_its_first_mention(story, already_alerted, expected):
    planned = plan_alerts(story, already_alerted, WATCHED)

    assert [(p.entry.id, p.article.key, p.mention.start, p.occurrences) for p in planned] == expected


def test_an_alert_is_routed_by_its_entry_and_every_tag_of_the_story_s_sources():
    story = [
        found("Des mortiers.", mention("Des mortiers.", "mortiers", "mortier"), tags=("syrie", "une")),
        found("Des mortiers.", mention("Des mortiers.", "mortiers", "mortier"), key="b.txt", tags=("une", "armee")),
    ]

    (alert,) = plan_alerts(story, [], WATCHED)

    assert alert.source_tags == ("syrie", "une", "armee")
    assert alert.tags == ("alerts", "weapon", "mortier", "armes", "syrie", "une", "armee")


# --- render_alert ---------------------------------------------------------------------------------

PUBLISHED = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("alert", "sources", "present", "absent"),
    [
        pytest.param(
            planned_alert(),
            (),
            [
                "Place: Hama",
                "«Des tirs à Hama.»",
                "Article: Tirs",
                "Source: folder:test — test/a.txt",
                "Found: 2026-11-22 08:00 UTC",
            ],
            ["written", "mentions", "Carried by", "Published:"],
            id="the canonical name, once",
        ),
        pytest.param(
            planned_alert("Des mortiers.", weapon("mortier", "mortier"), "mortiers", occurrences=3),
            (),
            ["Weapon: mortier, written «mortiers» (3 mentions)"],
            [],
            id="a variant, three times",
        ),
        pytest.param(
            planned_alert(),
            ("feed:a", "feed:b"),
            ["Carried by 2 sources: feed:a, feed:b"],
            [],
            id="a story carried by two sources",
        ),
        pytest.param(planned_alert(), ("feed:a",), [], ["Carried by"], id="one source: no sources line"),
        pytest.param(
            planned_alert(published_at=PUBLISHED), (), ["Published: 2026-11-21 18:30 UTC"], [], id="a published date"
        ),
        pytest.param(
            planned_alert(source="feed:lemonde", location="https://news.example.org/a/1"),
            (),
            ["Source: feed:lemonde — https://news.example.org/a/1"],
            [],
            id="a feed entry's link",
        ),
    ],
)
def test_an_alert_says_what_as_written_in_which_sentence_where_when_and_how_widely(alert, sources, present, absent):
    body = render_alert(alert, NOW, sources).body

    lines = body.split("\n")
    for line in present:
        assert line in lines, body
    for word in absent:
        assert word not in body


def test_an_alert_body_lists_its_lines_in_a_fixed_order():
    alert = planned_alert(published_at=PUBLISHED, occurrences=2)

    lines = render_alert(alert, NOW, ("feed:a", "feed:b")).body.split("\n")

    assert [line.split(" ", 1)[0] for line in lines] == [
        "Place:",
        "«Des",
        "Article:",
        "Source:",
        "Carried",
        "Published:",
        "Found:",
    ]


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        pytest.param("Tirs", "Tirs", id="a short title whole"),
        pytest.param(
            "Tirs " + "sur la ville " * 10,
            "Tirs sur la ville sur la ville sur la ville sur la ville sur la ville sur la ville sur la…",
            id="a long title cut on a word",
        ),
        pytest.param("Tirs\nSource: forged", "Tirs Source: forged", id="a title on one line"),
    ],
)
def test_an_alert_title_names_the_entry_its_kind_and_the_article_s_headline(title, headline):
    message = render_alert(planned_alert(title=title), NOW)

    assert message.title == f"Veille: Hama (place) in «{headline}»"
    assert len(headline) <= 90


def test_an_alert_s_time_is_written_in_the_zone_it_is_given():
    paris = timezone(timedelta(hours=1), "CET")

    body = render_alert(planned_alert(), NOW.astimezone(paris)).body

    assert body.endswith("Found: 2026-11-22 09:00 CET")


# --- retry_delay ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "base", "cap", "seconds"),
    [
        pytest.param(0, 60, 3600, 0, id="no failure yet: no wait"),
        pytest.param(1, 60, 3600, 60, id="after one failure: the base"),
        pytest.param(2, 60, 3600, 120, id="after two: twice the base"),
        pytest.param(4, 60, 3600, 480, id="after four: eight times"),
        pytest.param(7, 60, 3600, 3600, id="capped at the cap"),
        pytest.param(60, 60, 3600, 3600, id="a long streak stays at the cap"),
        pytest.param(1100, 60.0, 3600, 3600, id="a thousand failures: the cap, no overflow"),
        pytest.param(2, 30.0, 3600, 60.0, id="a float base, as settings give it"),
        pytest.param(3, 60, 100, 100, id="another cap"),
        pytest.param(3, 0, 3600, 0, id="a zero base: retry at once"),
        pytest.param(3, -5, 3600, 0, id="a negative base: retry at once"),
        pytest.param(-1, 60, 3600, 0, id="negative attempts: no wait"),
    ],
)
def test_a_failed_delivery_waits_twice_as_long_after_each_failure_up_to_a_cap(attempts, base, cap, seconds):
    assert retry_delay(attempts, base, cap) == seconds


def test_the_default_cap_is_one_hour():
    assert retry_delay(30, 1) == 3600


def test_a_watched_entry_s_sentence_comes_from_its_mention_not_the_article_text():
    alert = planned_alert("Première phrase. Des tirs à Hama.")
    alert = replace(alert, mention=replace(alert.mention, sentence="Des tirs à Hama."))

    assert "«Des tirs à Hama.»" in render_alert(alert, NOW).body.split("\n")
