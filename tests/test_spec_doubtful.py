"""Specification of doubtful mentions (issue #12): held, shown and released, never dropped silently.

A watched mention is sure when its confidence reaches its entry's threshold (WatchList.threshold), else
doubtful. Rules fire on sure mentions unless a rule's `min_confidence` says otherwise; an entry an article
names only doubtfully, not alerted in its story and released by no rule, is held as doubtful. Hand-built
mentions in, a plan out: no database, no Prefect, no model.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.builders import (
    NOW,
    article,
    created_alert,
    decide,
    decision,
    found,
    held_doubtful,
    mention,
    period_figures,
    place,
    placed,
    rule,
    stored,
    watch_list,
    weapon,
)
from veille.decide import BASELINE_REASON
from veille.decide.release import RELEASED_BY_HAND, release_by_hand
from veille.digest import render_digest
from veille.errors import ConfigError
from veille.records import (
    ArticleMentions,
    BatchPlan,
    DecisionContext,
    EntryHistory,
    EntryMatch,
    HeldDoubtful,
    Mention,
    StoryRef,
)
from veille.report import render_monitor_report
from veille.rules.config import load_rules
from veille.summary import RunSummary
from veille.watchlist import WatchList

WATCHED = watch_list(place("hama"), place("alep"), place("raqqa", min_confidence=0.8), weapon("mortier", "mortier"))
MENTION = decision(WATCHED)
STORY = StoryRef(opened_by=("folder:test", "1.txt"))


def seen(text: str, written: str, confidence: float, *, nth: int = 0, by: str = "alias", why: str = "") -> Mention:
    """The watched mention of `written` (its entry id the word in lower case) with this confidence."""
    entry_id = {"mortiers": "mortier"}.get(written, written.lower())
    reasons = tuple(part for part in why.split("; ") if part)
    return replace(mention(text, written, entry_id, nth=nth), matched_by=by, confidence=confidence, reasons=reasons)


def alerted(plan: BatchPlan) -> list[tuple[str, list[str]]]:
    """Each message as (article key, [entry ids])."""
    return [(alert.article.key, [hit.entry.id for hit in alert.hits]) for alert in plan.alerts]


def held(plan: BatchPlan) -> list[tuple[str, str, str, float]]:
    """Each mention held as doubtful as (article key, entry id, variant, confidence)."""
    return [(d.article.key, d.entry.id, d.mention.text, d.mention.confidence) for d in plan.doubtful]


# --- Sure or doubtful: the entry's threshold ------------------------------------------------------


@pytest.mark.parametrize(
    ("watchlist", "written", "confidence", "alerts"),
    [
        pytest.param(WATCHED, "Hama", 0.9, True, id="over the default threshold of 0.5: alerts"),
        pytest.param(WATCHED, "Hama", 0.5, True, id="at the threshold: sure, alerts"),
        pytest.param(WATCHED, "Hama", 0.49, False, id="just under it: held as doubtful"),
        pytest.param(WATCHED, "Raqqa", 0.7, False, id="under an entry's own min_confidence of 0.8: doubtful"),
        pytest.param(WATCHED, "Raqqa", 0.8, True, id="at an entry's own min_confidence: sure"),
        pytest.param(
            WatchList(entries=WATCHED.entries, min_confidence=0.2), "Hama", 0.3, True, id="a lower list threshold"
        ),
        pytest.param(WATCHED, "Hama", 0.0, False, id="confidence 0: doubtful, still held, not dropped"),
    ],
)
def test_a_mention_under_its_entry_s_threshold_is_held_as_doubtful_instead_of_alerting(
    watchlist, written, confidence, alerts
):
    text = f"Des tirs à {written}."
    plan = decide([found(text, seen(text, written, confidence))], decision(watchlist))

    assert alerted(plan) == ([("a.txt", [written.lower()])] if alerts else [])
    assert held(plan) == ([] if alerts else [("a.txt", written.lower(), written, confidence)])


def test_a_doubtful_mention_keeps_everything_the_matcher_said_of_it():
    text = "La rue d'Alep est fermée."
    street = seen(text, "Alep", 0.31, by="fold", why="inside a street's name (rue d'Alep); a common noun before it")

    (doubtful,) = decide([placed(found(text, street, key="1.txt"), 7)], MENTION).doubtful

    assert (doubtful.article.key, doubtful.story, doubtful.entry.id) == ("1.txt", StoryRef(id=7), "alep")
    assert doubtful.mention == street
    assert (doubtful.mention.start, doubtful.mention.end, doubtful.mention.sentence) == (9, 13, text)
    assert doubtful.mention.reasons == ("inside a street's name (rue d'Alep)", "a common noun before it")


@pytest.mark.parametrize(
    ("confidences", "expected"),
    [
        pytest.param((0.2, 0.4, 0.3), (1, 0.4), id="the most confident of three"),
        pytest.param((0.4, 0.4), (0, 0.4), id="a tie: the first written"),
    ],
)
def test_an_entry_named_doubtfully_several_times_is_held_once_with_its_most_confident_mention(confidences, expected):
    text = " ".join("Hama." for _ in confidences)
    mentions = [seen(text, "Hama", value, nth=n) for n, value in enumerate(confidences)]

    (doubtful,) = decide([found(text, *mentions)], MENTION).doubtful

    nth, confidence = expected
    assert (doubtful.mention.start, doubtful.mention.confidence) == (mentions[nth].start, confidence)


def test_an_entry_with_one_sure_mention_alerts_on_it_and_is_not_held():
    text = "La rue d'Alep est fermée. Des frappes ont touché Alep."
    street, city = seen(text, "Alep", 0.3), seen(text, "Alep", 0.95, nth=1, why="the model tags it LOC")

    plan = decide([found(text, street, city)], MENTION)

    (alert,) = plan.alerts
    (hit,) = alert.hits
    assert (hit.mention, hit.occurrences) == (city, 1), "the sure mention is quoted and counted, not the street"
    assert plan.doubtful == ()


def test_each_entry_of_an_article_is_decided_on_its_own_mentions():
    text = "Des tirs à Hama, près de la rue d'Alep, et à Raqqa."
    mentions = [seen(text, "Hama", 0.9), seen(text, "Alep", 0.2), seen(text, "Raqqa", 0.6)]

    plan = decide([found(text, *mentions)], MENTION)

    assert alerted(plan) == [("a.txt", ["hama"])]
    assert held(plan) == [("a.txt", "alep", "Alep", 0.2), ("a.txt", "raqqa", "Raqqa", 0.6)]


def test_the_model_s_own_places_are_never_held():
    text = "Des tirs à Homs."
    homs = Mention(None, "LOC", "Homs", 11, 15, text, confidence=0.1)

    assert decide([found(text, homs)], MENTION).doubtful == ()


# --- Rules: sure mentions only, unless a rule's min_confidence says otherwise ---------------------

TEXT = "Des tirs à Hama et près de la rue d'Alep."
BOTH = found(TEXT, seen(TEXT, "Hama", 0.3), seen(TEXT, "Alep", 0.3))


@pytest.mark.parametrize(
    ("rules", "alerts", "doubtful"),
    [
        pytest.param((rule(),), [], ["hama", "alep"], id="the default rule fires on sure mentions only"),
        pytest.param(
            (rule(min_confidence=0),), [("a.txt", ["hama", "alep"])], [], id="min_confidence 0 releases every one"
        ),
        pytest.param(
            (rule(min_confidence=0.25),), [("a.txt", ["hama", "alep"])], [], id="a lower min_confidence releases them"
        ),
        pytest.param((rule(min_confidence=0.35),), [], ["hama", "alep"], id="one above their confidence does not"),
        pytest.param(
            (rule(), rule("all-of-alep", min_confidence=0, entries={"ids": ["alep"]})),
            [("a.txt", ["alep"])],
            ["hama"],
            id="only the entries the releasing rule takes",
        ),
        pytest.param(
            (rule("places", min_confidence=0, entries={"kinds": ["weapon"]}),),
            [],
            ["hama", "alep"],
            id="a releasing rule that takes other entries releases nothing",
        ),
        pytest.param(
            (rule(min_confidence=0, sources=["feed:afp"]),),
            [],
            ["hama", "alep"],
            id="a releasing rule for other sources releases nothing",
        ),
    ],
)
def test_rules_fire_on_sure_mentions_and_a_rule_s_min_confidence_releases_doubtful_ones(rules, alerts, doubtful):
    plan = decide([BOTH], decision(WATCHED, *rules))

    assert alerted(plan) == alerts
    assert [d.entry.id for d in plan.doubtful] == doubtful


def test_a_rule_stricter_than_the_watch_list_does_not_fire_and_holds_nothing_since_the_mention_is_sure():
    text = "Des tirs à Hama."
    plan = decide([found(text, seen(text, "Hama", 0.8))], decision(WATCHED, rule(min_confidence=0.9)))

    assert (plan.alerts, plan.doubtful) == ((), ())


def test_a_released_entry_s_message_quotes_the_mentions_its_rule_saw():
    text = "Hama. Hama encore."
    first, second = seen(text, "Hama", 0.1), seen(text, "Hama", 0.3, nth=1)

    (alert,) = decide([found(text, first, second)], decision(WATCHED, rule(min_confidence=0.2))).alerts

    assert (alert.hits[0].mention, alert.hits[0].occurrences) == (second, 1)


def test_a_co_occurrence_needs_both_entries_named_surely():
    text = "Des mortiers sur Hama."
    near = rule("near", "co_occurrence", entries={"kinds": ["weapon"]}, with_entries={"kinds": ["place"]})

    mortars = seen(text, "mortiers", 0.9)

    doubtful_place = decide([found(text, mortars, seen(text, "Hama", 0.2))], decision(WATCHED, near))
    both_sure = decide([found(text, mortars, seen(text, "Hama", 0.9))], decision(WATCHED, near))

    assert (alerted(doubtful_place), held(doubtful_place)) == ([], [("a.txt", "hama", "Hama", 0.2)])
    assert alerted(both_sure) == [("a.txt", ["mortier", "hama"])]


# --- Once per story, and never in the way of a sure mention ---------------------------------------


def one(text: str, written: str, confidence: float, key: str) -> ArticleMentions:
    return found(text, seen(text, written, confidence), key=key)


def street(key: str, confidence: float = 0.2) -> ArticleMentions:
    """An article naming Alep doubtfully, in a street's name."""
    return one("Rue d'Alep.", "Alep", confidence, key)


