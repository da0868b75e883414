"""Specification of what is new, what a batch alerts on under the default rule, what a message says, and
when a failed delivery is retried (veille.decide, veille.notify.sender).

Pure functions over records: no database, no Prefect, no model. The rules, routing and delivery modes
have their own file: tests/test_spec_decide.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.builders import (
    NOW,
    article,
    decide,
    decision,
    found,
    mention,
    model_place,
    place,
    placed,
    planned_alert,
    watch_list,
    weapon,
)
from veille.decide.changes import classify_articles
from veille.decide.render import render_alert
from veille.notify.sender import retry_delay
from veille.records import FiredRule, Hit, PlannedAlert

WATCHED = watch_list("hama", "alep", weapon("mortier", "mortier", tags=("armes",)))
DEFAULT = decision(WATCHED)

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


# --- decide_batch under the default rule: one message per article, on entries new to its story ------

HAMA_TWICE = "Hama, puis encore Hama."
BOTH = "Des mortiers sur Alep et Hama."


def messages(plan_alerts: tuple[PlannedAlert, ...]) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Each message as (article key, [(entry id, first mention's start, occurrences)])."""
    return [
        (alert.article.key, [(hit.entry.id, hit.mention.start, hit.occurrences) for hit in alert.hits])
        for alert in plan_alerts
    ]


@pytest.mark.parametrize(
    ("batch", "alerted", "expected"),
    [
        pytest.param(
            [placed(found("Des tirs à Hama.", "Hama"), 1)], {}, [("a.txt", [("hama", 11, 1)])], id="one mention"
        ),
        pytest.param(
            [placed(found(HAMA_TWICE, mention(HAMA_TWICE, "Hama", nth=1), mention(HAMA_TWICE, "Hama")), 1)],
            {},
            [("a.txt", [("hama", 0, 2)])],
            id="two mentions: one entry, on the first written, counted twice",
        ),
        pytest.param(
            [placed(found("Des tirs à Hama.", "Hama"), 1)], {1: frozenset({"hama"})}, [], id="already alerted: nothing"
        ),
        pytest.param(
            [placed(found("Des tirs à Hama.", "Hama"), 1)],
            {2: frozenset({"hama"})},
            [("a.txt", [("hama", 11, 1)])],
            id="alerted in another story: alerts",
        ),
        pytest.param(
            [placed(found("Des tirs à Idlib.", model_place("Des tirs à Idlib.", "Idlib")), 1)],
            {},
            [],
            id="a place the model found: nothing",
        ),
        pytest.param(
            [placed(found("Des tirs à Raqqa.", "Raqqa"), 1)], {}, [], id="an entry no longer watched: nothing"
        ),
        pytest.param(
            [placed(found("Hama.", "Hama", key="1.txt"), 1), placed(found("Encore Hama.", "Hama", key="2.txt"), 1)],
            {},
            [("1.txt", [("hama", 0, 1)])],
            id="a story of two articles: one message, on the first",
        ),
        pytest.param(
            [
                placed(
                    found(BOTH, mention(BOTH, "Hama"), mention(BOTH, "mortiers", "mortier"), mention(BOTH, "Alep")), 1
                )
            ],
            {},
            [("a.txt", [("mortier", 4, 1), ("alep", 17, 1), ("hama", 25, 1)])],
            id="several entries: one message, in the order they are written",
        ),
        pytest.param(
            [placed(found(BOTH, mention(BOTH, "mortiers", "mortier"), mention(BOTH, "Alep")), 1)],
            {1: frozenset({"alep"})},
            [("a.txt", [("mortier", 4, 1)])],
            id="only the entries not yet alerted",
        ),
        pytest.param(
            [placed(found("Rien ici.", key="1.txt"), 1)], {}, [], id="no mention: no message, the article kept"
        ),
    ],
)
def test_an_article_gets_one_message_listing_the_watched_entries_new_to_its_story(batch, alerted, expected):
    plan = decide(batch, DEFAULT, alerted=alerted)

    assert messages(plan.alerts) == expected
    assert plan.articles == tuple(batch)


