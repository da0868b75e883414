"""Specification of the decision step (veille.decide.decide_batch) and of the rules file it reads.

Placed articles with hand-built mentions, a context as the store would give it, a configuration of
rules and targets in; a plan of messages, held entries and deliveries out. No database, no Prefect,
no model: each table says what the rules do.
"""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.builders import (
    NOW,
    article,
    decide,
    decision,
    found,
    mention,
    place,
    placed,
    rule,
    target,
    watch_list,
    weapon,
)
from veille.decide import BASELINE_REASON, DecisionConfig
from veille.errors import ConfigError
from veille.records import ArticleMentions, BatchPlan, EntryHistory, PlacedArticle, StoryRef
from veille.rules.config import DEFAULT_RULES, load_rules

WATCHED = watch_list(
    place("hama", tags=("syrie",)),
    place("alep", tags=("syrie",)),
    place("deir-ez-zor", "Deir ez-Zor", tags=("est",)),
    weapon("kalibr", tags=("missiles",)),
    weapon("mortier", "mortier"),
)
MENTION = decision(WATCHED)
# Articles are read at NOW (builders.placed) unless a test says otherwise.
STRIKE = "Des Kalibr sur Deir ez-Zor."


def item(text: str, *written: str, key: str = "a.txt", source: str = "folder:test", **fields) -> ArticleMentions:
    """An article and its watched mentions, each `written` as the entry's name (its id is the name's)."""
    ids = {entry.name: entry.id for entry in WATCHED.entries}
    return found(
        article(text, key=key, source=source, **fields),
        *(mention(text, name, ids.get(name, name.lower())) for name in written),
    )


def fired(plan: BatchPlan) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Each message as (article key, [(entry id, [rule ids])]) in the plan's order."""
    return [
        (alert.article.key, [(hit.entry.id, [f.rule_id for f in hit.rules]) for hit in alert.hits])
        for alert in plan.alerts
    ]


def why(plan: BatchPlan) -> dict[str, list[str]]:
    """Why each entry fired, by entry id, over the plan's messages."""
    reasons: dict[str, list[str]] = {}
    for alert in plan.alerts:
        for hit in alert.hits:
            reasons.setdefault(hit.entry.id, []).extend(f"{f.rule_id}: {f.why}" for f in hit.rules)
    return reasons


# --- One message per article, on entries new to its story ------------------------------------------

NEW_STORY = StoryRef(opened_by=("folder:test", "1.txt"))


@pytest.mark.parametrize(
    ("batch", "alerted", "expected"),
    [
        pytest.param(
            [placed(item("Hama, Alep puis Hama.", "Hama", "Alep", key="1.txt"))],
            {},
            [("1.txt", [("hama", ["mention"]), ("alep", ["mention"])])],
            id="one article, two entries: one message listing both in the order of first mention",
        ),
        pytest.param(
            [placed(item("Hama puis Alep.", "Alep", "Hama", key="1.txt"))],
            {},
            [("1.txt", [("hama", ["mention"]), ("alep", ["mention"])])],
            id="the order of writing, whatever the order of the mentions given",
        ),
        pytest.param(
            [
                placed(item("Alep.", "Alep", key="1.txt")),
                placed(item("Hama et Alep.", "Hama", "Alep", key="2.txt"), NEW_STORY),
            ],
            {},
            [("1.txt", [("alep", ["mention"])]), ("2.txt", [("hama", ["mention"])])],
            id="a second article of the same new story: only the entry new to the story",
        ),
        pytest.param(
            [
                placed(item("Alep.", "Alep", key="1.txt"), 4),
                placed(item("Alep et Hama.", "Alep", "Hama", key="2.txt"), 4),
            ],
            {},
            [("1.txt", [("alep", ["mention"])]), ("2.txt", [("hama", ["mention"])])],
            id="a second article of the same stored story: only the entry new to the story",
        ),
        pytest.param(
            [placed(item("Alep.", "Alep", key="1.txt")), placed(item("Alep encore.", "Alep", key="2.txt"))],
            {},
            [("1.txt", [("alep", ["mention"])]), ("2.txt", [("alep", ["mention"])])],
            id="two stories: the entry alerts in each",
        ),
        pytest.param(
            [placed(item("Alep.", "Alep", key="1.txt")), placed(item("Alep, suite.", "Alep", key="2.txt"), NEW_STORY)],
            {},
            [("1.txt", [("alep", ["mention"])])],
            id="an entry in two articles of one new story within the batch: once",
        ),
        pytest.param(
            [placed(item("Hama et Alep.", "Hama", "Alep", key="1.txt"), 5)],
            {5: frozenset({"hama"})},
            [("1.txt", [("alep", ["mention"])])],
            id="context.alerted suppresses what the story already has",
        ),
        pytest.param(
            [placed(item("Hama et Alep.", "Hama", "Alep", key="1.txt"), 5)],
            {5: frozenset({"hama", "alep"})},
            [],
            id="everything the article names alerted: no message",
        ),
    ],
)
def test_each_article_gets_one_message_on_the_entries_new_to_its_story(batch, alerted, expected):
    assert fired(decide(batch, MENTION, alerted=alerted)) == expected