def city(key: str) -> ArticleMentions:
    """An article naming Alep surely."""
    return one("Alep bombardée.", "Alep", 0.9, key)


@pytest.mark.parametrize(
    ("batch", "context", "alerts", "doubtful"),
    [
        pytest.param(
            [placed(street("1.txt")), placed(city("2.txt"), STORY)],
            {},
            [("2.txt", ["alep"])],
            [("1.txt", "alep", "Alep", 0.2)],
            id="held in a story, then named surely in it within the batch: alerts",
        ),
        pytest.param(
            [placed(city("2.txt"), 5)],
            {"doubtful": {5: frozenset({"alep"})}},
            [("2.txt", ["alep"])],
            [],
            id="held in a stored story, then named surely in it: alerts",
        ),
        pytest.param(
            [placed(street("2.txt"), 5)],
            {"doubtful": {5: frozenset({"alep"})}},
            [],
            [],
            id="held already in the stored story: not held again",
        ),
        pytest.param(
            [placed(street("1.txt")), placed(street("2.txt", 0.3), STORY)],
            {},
            [],
            [("1.txt", "alep", "Alep", 0.2)],
            id="held earlier in the batch in the same story: not held again",
        ),
        pytest.param(
            [placed(street("1.txt")), placed(street("2.txt", 0.3))],
            {},
            [],
            [("1.txt", "alep", "Alep", 0.2), ("2.txt", "alep", "Alep", 0.3)],
            id="two stories: held in each",
        ),
        pytest.param(
            [placed(street("2.txt"), 5)],
            {"alerted": {5: frozenset({"alep"})}},
            [],
            [],
            id="already alerted in its story: nothing to hold",
        ),
        pytest.param(
            [placed(city("1.txt")), placed(street("2.txt"), STORY)],
            {},
            [("1.txt", ["alep"])],
            [],
            id="alerted earlier in the batch in the same story: nothing to hold",
        ),
    ],
)
def test_a_story_holds_an_entry_as_doubtful_once_and_a_later_sure_mention_still_alerts(
    batch, context, alerts, doubtful
):
    plan = decide(batch, MENTION, **context)

    assert alerted(plan) == alerts
    assert held(plan) == doubtful