def test_a_message_is_routed_by_its_entries_and_its_article_s_source_tags():
    both = "Des mortiers à Hama."
    item = found(both, mention(both, "mortiers", "mortier"), mention(both, "Hama"), tags=("syrie", "une"))

    (alert,) = decide([item], DEFAULT).alerts

    assert alert.tags == ("alerts", "weapon", "mortier", "armes", "syrie", "une", "place", "hama")


def test_a_later_copy_from_another_source_adds_no_message_and_no_tag():
    # Before issue #11 an alert carried the tags of every source of its story; now each message is its
    # article's, and a copy that brings no new entry makes none.
    story = [
        placed(found("Des mortiers.", mention("Des mortiers.", "mortiers", "mortier"), tags=("syrie",)), 1),
        placed(
            found("Des mortiers.", mention("Des mortiers.", "mortiers", "mortier"), key="b.txt", tags=("armee",)), 1
        ),
    ]

    (alert,) = decide(story, DEFAULT).alerts

    assert alert.tags == ("alerts", "weapon", "mortier", "armes", "syrie")


# --- render_alert ---------------------------------------------------------------------------------

PUBLISHED = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)


def body_of(alert: PlannedAlert, sources: tuple[str, ...] = (), read_at: datetime = NOW) -> str:
    return render_alert(alert.article, alert.hits, alert.severity, sources, read_at).body