def test_a_message_s_fields_give_every_entry_with_its_rules_for_the_file_target():
    coordinates = watch_list(place("hama", coordinates=(35.132, 36.758)), weapon("kalibr"))
    text = "Des missiles Kalibr sur Hama, puis Hama."
    found_in = found(
        text,
        mention(text, "missiles Kalibr", "kalibr"),
        mention(text, "Hama"),
        mention(text, "Hama", nth=1),
        source="feed:afp",
        location="https://www.afp.example/a/1",
        published_at=NOW - timedelta(hours=3),
    )

    (alert,) = decide([placed(found_in, 9)], decision(coordinates), story_sources={9: ("feed:reuters",)}).alerts

    assert alert.details == {
        "severity": "normal",
        "tags": ["alerts", "weapon", "kalibr", "place", "hama"],
        "article": {
            "title": "Tirs",
            "url": "https://www.afp.example/a/1",
            "location": "https://www.afp.example/a/1",
            "source": "feed:afp",
            "date": "2026-11-22T05:00:00+00:00",
            "read_at": "2026-11-22T08:00:00+00:00",
        },
        "sources": ["feed:afp", "feed:reuters"],
        "entries": [
            {
                "id": "kalibr",
                "name": "Kalibr",
                "kind": "weapon",
                "variant": "missiles Kalibr",
                "sentence": text,
                "occurrences": 1,
                "matched_by": "alias",
                "confidence": 1.0,
                "reasons": [],
                "coordinates": None,
                "rules": [{"id": "mention", "kind": "mention", "severity": "normal", "why": "new mention"}],
            },
            {
                "id": "hama",
                "name": "Hama",
                "kind": "place",
                "variant": "Hama",
                "sentence": text,
                "occurrences": 2,
                "matched_by": "alias",
                "confidence": 1.0,
                "reasons": [],
                "coordinates": [35.132, 36.758],
                "rules": [{"id": "mention", "kind": "mention", "severity": "normal", "why": "new mention"}],
            },
        ],
    }
    assert "Carried by 2 sources: feed:afp, feed:reuters" in alert.message.body.split("\n")


# --- Rule kinds: first_seen -----------------------------------------------------------------------

BACK = decision(WATCHED, rule("back", "first_seen", quiet_days=30))


@pytest.mark.parametrize(
    ("last_seen", "published", "reason"),
    [
        pytest.param(None, None, "back: first mention ever", id="never seen: first mention ever"),
        pytest.param(NOW - timedelta(days=94, hours=5), None, "back: back in the news after 94 days", id="94 days"),
        pytest.param(NOW - timedelta(days=30), None, "back: back in the news after 30 days", id="exactly quiet_days"),
        pytest.param(NOW - timedelta(days=29, hours=23), None, None, id="29 days 23 h: seen recently, silent"),
        pytest.param(NOW - timedelta(hours=2), None, None, id="seen this morning: silent"),
        pytest.param(NOW + timedelta(days=2), None, None, id="seen later than the article: silent"),
        pytest.param(
            NOW - timedelta(days=40),
            NOW - timedelta(days=20),
            None,
            id="an article dated 20 days after the last: silent, its own date counts",
        ),
        pytest.param(
            NOW - timedelta(days=40),
            NOW + timedelta(days=5),
            "back: back in the news after 40 days",
            id="a date later than the reading: the reading counts",
        ),
    ],
)
def test_first_seen_fires_on_an_entry_quiet_for_quiet_days_or_never_seen(last_seen, published, reason):
    history = {} if last_seen is None else {"hama": EntryHistory(last_seen_at=last_seen)}

    plan = decide([item("Hama.", "Hama", published_at=published)], BACK, history=history)

    assert why(plan) == ({"hama": [reason]} if reason else {})


def test_first_seen_one_day_is_said_in_the_singular():
    rules = decision(WATCHED, rule("back", "first_seen", quiet_days=1))
    history = {"hama": EntryHistory(last_seen_at=NOW - timedelta(days=1, hours=1))}

    assert why(decide([item("Hama.", "Hama")], rules, history=history)) == {
        "hama": ["back: back in the news after 1 day"]
    }


def test_first_seen_counts_the_batch_s_earlier_articles_as_seen():
    batch = [item("Hama.", "Hama", key="1.txt"), item("Hama encore.", "Hama", key="2.txt")]

    plan = decide(batch, BACK)

    assert fired(plan) == [("1.txt", [("hama", ["back"])])]
    assert plan.history["hama"].last_seen_at == NOW


# --- Rule kinds: co_occurrence --------------------------------------------------------------------

WEAPON_NEAR_PLACE = {"entries": {"kinds": ["weapon"]}, "with_entries": {"kinds": ["place"]}}


def near(within: int | None = None, **selectors) -> DecisionConfig:
    """A co_occurrence rule: a weapon and a place (or the groups of `selectors`), in one sentence or `within` words."""
    fields = {**WEAPON_NEAR_PLACE, **selectors}
    if within is not None:
        fields["within_tokens"] = within
    return decision(WATCHED, rule("near", "co_occurrence", **fields))


def sentences(*parts: tuple[str, list[str]]) -> ArticleMentions:
    """An article of these sentences, each with the entries written in it (mentions carry their sentence)."""
    text = " ".join(sentence for sentence, _ in parts)
    ids = {entry.name: entry.id for entry in WATCHED.entries}
    mentions, offset = [], 0
    for sentence, names in parts:
        for name in names:
            at = text.index(name, offset)
            mentions.append(mention(text, name, ids[name], nth=text[:at].count(name), sentence=sentence))
        offset += len(sentence) + 1
    return found(text, *mentions)