def test_a_plan_carries_what_its_stories_hold_as_doubtful_to_a_dry_run_s_next_batch():
    first = decide([placed(one("Rue d'Alep.", "Alep", 0.2, "1.txt"), 5)], MENTION, doubtful={6: frozenset({"hama"})})

    assert first.held_doubtful == {StoryRef(id=5): frozenset({"alep"}), StoryRef(id=6): frozenset({"hama"})}
    assert first.alerted == {StoryRef(id=5): frozenset()}, "a doubtful entry takes no alert slot"


def test_a_baseline_source_holds_its_doubtful_entries_with_the_rest_of_its_backlog():
    text = "Des tirs à Hama, rue d'Alep."
    plan = decide(
        [found(text, seen(text, "Hama", 0.9), seen(text, "Alep", 0.2), source="feed:new")],
        MENTION,
        baseline_sources=frozenset({"feed:new"}),
    )

    (alert,) = plan.alerts
    assert (alert.held, [hit.entry.id for hit in alert.hits]) == (BASELINE_REASON, ["hama", "alep"])
    assert plan.doubtful == (), "old news, shown as the baseline's; not offered for release"


# --- An entry's past counts its sure mentions only ------------------------------------------------


def test_a_doubtful_mention_is_not_part_of_an_entry_s_past_for_first_seen_and_spike_rules():
    back = decision(WATCHED, rule("back", "first_seen", quiet_days=30))
    batch = [
        placed(street("1.txt")),
        placed(city("2.txt")),
    ]

    plan = decide(batch, back, history={"alep": EntryHistory(last_seen_at=NOW - timedelta(days=40))})

    assert [(a.article.key, [f.why for f in a.hits[0].rules]) for a in plan.alerts] == [
        ("2.txt", ["back in the news after 40 days"])
    ]
    assert plan.history["alep"].last_seen_at == NOW
    assert list(plan.history["alep"].recent) == [("folder:test", "2.txt")], "the street's story is not counted"