@pytest.mark.parametrize(
    ("alert", "sources", "present", "absent"),
    [
        pytest.param(
            planned_alert(),
            (),
            [
                "Place: Hama, written «Hama» (alias, confidence 1.00)",
                "  «Des tirs à ⟦Hama⟧.»",
                "  Rule mention: new mention",
                "Article: Tirs",
                "Source: folder:test — test/a.txt",
                "Date unknown (read 2026-11-22 08:00 UTC)",
            ],
            ["mentions", "Carried by", "Date:", "Why:"],
            id="the canonical name, once",
        ),
        pytest.param(
            planned_alert("Des mortiers, des mortiers, des mortiers.", weapon("mortier", "mortier"), "mortiers"),
            (),
            ["Weapon: mortier, written «mortiers» (alias, confidence 1.00; 3 mentions)"],
            [],
            id="a variant, three times",
        ),
        pytest.param(
            planned_alert(entry=place("hama", coordinates=(35.1318, 36.7578))),
            (),
            ["Place: Hama (35.132, 36.758), written «Hama» (alias, confidence 1.00)"],
            [],
            id="a place's coordinates",
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
            planned_alert(published_at=PUBLISHED),
            (),
            ["Date: 2026-11-21 18:30 UTC (read 2026-11-22 08:00 UTC)"],
            ["Date unknown"],
            id="the article's own date, beside the reading",
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
def test_a_message_says_what_as_written_in_which_sentence_by_which_rule_where_when_and_how_widely(
    alert, sources, present, absent
):
    body = body_of(alert, sources)

    lines = body.split("\n")
    for line in present:
        assert line in lines, body
    for word in absent:
        assert word not in body


def test_a_message_body_lists_its_lines_in_a_fixed_order():
    lines = body_of(planned_alert(published_at=PUBLISHED), ("feed:a", "feed:b")).split("\n")

    assert [line.split()[0] for line in lines] == [
        "Place:",
        "«Des",
        "Rule",
        "Article:",
        "Source:",
        "Carried",
        "Date:",
    ]


def test_a_message_lists_every_entry_with_its_sentence_and_rules_in_the_order_of_the_hits():
    text = "Des mortiers tombent. Puis Hama."
    hama = mention(text, "Hama", sentence="Puis Hama.")
    mortar = mention(text, "mortiers", "mortier", sentence="Des mortiers tombent.")
    (alert,) = decide([found(text, hama, mortar)], DEFAULT).alerts
    two_rules = replace(alert.hits[1], rules=(*alert.hits[1].rules, FiredRule("retour", "first_seen", "high", "why")))

    body = render_alert(alert.article, (alert.hits[0], two_rules), "high", (), NOW).body

    assert body.split("\n")[:6] == [
        "Weapon: mortier, written «mortiers» (alias, confidence 1.00)",
        "  «Des ⟦mortiers⟧ tombent.»",
        "  Rule mention: new mention",
        "Place: Hama, written «Hama» (alias, confidence 1.00)",
        "  «Puis ⟦Hama⟧.»",
        "  Rules mention: new mention; retour: why",
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
def test_a_message_title_names_the_entry_and_the_article_s_headline(title, headline):
    message = planned_alert(title=title).message

    assert message.title == f"Veille: Hama in «{headline}»"
    assert len(headline) <= 90


def entries_hit(names: list[str]) -> tuple[Hit, ...]:
    text = " ".join(names) + "."
    watched = watch_list(*(place(name.lower()) for name in names))
    (alert,) = decide([found(text, *names)], decision(watched)).alerts
    return alert.hits


@pytest.mark.parametrize(
    ("names", "severity", "title"),
    [
        pytest.param(["Hama"], "normal", "Veille: Hama in «Tirs»", id="one entry"),
        pytest.param(["Hama", "Alep"], "low", "Veille: Hama, Alep in «Tirs»", id="two entries, in their order"),
        pytest.param(
            ["Hama", "Alep", "Homs", "Idlib", "Raqqa", "Palmyre"],
            "normal",
            "Veille: Hama, Alep, Homs, Idlib and 2 more in «Tirs»",
            id="four names, then how many more",
        ),
        pytest.param(["Hama"], "high", "Veille [high]: Hama in «Tirs»", id="high severity said"),
        pytest.param(["Hama"], "critical", "Veille [critical]: Hama in «Tirs»", id="critical severity said"),
    ],
)
def test_a_message_title_names_its_entries_and_an_urgent_severity(names, severity, title):
    assert render_alert(article(), entries_hit(names), severity, (), NOW).title == title


def test_a_message_s_reading_time_is_written_in_the_zone_it_is_given():
    paris = timezone(timedelta(hours=1), "CET")

    assert body_of(planned_alert(), read_at=NOW.astimezone(paris)).endswith("Date unknown (read 2026-11-22 09:00 CET)")


def test_a_watched_entry_s_sentence_comes_from_its_mention_not_the_article_text():
    text = "Première phrase. Des tirs à Hama."
    (alert,) = decide([found(text, mention(text, "Hama", sentence="Des tirs à Hama."))], DEFAULT).alerts

    assert "  «Des tirs à ⟦Hama⟧.»" in body_of(alert).split("\n")


@pytest.mark.parametrize(
    ("sentence", "written", "shown"),
    [
        pytest.param("Des tirs à Hama.", "Hama", "Des tirs à ⟦Hama⟧.", id="the match marked"),
        pytest.param(
            "Hamad est parti de Hama.", "Hama", "Hamad est parti de ⟦Hama⟧.", id="the word, not a longer word"
        ),
        pytest.param("Hama-Nord puis Hama.", "Hama", "⟦Hama⟧-Nord puis Hama.", id="a word before a hyphen is a word"),
        pytest.param(
            "Des tirs " + "très " * 60 + "loin de Hama " + "et encore " * 30 + "fin.",
            "Hama",
            # Cut at word starts: "…très très", never "…s très".
            "…"
            + ("très " * 60 + "loin de ")[-160:].removeprefix("s ")
            + "⟦Hama⟧"
            + (" " + "et encore " * 30)[:153]
            + "…",
            id="a long sentence cut around the match",
        ),
        pytest.param("Ailleurs.", "Hama", "Ailleurs.", id="a match not in the sentence: unmarked"),
    ],
)
def test_the_sentence_marks_the_mention_where_it_is_written(sentence, written, shown):
    text = f"{sentence} {written}"
    item = found(text, mention(text, written, "hama", nth=text.count(written) - 1, sentence=sentence))
    (alert,) = decide([item], DEFAULT).alerts

    assert body_of(alert).split("\n")[1] == f"  «{shown}»"


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