@pytest.mark.parametrize(
    ("config", "article_", "reasons"),
    [
        pytest.param(
            near(),
            sentences((STRIKE, ["Kalibr", "Deir ez-Zor"])),
            {
                "kalibr": ["near: with Deir ez-Zor in one sentence"],
                "deir-ez-zor": ["near: with Kalibr in one sentence"],
            },
            id="a weapon and a place in one sentence: both fire, each with the other",
        ),
        pytest.param(
            near(),
            sentences(("Des Kalibr tirés.", ["Kalibr"]), ("Deir ez-Zor touchée.", ["Deir ez-Zor"])),
            {},
            id="in two sentences: silent",
        ),
        pytest.param(
            near(3),
            sentences(("Des Kalibr tirés sur Deir ez-Zor.", ["Kalibr", "Deir ez-Zor"])),
            {"kalibr": ["near: with Deir ez-Zor within 3 words"], "deir-ez-zor": ["near: with Kalibr within 3 words"]},
            id="two words apart, within 3: fires",
        ),
        pytest.param(
            near(1),
            sentences(("Des Kalibr tirés sur Deir ez-Zor.", ["Kalibr", "Deir ez-Zor"])),
            {},
            id="two words apart, within 1: silent",
        ),
        pytest.param(
            near(0),
            sentences(("Les Kalibr", ["Kalibr"]), ("Deir ez-Zor touchée.", ["Deir ez-Zor"])),
            {"kalibr": ["near: with Deir ez-Zor within 0 words"], "deir-ez-zor": ["near: with Kalibr within 0 words"]},
            id="within K words is enough, across a sentence's end",
        ),
        pytest.param(
            near(),
            sentences(("Des Kalibr et des mortiers.", ["Kalibr", "mortier"])),
            {},
            id="two weapons, no place: the same group, silent",
        ),
        pytest.param(
            near(entries={"tags": ["missiles"]}, with_entries={"ids": ["hama"]}),
            sentences(("Des Kalibr sur Hama et Alep.", ["Kalibr", "Hama", "Alep"])),
            {"kalibr": ["near: with Hama in one sentence"], "hama": ["near: with Kalibr in one sentence"]},
            id="groups by tag and by id: Alep is in neither",
        ),
        pytest.param(
            near(entries={"tags": ["syrie"]}, with_entries={"kinds": ["place"]}),
            sentences(("Hama seule.", ["Hama"])),
            {},
            id="an entry in both groups does not pair with itself",
        ),
    ],
)
def test_co_occurrence_fires_on_both_entries_of_two_groups_near_each_other(config, article_, reasons):
    assert why(decide([article_], config)) == reasons


def test_co_occurrence_fires_on_the_entry_new_to_the_story_beside_one_already_alerted():
    plan = decide(
        [placed(sentences((STRIKE, ["Kalibr", "Deir ez-Zor"])), 3)], near(), alerted={3: frozenset({"kalibr"})}
    )

    assert why(plan) == {"deir-ez-zor": ["near: with Kalibr in one sentence"]}


# --- Rule kinds: spike ----------------------------------------------------------------------------

SPIKE = decision(WATCHED, rule("burst", "spike", window_hours=24, baseline_days=28))
# The 28 days before the window (NOW - 24 h): the spike's baseline.
BASELINE_DAYS = [date(2026, 11, 21) - timedelta(days=back) for back in range(1, 29)]


def spike_history(per_day: int, in_window: int, last_spike_at: datetime | None = None) -> dict[str, EntryHistory]:
    """Kalibr's past: `per_day` stories each baseline day, and `in_window` stories of the last 24 h."""
    recent: dict[int | tuple[str, str], datetime] = {100 + n: NOW - timedelta(hours=1 + n) for n in range(in_window)}
    return {
        "kalibr": EntryHistory(
            last_seen_at=NOW - timedelta(hours=1) if in_window else None,
            stories_by_day=dict.fromkeys(BASELINE_DAYS, per_day) if per_day else {},
            recent=recent,
            last_spike_at=last_spike_at,
        )
    }


@pytest.mark.parametrize(
    ("per_day", "in_window", "reason"),
    [
        pytest.param(0, 4, "5 stories in 24 h, usual 0/day (p = 0.0002)", id="usual 0/day, 5 in 24 h: p=2e-4 fires"),
        pytest.param(0, 3, None, id="usual 0/day, 4 in 24 h: p=0.002 silent"),
        pytest.param(0, 1, None, id="usual 0/day, 2 in 24 h: under min_count, silent"),
        pytest.param(1, 2, None, id="usual 1/day, 3 in 24 h (the trickle): p=0.08 silent"),
        pytest.param(1, 0, None, id="usual 1/day, 1 in 24 h: p=0.6 silent"),
        pytest.param(1, 5, "6 stories in 24 h, usual 1/day (p = 0.0006)", id="usual 1/day, 6 in 24 h: p=6e-4 fires"),
        pytest.param(2, 3, None, id="usual 2/day, 4 in 24 h: p=0.1 silent"),
        pytest.param(2, 11, "12 stories in 24 h, usual 2/day (p = 1e-6)", id="usual 2/day, 12 in 24 h: p=1e-6 fires"),
    ],
)
def test_spike_fires_on_a_burst_against_the_entry_s_own_history_and_not_on_its_trickle(per_day, in_window, reason):
    plan = decide([item("Des Kalibr.", "Kalibr")], SPIKE, history=spike_history(per_day, in_window))

    assert why(plan) == ({"kalibr": [f"burst: {reason}"]} if reason else {}), why(plan)