@pytest.mark.parametrize(("confidence", "counted"), [(0.5, True), (0.49, False)])
def test_a_mention_at_its_threshold_is_part_of_the_entry_s_past_and_one_under_it_is_not(confidence, counted):
    plan = decide([one("Hama.", "Hama", confidence, "1.txt")], decision(WATCHED, rule(entries={"ids": ["alep"]})))

    assert ("hama" in plan.history) is counted


# --- The rules file: min_confidence ---------------------------------------------------------------

TARGET_TAGS = frozenset({"alerts"})


def rules_file(tmp_path, text: str):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_a_rule_s_min_confidence_loads_and_defaults_to_the_watch_list_s_threshold(tmp_path):
    path = rules_file(
        tmp_path,
        """
        rules:
          - id: sure
            kind: mention
          - id: everything-on-alep
            kind: mention
            entries: {ids: [alep]}
            min_confidence: 0
        """,
    )

    sure, everything = load_rules(path, WATCHED, TARGET_TAGS).rules

    assert (sure.min_confidence, everything.min_confidence) == (None, 0.0)
    raqqa = WATCHED.get("raqqa")
    assert raqqa is not None
    assert (sure.threshold(raqqa, WATCHED), everything.threshold(raqqa, WATCHED)) == (0.8, 0.0)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        pytest.param("1.5", "Input should be less than or equal to 1", id="over 1"),
        pytest.param("-0.1", "Input should be greater than or equal to 0", id="negative"),
        pytest.param("yes", "Input should be a valid number", id="a yes YAML reads as true"),
        pytest.param('"0.5"', "Input should be a valid number", id="a quoted number"),
        pytest.param(".nan", "Input should be less than or equal to 1", id="not a number"),
    ],
)
def test_a_wrong_min_confidence_is_one_line_naming_file_line_and_key(tmp_path, value, problem):
    path = rules_file(tmp_path, f"rules:\n  - id: a\n    kind: mention\n    min_confidence: {value}\n")

    with pytest.raises(ConfigError) as caught:
        load_rules(path, WATCHED, TARGET_TAGS)

    assert str(caught.value) == f"{path}:4:5: rules[0].min_confidence: {problem}"