def test_a_spike_fires_once_per_window_within_a_batch_and_after_it():
    burst = [item(f"Kalibr {n}.", "Kalibr", key=f"{n}.txt") for n in range(1, 9)]

    plan = decide(burst, SPIKE)
    later = decide([item("Kalibr 9.", "Kalibr", key="9.txt")], SPIKE, history=spike_history(0, 8, last_spike_at=NOW))
    next_day = decide(
        [item("Kalibr 9.", "Kalibr", key="9.txt")],
        SPIKE,
        history=spike_history(0, 8, last_spike_at=NOW - timedelta(hours=25)),
    )

    assert fired(plan) == [("5.txt", [("kalibr", ["burst"])])], "the 5th story of a silent entry: p = 2e-4"
    assert plan.history["kalibr"].last_spike_at == NOW
    assert later.alerts == ()
    assert why(next_day) == {"kalibr": ["burst: 9 stories in 24 h, usual 0/day (p = 3e-9)"]}


def test_a_spike_counts_stories_not_copies():
    copies = [placed(item(f"Kalibr {n}.", "Kalibr", key=f"{n}.txt"), 7) for n in range(1, 9)]

    assert decide(copies, SPIKE).alerts == ()


# --- Rule filters and severity --------------------------------------------------------------------

EVERYTHING = item("Hama, Kalibr, Deir ez-Zor et mortier.", "Hama", "Kalibr", "Deir ez-Zor", "mortier")


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param({}, ["hama", "kalibr", "deir-ez-zor", "mortier"], id="no selector: every entry"),
        pytest.param({"ids": ["kalibr"]}, ["kalibr"], id="by id"),
        pytest.param({"kinds": ["place"]}, ["hama", "deir-ez-zor"], id="by kind"),
        pytest.param({"tags": ["syrie", "missiles"]}, ["hama", "kalibr"], id="by tag"),
        pytest.param({"ids": ["mortier"], "tags": ["est"]}, ["deir-ez-zor", "mortier"], id="id or tag"),
    ],
)
def test_a_rule_covers_the_entries_its_selector_names_by_id_kind_or_tag(entries, expected):
    config = decision(WATCHED, rule("some", entries=entries))

    (alert,) = decide([EVERYTHING], config).alerts

    assert list(alert.entry_ids) == expected


@pytest.mark.parametrize(
    ("filters", "source", "languages", "fires"),
    [
        pytest.param({"sources": ["afp"]}, "feed:afp", {}, True, id="a source by its feed name"),
        pytest.param({"sources": ["feed:afp"]}, "feed:afp", {}, True, id="a source by its full name"),
        pytest.param({"sources": ["afp"]}, "feed:reuters", {}, False, id="another source"),
        pytest.param({"sources": ["seeds"]}, "folder:seeds", {}, True, id="a folder"),
        pytest.param({"languages": ["fr"]}, "feed:afp", {"feed:afp": "fr"}, True, id="its language"),
        pytest.param({"languages": ["fr"]}, "feed:afp", {"feed:afp": "en"}, False, id="another language"),
        pytest.param({"languages": ["fr"]}, "feed:afp", {}, False, id="a language not known"),
        pytest.param({}, "feed:afp", {"feed:afp": "en"}, True, id="no filter"),
    ],
)
def test_a_rule_applies_to_the_sources_and_languages_it_names(filters, source, languages, fires):
    config = decision(WATCHED, rule("some", **filters))

    plan = decide([item("Hama.", "Hama", source=source)], config, languages=languages)

    assert bool(plan.alerts) is fires


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        pytest.param(["normal"], "normal", id="one rule"),
        pytest.param(["low", "high"], "high", id="low and high: high"),
        pytest.param(["critical", "low", "normal"], "critical", id="the highest of three"),
    ],
)
def test_a_message_s_severity_is_the_highest_of_the_rules_fired(severities, expected):
    rules = [rule(f"r{n}", severity=severity) for n, severity in enumerate(severities)]

    (alert,) = decide([item("Hama.", "Hama")], decision(WATCHED, *rules)).alerts

    assert alert.severity == expected
    assert alert.details["severity"] == expected


def test_a_message_s_severity_spans_its_entries():
    rules = decision(
        WATCHED,
        rule("places", entries={"kinds": ["place"]}),
        rule("kalibr", entries={"ids": ["kalibr"]}, severity="critical"),
    )

    (alert,) = decide([item("Hama et Kalibr.", "Hama", "Kalibr")], rules).alerts

    assert (alert.entry_ids, alert.severity) == (("hama", "kalibr"), "critical")
    assert alert.message.title.startswith("Veille [critical]: Hama, Kalibr in")


# --- Routing ---------------------------------------------------------------------------------------


def delivered(plan: BatchPlan) -> list[list[tuple[str, str]]]:
    """For each message, its deliveries as (target key, status)."""
    return [[(d.target.key, d.status) for d in alert.deliveries] for alert in plan.alerts]


TWO_RULES = decision(
    WATCHED,
    rule("places", entries={"kinds": ["place"]}, tags=["desk"]),
    rule("hama", entries={"ids": ["hama"]}, tags=["duty"]),
    targets=[target("desk", "desk"), target("duty", "duty"), target("all", "alerts"), target("other", "other")],
)