def test_an_article_without_watched_mentions_holds_nothing():
    assert decide([placed(found(article("Rien.")))], MENTION).doubtful == ()


# --- Alerts say how each entry was found ----------------------------------------------------------


@pytest.mark.parametrize(
    ("matched", "entry_line", "why_line"),
    [
        pytest.param(
            {"matched_by": "fold", "confidence": 0.92, "reasons": ("a doubled consonant",)},
            "Place: Deir ez-Zor, written «Deir Ezzor» (fold, confidence 0.92)",
            "  Why: a doubled consonant",
            id="a fold, less than certain, with its reason",
        ),
        pytest.param(
            {"matched_by": "gazetteer", "confidence": 0.555, "reasons": ()},
            "Place: Deir ez-Zor, written «Deir Ezzor» (gazetteer, confidence 0.56)",
            "  Why: no reason given",
            id="two decimals; no reason given",
        ),
        pytest.param(
            {"matched_by": "alias", "confidence": 1.0, "reasons": ("an alias of the watch list",)},
            "Place: Deir ez-Zor, written «Deir Ezzor» (alias, confidence 1.00)",
            None,
            id="certain: no why line",
        ),
        pytest.param(
            {"matched_by": "fuzzy", "confidence": 0.7, "reasons": ("near @everyone evil.top\nRule x: forged",)},
            "Place: Deir ez-Zor, written «Deir Ezzor» (fuzzy, confidence 0.70)",
            "  Why: near \uff20everyone evil[.]top Rule x: forged",
            id="a reason quoting the article is made inert and stays on its line",
        ),
    ],
)
def test_an_alert_says_for_each_entry_the_variant_its_matching_rule_and_confidence(matched, entry_line, why_line):
    text = "Des frappes sur Deir Ezzor."
    watched = watch_list(place("deir-ez-zor", "Deir ez-Zor"))
    variant = replace(mention(text, "Deir Ezzor", "deir-ez-zor"), **matched)

    (alert,) = decide([found(text, variant)], decision(watched, rule(min_confidence=0))).alerts

    lines = alert.message.body.split("\n")
    assert lines[0] == entry_line
    assert (lines[3] if lines[3].startswith("  Why") else None) == why_line
    (entry,) = alert.details["entries"]  # type: ignore[index]
    assert (entry["matched_by"], entry["confidence"], entry["reasons"]) == (
        matched["matched_by"],
        matched["confidence"],
        list(matched["reasons"]),
    )


# --- Shown: the run summary, the digest and the reports -------------------------------------------

STREET = held_doubtful(12, "Alep", "rue d'Alep", 0.31, ("inside a street's name", "a common noun before it"))
HAMAD = held_doubtful(13, "Hama", "Hamad", 0.2, (), kind="place", matched_by="fuzzy", location="test/b.txt")


def test_the_run_summary_says_how_many_mentions_were_held_as_doubtful_in_its_headline_and_lists_each():
    summary = RunSummary(doubtful=[STREET, HAMAD], alerts=[created_alert()])

    lines = summary.render().split("\n")

    assert summary.headline() == "1 alert, 0 sent; 2 mentions held as doubtful"
    assert lines[0] == "Veille monitor: 1 alert, 0 sent; 2 mentions held as doubtful"
    assert "  doubtful:      2 mentions held as doubtful, sent to no one (veille release ID sends one)" in lines
    assert lines[-2:] == [
        "    ? [12] place Alep, written «rue d'Alep» (alias, confidence 0.31: inside a street's name; a common noun "
        "before it) in «Rue fermée» (folder:test, test/a.txt)",
        "    ? [13] place Hama, written «Hamad» (fuzzy, confidence 0.20: no reason given) in «Rue fermée» "
        "(folder:test, test/b.txt)",
    ]