def test_a_message_that_two_rules_route_to_two_tags_reaches_each_of_their_targets_once():
    (alert,) = decide([item("Hama et Alep.", "Hama", "Alep")], TWO_RULES).alerts

    assert [(d.target.key, d.status, d.due_at) for d in alert.deliveries] == [
        ("desk", "pending", NOW),
        ("duty", "pending", NOW),
        ("all", "pending", NOW),
    ]
    assert alert.tags == ("alerts", "place", "hama", "syrie", "desk", "duty", "alep")


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        pytest.param([target("plain")], ["plain"], id="an untagged target takes everything"),
        pytest.param([target("always", "always")], ["always"], id="a target tagged always takes everything"),
        pytest.param([target("syrie", "syrie")], ["syrie"], id="a target with the entry's tag"),
        pytest.param([target("une", "une")], ["une"], id="a target with the source's tag"),
        pytest.param([target("hama", "hama")], ["hama"], id="a target with the entry's id"),
        pytest.param([target("weapon", "weapon")], [], id="a target with another kind"),
        pytest.param([], [], id="no target: no delivery (unrouted)"),
    ],
)
def test_a_message_reaches_the_targets_whose_tags_it_carries(targets, expected):
    config = decision(WATCHED, targets=targets)

    (alert,) = decide([item("Hama.", "Hama", tags=("une",))], config).alerts

    assert [d.target.key for d in alert.deliveries] == expected


# --- Delivery modes: digest, quiet hours, rate limit -------------------------------------------------


def test_a_digest_rule_queues_its_messages_for_the_target_s_digest():
    config = decision(WATCHED, rule("daily", mode="digest"), targets=[target("t")])

    (alert,) = decide([item("Hama.", "Hama")], config).alerts

    assert [(d.status, d.due_at, d.reason) for d in alert.deliveries] == [("queued", NOW, "digest rule daily")]


def test_a_message_that_an_immediate_rule_also_routes_to_a_target_goes_at_once():
    config = decision(
        WATCHED,
        rule("daily", mode="digest"),
        rule("urgent", entries={"ids": ["kalibr"]}, tags=["duty"]),
        targets=[target("desk", "alerts"), target("duty", "duty")],
    )

    (alert,) = decide([item("Hama et Kalibr.", "Hama", "Kalibr")], config).alerts

    assert [(d.target.key, d.status, d.reason) for d in alert.deliveries] == [
        ("desk", "pending", None),
        ("duty", "pending", None),
    ]


PARIS_NIGHT = ("22:00", "07:00", "Europe/Paris")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quiet", "now", "due", "reason"),
    [
        pytest.param(PARIS_NIGHT, utc(2026, 11, 22, 11), utc(2026, 11, 22, 11), None, id="noon in Paris: at once"),
        pytest.param(
            PARIS_NIGHT,
            utc(2026, 11, 22, 22, 30),
            utc(2026, 11, 23, 6),
            "quiet hours until 07:00 Europe/Paris",
            id="23:30 in Paris (winter): at 07:00 the next day, 06:00 UTC",
        ),
        pytest.param(
            PARIS_NIGHT,
            utc(2026, 11, 22, 1),
            utc(2026, 11, 22, 6),
            "quiet hours until 07:00 Europe/Paris",
            id="02:00 in Paris, after midnight: at 07:00 the same day",
        ),
        pytest.param(
            PARIS_NIGHT,
            utc(2026, 7, 1, 21, 30),
            utc(2026, 7, 2, 5),
            "quiet hours until 07:00 Europe/Paris",
            id="23:30 in Paris (summer): 07:00 is 05:00 UTC",
        ),
        pytest.param(
            PARIS_NIGHT,
            utc(2026, 11, 22, 21),
            utc(2026, 11, 23, 6),
            "quiet hours until 07:00 Europe/Paris",
            id="22:00 sharp: quiet",
        ),
        pytest.param(PARIS_NIGHT, utc(2026, 11, 22, 6), utc(2026, 11, 22, 6), None, id="07:00 sharp: at once"),
        pytest.param(
            PARIS_NIGHT,
            utc(2027, 3, 27, 22),
            utc(2027, 3, 28, 5),
            "quiet hours until 07:00 Europe/Paris",
            id="the night clocks go forward: 07:00 is 05:00 UTC",
        ),
        pytest.param(
            PARIS_NIGHT,
            utc(2026, 10, 24, 21),
            utc(2026, 10, 25, 6),
            "quiet hours until 07:00 Europe/Paris",
            id="the night clocks go back: 07:00 is 06:00 UTC",
        ),
        pytest.param(
            ("01:00", "02:30", "Europe/Paris"),
            utc(2026, 10, 25, 0, 15),
            utc(2026, 10, 25, 0, 30),
            "quiet hours until 02:30 Europe/Paris",
            id="02:15 summer time, before the clocks go back: 02:30 summer time",
        ),
        pytest.param(
            ("01:00", "02:30", "Europe/Paris"),
            utc(2026, 10, 25, 1, 15),
            utc(2026, 10, 25, 1, 30),
            "quiet hours until 02:30 Europe/Paris",
            id="02:15 winter time, the hour again: 02:30 winter time, not the past one",
        ),
        pytest.param(
            ("22:00", "06:00", "America/New_York"),
            utc(2026, 11, 22, 3, 30),
            utc(2026, 11, 22, 11),
            "quiet hours until 06:00 America/New_York",
            id="22:30 in New York: 06:00 there, 11:00 UTC",
        ),
        pytest.param(
            ("12:00", "14:00", "Asia/Tokyo"),
            utc(2026, 11, 22, 4),
            utc(2026, 11, 22, 5),
            "quiet hours until 14:00 Asia/Tokyo",
            id="hours within a day: 13:00 in Tokyo until 14:00",
        ),
        pytest.param(
            ("12:00", "14:00", "Asia/Tokyo"), utc(2026, 11, 22, 6), utc(2026, 11, 22, 6), None, id="15:00 in Tokyo"
        ),
    ],
)
def test_quiet_hours_hold_a_message_until_they_end_in_the_target_s_time_zone(quiet, now, due, reason):
    config = decision(WATCHED, targets=[target("t", "alerts", quiet_hours=quiet)])

    (alert,) = decide([placed(item("Hama.", "Hama"), read_at=now)], config, now=now).alerts

    assert [(d.status, d.due_at, d.reason) for d in alert.deliveries] == [("pending", due, reason)]