def test_a_run_without_doubtful_mentions_says_nothing_of_them():
    summary = RunSummary(alerts=[created_alert()])

    assert "doubtful" not in summary.render()


def test_the_run_summary_lists_at_most_fifteen_mentions_held_as_doubtful_and_counts_the_rest():
    summary = RunSummary(doubtful=[replace(STREET, id=n) for n in range(20)])

    lines = summary.render().split("\n")

    assert sum(line.startswith("    ? [") for line in lines) == 15
    assert lines[-1] == "    ? … and 5 more"


def test_the_run_summary_s_alert_lines_say_each_entry_s_variant_matching_rule_and_confidence():
    matches = (
        EntryMatch("Deir ez-Zor", "place", "Deir Ezzor", "fold", 0.92),
        EntryMatch("Kalibr", "weapon", "Kalibr", "alias", 1.0),
    )
    alert = replace(
        created_alert(entry_name="Deir ez-Zor", variant="Deir Ezzor"),
        entries=("Deir ez-Zor", "Kalibr"),
        matches=matches,
    )

    lines = RunSummary(alerts=[alert]).render().split("\n")

    assert (
        "    + place Deir ez-Zor, written «Deir Ezzor» (fold, confidence 0.92) + weapon Kalibr, written «Kalibr» "
        "(alias, confidence 1.00) in test/a.txt"
    ) in lines


def test_what_a_doubtful_mention_puts_in_the_run_summary_is_escaped_and_stays_on_its_line():
    forged = held_doubtful(
        9,
        variant="Alep\n    + place Hama in forged",
        reasons=("\x1b[2Jnear\u202e",),
        article_title="Titre\r\n    ! forged",
        location="test/a\nb.txt",
        sentence="Alep\n    + place Hama in forged est fermée.",
    )

    rendered = RunSummary(doubtful=[forged]).render()

    assert "\x1b" not in rendered and "\r" not in rendered and "\u202e" not in rendered
    (line,) = [line for line in rendered.split("\n") if "forged" in line]
    assert line.startswith("    ? [9] place Alep, written «Alep\\n    + place Hama in forged»")


def digest_body(*held: HeldDoubtful) -> list[str]:
    return render_digest(period_figures(doubtful=held), NOW - timedelta(hours=24), NOW).body.split("\n")


def test_the_digest_has_a_section_held_as_doubtful_each_with_how_to_release_it():
    released = replace(HAMAD, released_at=NOW, released_alert_id=40)
    settled = replace(held_doubtful(14, "Raqqa", "Raqqa"), alerted_since=41)

    lines = digest_body(STREET, released, settled)

    start = lines.index("Held as doubtful: 3 mentions, sent to no one unless released (1 still to decide)")
    assert lines[start + 1 : start + 4] == [
        "- [12] place Alep, written «rue d'Alep» (alias, confidence 0.31: inside a street's name; a common noun "
        "before it) in «Rue fermée» (folder:test, test/a.txt): release with veille release 12",
        "- [13] place Hama, written «Hamad» (fuzzy, confidence 0.20: no reason given) in «Rue fermée» "
        "(folder:test, test/b.txt): released as alert 40",
        "- [14] place Raqqa, written «Raqqa» (alias, confidence 0.31: inside a street's name) in «Rue fermée» "
        "(folder:test, test/a.txt): its story alerted Raqqa since (alert 41)",
    ]


def test_a_digest_without_doubtful_mentions_has_no_such_section():
    assert not any("doubtful" in line for line in digest_body())


def test_the_digest_makes_what_a_doubtful_mention_quotes_inert():
    hostile = held_doubtful(
        3,
        variant="Alep @everyone",
        reasons=("near [x](https://evil.example) evil.top",),
        article_title="<@&123> voir evil.top\nHeld as doubtful: forged",
    )

    lines = digest_body(hostile)

    (line,) = [line for line in lines if line.startswith("- [3]")]
    assert "@" not in line and "](" not in line and "evil.top" not in line and "<" not in line
    assert not any(line.startswith("Held as doubtful: forged") for line in lines)