NIGHT = utc(2026, 11, 22, 23)


@pytest.mark.parametrize(
    ("sent_recently", "normal"),
    [
        pytest.param(0, ("pending", utc(2026, 11, 23, 6), "quiet hours until 07:00 Europe/Paris"), id="in quiet hours"),
        pytest.param(5, ("queued", NIGHT, "over the rate limit of 1 per 1 h"), id="over the rate limit"),
    ],
)
def test_a_critical_message_skips_quiet_hours_and_the_rate_limit(sent_recently, normal):
    config = decision(
        WATCHED,
        rule("kalibr", entries={"ids": ["kalibr"]}, severity="critical"),
        rule("places", entries={"kinds": ["place"]}),
        targets=[target("t", "alerts", quiet_hours=PARIS_NIGHT, rate_limit=(1, 1))],
    )
    batch = [
        placed(item("Hama.", "Hama", key="1.txt"), read_at=NIGHT),
        placed(item("Kalibr.", "Kalibr", key="2.txt"), read_at=NIGHT),
    ]

    plan = decide(batch, config, now=NIGHT, sent_recently={"t": sent_recently})

    assert [(alert.severity, [(d.status, d.due_at, d.reason) for d in alert.deliveries]) for alert in plan.alerts] == [
        ("normal", [normal]),
        ("critical", [("pending", NIGHT, None)]),
    ]


def rate_limited(count: int, hours: float, articles: int, sent_recently: int = 0) -> list[tuple[str, str | None]]:
    config = decision(WATCHED, targets=[target("t", "alerts", rate_limit=(count, hours)), target("free")])
    batch = [item(f"Hama {n}.", "Hama", key=f"{n}.txt") for n in range(articles)]
    plan = decide(batch, config, sent_recently={"t": sent_recently} if sent_recently else {})
    for alert in plan.alerts:
        assert [(d.target.key, d.status) for d in alert.deliveries if d.target.key == "free"] == [("free", "pending")]
    return [(d.status, d.reason) for alert in plan.alerts for d in alert.deliveries if d.target.key == "t"]


OVER_2 = ("queued", "over the rate limit of 2 per 1 h")


@pytest.mark.parametrize(
    ("count", "hours", "articles", "sent_recently", "expected"),
    [
        pytest.param(2, 1, 2, 0, [("pending", None)] * 2, id="2 of 2 per hour: at once"),
        pytest.param(2, 1, 4, 0, [("pending", None)] * 2 + [OVER_2] * 2, id="4 of 2 per hour: the rest queued"),
        pytest.param(2, 1, 3, 1, [("pending", None), OVER_2, OVER_2], id="one sent in the window already"),
        pytest.param(2, 1, 2, 2, [OVER_2] * 2, id="the limit reached before the batch"),
        pytest.param(
            3,
            0.5,
            4,
            0,
            [("pending", None)] * 3 + [("queued", "over the rate limit of 3 per 0.5 h")],
            id="3 per half hour",
        ),
    ],
)
def test_a_rate_limit_queues_what_comes_after_n_in_its_window_for_the_digest(
    count, hours, articles, sent_recently, expected
):
    assert rate_limited(count, hours, articles, sent_recently) == expected


def test_a_message_held_by_quiet_hours_counts_against_the_rate_limit():
    config = decision(WATCHED, targets=[target("t", "alerts", quiet_hours=PARIS_NIGHT, rate_limit=(1, 1))])
    batch = [placed(item(f"Hama {n}.", "Hama", key=f"{n}.txt"), read_at=NIGHT) for n in range(2)]

    plan = decide(batch, config, now=NIGHT)

    assert [d.status for alert in plan.alerts for d in alert.deliveries] == ["pending", "queued"]


# --- Baseline: a new source's backlog is held -------------------------------------------------------


def test_a_baseline_source_s_entries_are_held_with_no_delivery():
    config = decision(WATCHED, targets=[target("t")])

    plan = decide(
        [item("Hama et Kalibr.", "Hama", "Kalibr", source="feed:new")], config, baseline_sources=frozenset({"feed:new"})
    )

    (alert,) = plan.alerts
    assert alert.held == BASELINE_REASON
    assert alert.deliveries == ()
    assert alert.entry_ids == ("hama", "kalibr")
    assert (plan.notified, plan.held) == ((), (alert,))


def test_a_baseline_article_s_entries_count_as_alerted_for_later_articles_of_its_story():
    config = decision(WATCHED, targets=[target("t")])
    story = StoryRef(opened_by=("feed:new", "1"))
    batch = [
        placed(item("Hama et Kalibr.", "Hama", "Kalibr", source="feed:new", key="1")),
        placed(item("Hama, Kalibr et Alep.", "Hama", "Kalibr", "Alep", source="feed:afp", key="2"), story),
        placed(item("Hama ailleurs.", "Hama", source="feed:afp", key="3")),
    ]

    plan = decide(batch, config, baseline_sources=frozenset({"feed:new"}))

    assert [(alert.article.key, alert.entry_ids, alert.held is not None) for alert in plan.alerts] == [
        ("1", ("hama", "kalibr"), True),
        ("2", ("alep",), False),
        ("3", ("hama",), False),
    ]
    assert plan.alerted[story] == frozenset({"hama", "kalibr", "alep"})


# --- Determinism and the clock ------------------------------------------------------------------------


def a_busy_batch() -> tuple[list[PlacedArticle], DecisionConfig]:
    """Every kind of rule and two targets with quiet hours and a rate limit, over four articles in three stories."""
    config = decision(
        WATCHED,
        rule(),
        rule("back", "first_seen", quiet_days=30, severity="high", tags=["duty"]),
        rule("near", "co_occurrence", **WEAPON_NEAR_PLACE),
        rule("burst", "spike"),
        targets=[target("desk", "alerts", rate_limit=(2, 1)), target("duty", "duty", quiet_hours=PARIS_NIGHT)],
    )
    batch = [
        placed(sentences((STRIKE, ["Kalibr", "Deir ez-Zor"])), 1),
        placed(item("Hama et Alep.", "Hama", "Alep", key="2.txt")),
        placed(item("Hama encore.", "Hama", key="3.txt"), StoryRef(opened_by=("folder:test", "2.txt"))),
        placed(item("Un mortier à Alep.", "mortier", "Alep", key="4.txt")),
    ]
    return batch, config


def test_the_same_inputs_give_the_same_plan():
    first_batch, first_config = a_busy_batch()
    second_batch, second_config = a_busy_batch()
    history = {"hama": EntryHistory(last_seen_at=NOW - timedelta(days=60))}

    first = decide(first_batch, first_config, history=history)
    second = decide(second_batch, second_config, history=dict(history))

    assert first == second
    assert [alert.message for alert in first.alerts] == [alert.message for alert in second.alerts]
    assert len(first.alerts) == 3


@pytest.mark.parametrize(
    ("now", "status"),
    [
        pytest.param(utc(2026, 11, 22, 23), "quiet hours until 07:00 Europe/Paris", id="now at midnight in Paris"),
        pytest.param(utc(2026, 11, 22, 12), None, id="now at 13:00 in Paris"),
    ],
)
@pytest.mark.parametrize(
    "read_at",
    [utc(2026, 11, 22, 12), utc(2026, 11, 22, 23), utc(2020, 1, 1, 3)],
    ids=["read at 13:00", "read at midnight", "read in 2020 at night"],
)
def test_the_injected_clock_alone_decides_quiet_hours(now, status, read_at):
    config = decision(WATCHED, targets=[target("t", "alerts", quiet_hours=PARIS_NIGHT)])
    night_article = item("Hama.", "Hama", published_at=utc(2026, 11, 22, 2))

    (alert,) = decide([placed(night_article, read_at=read_at)], config, now=now).alerts

    assert [d.reason for d in alert.deliveries] == [status]


# --- The rules file: config/rules.yaml ------------------------------------------------------------------

TARGET_TAGS = frozenset({"alerts", "duty"})


def rules_file(tmp_path, text: str):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_without_a_rules_file_one_mention_rule_alerts_on_every_entry(tmp_path):
    assert load_rules(None, WATCHED, TARGET_TAGS) is DEFAULT_RULES
    assert load_rules(tmp_path / "absent.yaml", WATCHED, TARGET_TAGS) is DEFAULT_RULES
    assert [(r.id, r.kind, r.mode) for r in DEFAULT_RULES.rules] == [("mention", "mention", "immediate")]


def test_a_rules_file_with_every_kind_loads(tmp_path):
    path = rules_file(
        tmp_path,
        """
        rules:
          - id: any
            kind: mention
          - id: back
            kind: first_seen
            quiet_days: 30
            severity: high
            tags: [duty]
          - id: near
            kind: co_occurrence
            entries: {kinds: [weapon]}
            with_entries: {tags: [syrie]}
            within_tokens: 5
          - id: burst
            kind: spike
            window_hours: 12
            baseline_days: 14
            mode: digest
            sources: [afp]
            languages: [fr]
        targets:
          - tag: duty
            quiet_hours: {start: "22:00", end: "07:00", timezone: Europe/Paris}
            rate_limit: {count: 5, hours: 2}
        """,
    )

    config = load_rules(path, WATCHED, TARGET_TAGS)

    assert [(r.id, r.kind) for r in config.rules] == [
        ("any", "mention"),
        ("back", "first_seen"),
        ("near", "co_occurrence"),
        ("burst", "spike"),
    ]
    assert config.delivery_for(frozenset({"duty"})) == config.targets[0]
    assert config.delivery_for(frozenset({"alerts"})) is None