def test_the_monitor_report_lists_the_mentions_held_as_doubtful_as_inert_list_items():
    summary = RunSummary(doubtful=[STREET, replace(HAMAD, article_title="a | b [x](y)")])

    report = render_monitor_report(summary, [], {}, 1.0)

    assert "## Held as doubtful (2)" in report
    assert (
        "- **12**: **Alep** (place), written «rue d'Alep» — 0.31 (alias): inside a street's name; "
        "a common noun before it\\\n" in report
    )
    (item,) = [line for line in report.split("\n") if line.startswith("- **13**")]
    second = report.split("\n")[report.split("\n").index(item) + 1]
    assert "a \\| b \\[x\\] \\(y\\)" in second and "](" not in second, "a link broken, a pipe escaped"


# --- Released by hand: the same decision, the mention taken as sure --------------------------------


def release(*held: HeldDoubtful, rules: tuple = (), **context) -> BatchPlan:
    """release_by_hand over `held`, each on its stored article (the article's text its sentence)."""
    items = [
        (item, stored(item.story_id, article(item.mention.sentence, key=f"{item.article_id}.txt"), item.article_id))
        for item in held
    ]
    return release_by_hand(items, DecisionContext(now=NOW, **context), decision(WATCHED, *rules))


def test_a_mention_released_by_hand_becomes_an_alert_that_keeps_its_confidence_and_says_it_was_released():
    plan = release(STREET)

    (alert,) = plan.alerts
    (hit,) = alert.hits
    assert (alert.story, hit.entry.id, [f.rule_id for f in hit.rules]) == (StoryRef(id=12), "alep", ["mention"])
    assert (hit.mention.text, hit.mention.confidence) == ("rue d'Alep", 0.31)
    assert hit.mention.reasons == ("inside a street's name", "a common noun before it", RELEASED_BY_HAND)
    lines = alert.message.body.split("\n")
    assert lines[0] == "Place: Alep, written «rue d'Alep» (alias, confidence 0.31)"
    assert lines[3] == "  Why: inside a street's name; a common noun before it; released by hand"
    assert alert.held is None and plan.released == (12,)
    assert plan.doubtful == (), "released, not held again"


@pytest.mark.parametrize(
    ("rules", "fired"),
    [
        pytest.param(
            (rule(min_confidence=0.9),), ["mention"], id="a rule stricter than its confidence takes it as sure"
        ),
        pytest.param(
            (rule("back", "first_seen", quiet_days=30),),
            ["by-hand"],
            id="a configured rule that does not fire: the rule by-hand does",
        ),
        pytest.param(
            (rule("by-hand", "first_seen", quiet_days=30),),
            ["by-hand-2"],
            id="by-hand taken by a configured rule: by-hand-2",
        ),
        pytest.param(
            (rule("afp", sources=["feed:afp"]), rule("weapons", entries={"kinds": ["weapon"]})),
            ["by-hand"],
            id="rules for other sources and entries",
        ),
        pytest.param((rule(), rule("everything", min_confidence=0)), ["mention", "everything"], id="two rules fire"),
    ],
)
def test_a_mention_released_by_hand_goes_through_the_configured_rules_and_is_sent_whatever_they_say(rules, fired):
    history = {"alep": EntryHistory(last_seen_at=NOW - timedelta(days=2))}

    (alert,) = release(STREET, rules=rules, history=history).alerts

    assert [f.rule_id for f in alert.hits[0].rules] == fired


def test_mentions_released_together_from_one_article_make_one_message():
    text = "Des tirs rue d'Alep et près de Hamad."
    alep = held_doubtful(1, "Alep", "Alep", sentence=text, article_id=5, story_id=5)
    hama = held_doubtful(2, "Hama", "Hamad", sentence=text, article_id=5, story_id=5)

    plan = release(alep, hama)

    assert [[hit.entry.id for hit in alert.hits] for alert in plan.alerts] == [["alep", "hama"]]
    assert plan.released == (1, 2)


def test_a_mention_whose_story_has_alerted_its_entry_since_is_not_sent_again():
    plan = release(STREET, alerted={12: frozenset({"alep"})})

    assert plan.alerts == () and plan.doubtful == ()