RULE = """
rules:
  - id: a
    kind: mention
"""


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [
        pytest.param(
            RULE + "    entries: {ids: [hama, raqqa]}\n",
            4,
            "rules[0].entries.ids[1]",
            "no entry 'raqqa' in the watch list",
            id="an unknown entry id",
        ),
        pytest.param(
            RULE.replace("mention", "co_occurrence") + "    with_entries:\n      ids: [homs]\n",
            5,
            "rules[0].with_entries.ids[0]",
            "no entry 'homs' in the watch list",
            id="an unknown entry id in with_entries",
        ),
        pytest.param(
            RULE + "    entries:\n      tags: [nord]\n",
            5,
            "rules[0].entries.tags[0]",
            "no entry of the watch list has tag 'nord'",
            id="an entry tag no entry has",
        ),
        pytest.param(
            RULE + "    tags:\n      - duty\n      - ops\n",
            6,
            "rules[0].tags[1]",
            "no notification target has tag 'ops': its alerts would reach only untagged targets",
            id="a routing tag no target has",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: ops\n",
            5,
            "targets[0].tag",
            "no notification target has tag 'ops'",
            id="delivery settings for a tag no target has",
        ),
        pytest.param(
            RULE.replace("mention", "spike") + "    window_hours: 0\n",
            4,
            "rules[0].window_hours",
            "Input should be greater than 0",
            id="window_hours 0",
        ),
        pytest.param(
            RULE.replace("mention", "spike") + "    window_hours: -6\n",
            4,
            "rules[0].window_hours",
            "Input should be greater than 0",
            id="window_hours negative",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet_hours: {start: '25:00', end: '07:00'}\n",
            6,
            "targets[0].quiet_hours.start",
            "'25:00' is not a time of day as HH:MM (00:00 to 23:59)",
            id="quiet hours at 25:00",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet_hours:\n      start: 25:00\n      end: 07:00\n",
            7,
            "targets[0].quiet_hours.start",
            'unquoted, YAML reads 25:00 as the number 1500: write it in quotes, "25:00"',
            id="quiet hours at 25:00 unquoted",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet_hours:\n      start: 22:00\n      end: 07:00\n",
            7,
            "targets[0].quiet_hours.start",
            'unquoted, YAML reads 22:00 as the number 1320: write it in quotes, "22:00"',
            id="quiet hours from 22:00 unquoted",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet_hours:\n      start: '22:00'\n      end: 7\n",
            8,
            "targets[0].quiet_hours.end",
            '7 is a number, not a time of day: write it as "HH:MM", in quotes',
            id="quiet hours to 7",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet_hours:\n      start: '22:00'\n      end: '22:00'\n",
            8,
            "targets[0].quiet_hours.end",
            "quiet hours that end when they start are empty",
            id="quiet hours that start when they end",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet_hours:\n      start: '22:00'\n      end: '07:00'\n"
            "      timezone: Europe/Lutece\n",
            9,
            "targets[0].quiet_hours.timezone",
            "'Europe/Lutece' is not an IANA time zone (such as Europe/Paris)",
            id="an unknown time zone",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    rate_limit: {count: 0}\n",
            6,
            "targets[0].rate_limit.count",
            "Input should be greater than or equal to 1",
            id="a rate limit of 0",
        ),
        pytest.param(
            RULE + "    quiet_days: 30\n",
            4,
            "rules[0].quiet_days",
            "belongs to rules of kind first_seen, not mention",
            id="quiet_days on a mention rule",
        ),
        pytest.param(
            RULE.replace("mention", "first_seen") + "    quiet_days: 30\n    within_tokens: 3\n",
            5,
            "rules[0].within_tokens",
            "belongs to rules of kind co_occurrence, not first_seen",
            id="within_tokens on a first_seen rule",
        ),
        pytest.param(
            RULE.replace("mention", "co_occurrence") + "    with_entries: {kinds: [place]}\n    window_hours: 6\n",
            5,
            "rules[0].window_hours",
            "belongs to rules of kind spike, not co_occurrence",
            id="window_hours on a co_occurrence rule",
        ),
        pytest.param(
            RULE.replace("mention", "first_seen"),
            2,
            "rules[0].quiet_days",
            "a first_seen rule needs quiet_days (days without a mention)",
            id="a first_seen rule without quiet_days",
        ),
        pytest.param(
            RULE.replace("mention", "co_occurrence"),
            2,
            "rules[0].with_entries",
            "a co_occurrence rule needs with_entries (the other group)",
            id="a co_occurrence rule without with_entries",
        ),
        pytest.param(
            RULE + "  - id: b\n    kind: mention\n  - id: a\n    kind: mention\n",
            6,
            "rules[2].id",
            "id 'a' already used by rules[0]",
            id="a duplicate id",
        ),
        pytest.param(
            RULE + "    severty: high\n",
            4,
            "rules[0].severty",
            "unknown key; did you mean 'severity'?",
            id="an unknown key",
        ),
        pytest.param(
            RULE + "targets:\n  - tag: duty\n    quiet: yes\n",
            6,
            "targets[0].quiet",
            "unknown key; did you mean 'quiet_hours'?",
            id="an unknown key in targets",
        ),
        pytest.param(
            RULE.replace("mention", "trend"),
            3,
            "rules[0].kind",
            "Input should be 'mention', 'first_seen', 'co_occurrence' or 'spike'",
            id="an unknown kind",
        ),
    ],
)
def test_a_mistake_in_the_rules_file_is_one_line_naming_file_line_and_key(tmp_path, text, line, key, problem):
    path = rules_file(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_rules(path, WATCHED, TARGET_TAGS)

    message = str(caught.value)
    assert "\n" not in message
    assert re.fullmatch(rf"{re.escape(str(path))}:{line}:\d+: {re.escape(key)}: {re.escape(problem)}", message)
