"""Hostile text: linear whatever its length, inert in every notification, log line and digest,
and never glued into a watched code name it does not spell.

Pure tests (no database, no Prefect); the matcher runs on a blank French pipeline, extraction on the
real model, and apprise's own Discord plugin posts to a receiver on 127.0.0.1.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import spacy
from apprise import Apprise, NotifyFormat

from tests.builders import (
    NOW,
    article,
    batch,
    created_alert,
    decide,
    decision,
    found,
    mention,
    period_figures,
    watch_list,
)
from tests.conftest import CONFIG
from tests.timing import assert_linear
from veille.decide.render import marked_sentence, render_alert
from veille.digest import render_digest
from veille.extract.pipeline import SentenceIndex, extract_mentions, mentions_in
from veille.ingest.dates import date_written_in
from veille.records import AlertMessage, DeliveryReport, Mention, ReadError
from veille.sanitize import loggable, neutralise, safe_link
from veille.summary import RunSummary
from veille.watchlist import load_watchlist

# What a chat service reads as a mention, a link or a domain, if any of it survives.
ASCII_AT = "@"
DOMAIN_DOT = re.compile(r"[^\W_]\.[^\W\d_][^\W_]")


# --- Linear time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: "a." * n, id="a-dot"),
        pytest.param(lambda n: "a-" * n, id="a-hyphen"),
        pytest.param(lambda n: "@" * (2 * n), id="at-signs"),
        pytest.param(lambda n: "[" * n + "](" * n, id="brackets"),
        pytest.param(lambda n: "ab.cd-" * (n // 3), id="domain-labels"),
        pytest.param(lambda n: "a+" * n + ":", id="scheme-like"),
        pytest.param(lambda n: "]" + " " * (2 * n), id="bracket-spaces"),
        pytest.param(lambda n: "x" * (2 * n) + "@", id="long-word"),
        pytest.param(lambda n: "a:" * n, id="colons"),
        pytest.param(lambda n: "https://" * (n // 4), id="schemes"),
        pytest.param(lambda n: "[](" * (n // 2), id="markdown-links"),
    ],
)
def test_neutralise_takes_linear_time_on_backtracking_shapes(make):
    assert_linear(neutralise, make, 500)


def test_a_link_is_made_safe_in_linear_time():
    assert_linear(safe_link, lambda n: "https://example.org/" + "%(é" * n, 500)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: "1er " * n, id="1er-1er"),
        pytest.param(lambda n: "6 septembre " * n, id="days-without-years"),
        pytest.param(lambda n: "September 6, " * n, id="english-without-years"),
        pytest.param(lambda n: "06/" * n, id="slashes"),
        pytest.param(lambda n: "2017-" * n, id="iso-like"),
        pytest.param(lambda n: "2017-09-06T14:30:00.1234567890" * (n // 8), id="timestamps-without-offsets"),
        pytest.param(lambda n: "31/02/2017 " * (n // 3), id="invalid-dates"),
        pytest.param(lambda n: "septembresx" * n, id="long-words"),
    ],
)
def test_a_written_date_is_searched_in_linear_time_however_far_it_may_be_looked_for(make):
    # Searched beyond the usual 2,000 characters, so that the patterns' own cost is what is measured;
    # one shape or more for each pattern, and for the search that goes on after a match that is no date.
    assert_linear(lambda text: date_written_in(text, NOW, within=len(text)), make, 500)


def test_a_written_date_is_searched_for_in_the_first_characters_only_of_a_huge_text():
    huge = "1er " * 250_000 + "le 6 septembre 2017"

    assert date_written_in(huge, NOW) is None
    assert date_written_in(huge, NOW, within=len(huge)) == datetime(2017, 9, 6, tzinfo=UTC)


def test_extraction_takes_linear_time_in_the_number_of_mentions(nlp):
    def extract(text: str) -> None:
        list(extract_mentions(nlp, [article(text, key="hama")], 8))

    assert_linear(extract, lambda n: "Hama " * n, 1000)


def sentence_by_scanning(span) -> str:
    """The former per-mention computation (span.sent and scans of the text), kept as the reference."""
    text = span.doc.text
    start = max(span.sent.start_char, text.rfind("\n", 0, span.start_char) + 1)
    line_end = text.find("\n", span.end_char)
    end = min(span.sent.end_char, line_end if line_end != -1 else len(text))
    left, right = max(start, span.start_char - 400), min(end, span.end_char + 400)
    return ("…" if left > start else "") + " ".join(text[left:right].split()) + ("…" if right < end else "")


def test_each_mention_gets_the_sentence_span_sent_gave(nlp):
    from tests.conftest import SEEDS
    from veille.ingest.folder import FolderSource

    filler = " ".join(["des mots sans intérêt"] * 150)
    texts = [article.text for article in FolderSource(SEEDS, 5_000_000).read().articles] + [
        "Première phrase sans rien.\nLes tirs de mortiers ont repris\nLa ville de Hama est calme.",
        f"{filler} puis Raqqa {filler}.\n\nAlep. Homs\nIdlib",
        "Hama " * 300,
    ]
    compared = 0
    for doc in nlp.pipe(texts):
        sentences = SentenceIndex(doc)
        for span in [*doc.spans["veille"], *doc.ents]:
            assert sentences.around(span) == sentence_by_scanning(span), span.text
            compared += 1
    assert compared > 300


# --- Mentions, links, domains: structurally inert --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "@everyone_ tirs à Hama",
        "@everyone1 tirs à Hama",
        "@here! tirs",
        "<@&123456789012345678> ping du rôle",
        "<@123456789012345678> et <@!123456789012345678> et @123456789012345678",
        "@&123456789012345678",
        "Zulip : @**all** et @_**Jean Dupont** et @*stream*",
        "Telegram : @propagande_bot, contact : redaction@evil.top",
        "Slack : <!channel> <!here|here> <@U024BE7LH>",
        "Matrix @room, Mattermost @channel @all",
    ],
)
def test_no_at_sign_from_an_article_reaches_a_notification(text):
    result = neutralise(text)
    assert ASCII_AT not in result
    assert "<" not in result and ">" not in result
    assert "＠" in result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Voir evil.top et x.zip", "Voir evil[.]top et x[.]zip"),
        ("aide sur help.support", "aide sur help[.]support"),
        ("evil。com evil．com evil｡com", "evil[.]com evil[.]com evil[.]com"),
        ("sous www.propaganda.ru/x", "sous www[.]propaganda[.]ru/x"),
        ("пример.рф et exemple.xn--p1ai", "пример[.]рф et exemple[.]xn--p1ai"),
        ("EVIL.COM", "EVIL[.]COM"),
    ],
)
def test_every_dot_that_could_end_a_domain_is_defanged_whatever_the_tld(text, expected):
    result = neutralise(text)
    assert result == expected
    assert not DOMAIN_DOT.search(result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Voir https://evil.com/x", "Voir hxxps[:]//evil[.]com/x"),
        ("javascript:alert(1)", "javascript[:]alert(1)"),
        ("tg://resolve?domain=x", "tg[:]//resolve?domain=x"),
        ("file:///etc/passwd", "file[:]///etc/passwd"),
        ("ms-settings:privacy", "ms-settings[:]privacy"),
        ("[cliquez](https://evil.example/p)", "[cliquez] (hxxps[:]//evil[.]example/p)"),
        ("[a] (x) et [b]\n(y)", "[a] (x) et [b] (y)"),
        ("![img](x.png)", "! [img] (x[.]png)"),
    ],
)
def test_schemes_and_markdown_links_are_broken(text, expected):
    assert neutralise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "M. Dupont et Mme Martin, av. J.-C., cf. p. 12, etc.",
        "Les États-Unis (É.-U.), la R.D.C. et les U.S.A. ont voté.",
        "Une hausse de 3.5 % et 1.000 morts ; 12,5 km.",
        "Le convoi est parti à 10h30, arrivé à 10:45, reparti vers 23 h 15.",
        "Bilan : 12 morts. Source : l'OSDH. Lire aussi : « Hama ».",
        "L'ONU (via l'UNRWA) a dit « non » ; fin — 4 septembre 2017.",
        "Tirs de Su-24 et de S-400 ; 3M-54 Kalibr, AK-47.",
    ],
)
def test_ordinary_french_press_text_stays_as_written(text):
    assert neutralise(text) == text


def test_controls_and_bidi_overrides_go_and_other_line_separators_become_line_breaks():
    assert neutralise("a\x1b[31mb\u202ec\u200bd\x00e\u2028f") == "a[31mbcde\nf"


# --- The article's link: an allow-list ---------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://news.example.org/article/1", "https://news.example.org/article/1"),
        ("http://news.example.org:8080/a?b=1&c=d#top", "http://news.example.org:8080/a?b=1&c=d#top"),
        ("https://News.Example.org", "https://news.example.org"),
        ("https://example.org/a%C3%A9", "https://example.org/a%C3%A9"),
        ("https://example.org/été", "https://example.org/%C3%A9t%C3%A9"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/100%", "https://example.org/100%25"),
        ("https://example.org/x\x1b[31m", "https://example.org/x%1B%5B31m"),
        ("https://example.org/x\u202egnp.exe", "https://example.org/x%E2%80%AEgnp.exe"),
        ("https://example.org/a\nSource: forged", "https://example.org/a%0ASource:%20forged"),
        ("https://example.org/[x](https://evil)", "https://example.org/%5Bx%5D%28https://evil%29"),
        ("https://example.org/*_~|`'\"<>{}^\\", "https://example.org/%2A%5F%7E%7C%60%27%22%3C%3E%7B%7D%5E%5C"),
        ("https://example.org/@everyone", "https://example.org/%40everyone"),
        ("https://example.org/a#b#c", "https://example.org/a#b%23c"),
        ("https://exemple.рф/x", "https://exemple.xn--p1ai/x"),
        ("https://evil。com/x", "https://evil.com/x"),
        ("https://192.0.2.1/x", "https://192.0.2.1/x"),
        ("https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
    ],
)
def test_an_http_link_is_kept_clickable_with_everything_outside_a_safe_set_percent_encoded(location, expected):
    assert safe_link(location) == expected


@pytest.mark.parametrize(
    "location",
    [
        "seeds/000_cb98e6dd4b5ccfbd.txt",
        "javascript:alert(1)",
        "ftp://example.org/x",
        "data:text/html,<script>",
        "https://user:secret@example.org/x",
        "https://good.example\\@evil.example/",
        "https://",
        "https://exa mple.org/",
        "https://evil_.example/",
        "https://-evil.example/",
        "https://example.org:99999/",
        "https://example.org:80x/",
        "https://[::1/",
        "https://example.123/",
        "https://example.org\x1b[31m/",
        "https://\u202eexample.org/",
    ],
)
def test_anything_but_an_http_link_to_a_valid_host_is_not_a_link(location):
    assert safe_link(location) is None


HOSTILE = (
    "@everyone_ @everyone1 <@&123456789012345678> <@123456789012345678> @**all** @_**x** "
    "[clic](https://evil.example/p) evil.top x.zip y.support evil。com \x1b[31m\u202eHama"
)
HOSTILE_LINK = "https://news.example.org/a(b)[c]*_~|\x1b[2J\u202e@everyone\nSource: forged"


def hostile_message(location: str = HOSTILE_LINK, written: str = "Hama") -> AlertMessage:
    """The message on a hostile article naming Hama twice; `written` forges the mention's words."""
    text = HOSTILE + " tirs à Hama."
    item = article(text, source="feed:hostile", key="1", title=HOSTILE + "\nSource: forged", location=location)
    # A mention's text is the article's own words; a forged one stands for whatever reaches the renderer.
    hama = [replace(mention(text, "Hama", nth=n), text=written) for n in range(2)]
    (alert,) = decide([found(item, *hama)], decision(watch_list("hama"))).alerts
    return render_alert(
        alert.article, alert.hits, alert.severity, ("feed:hostile",), datetime(2026, 11, 22, tzinfo=UTC)
    )


def assert_inert(message: AlertMessage, link: str = "") -> None:
    for text in (message.title, message.body):
        assert ASCII_AT not in text and "\x1b" not in text and "\u202e" not in text
        assert not DOMAIN_DOT.search(text.replace(link, "") if link else text)
        assert "](" not in text and "<" not in text


def test_a_message_keeps_one_line_per_field_and_a_link_that_can_add_nothing():
    message = hostile_message()

    lines = message.body.split("\n")
    assert [line.split(" ", 1)[0] for line in lines] == ["Place:", "", "", "Article:", "Source:", "Date"]
    assert lines[0] == "Place: Hama, written «Hama» (alias, confidence 1.00; 2 mentions)"
    sentence = lines[1]
    assert sentence.startswith("  «") and sentence.endswith("»")
    assert sentence.count("⟦") == sentence.count("⟧") == 1 and "⟦Hama⟧ tirs à Hama.»" in sentence
    assert lines[2] == "  Rule mention: new mention"
    link = lines[4].rsplit(" — ", 1)[1]
    assert link.startswith("https://news.example.org/a")
    assert re.fullmatch(r"https://[a-z0-9.-]+/[A-Za-z0-9\-./?#&=+:;,!$%]*", link), link
    assert_inert(message, link)


def test_a_forged_variant_stays_on_its_line_and_inert():
    message = hostile_message(written="Hama\n@here [x](https://evil.example) evil.top")

    lines = message.body.split("\n")
    assert lines[0] == (
        "Place: Hama, written «Hama ＠here [x] (hxxps[:]//evil[.]example) evil[.]top» "
        "(alias, confidence 1.00; 2 mentions)"
    )
    assert len(lines) == 6
    assert_inert(message, lines[4].rsplit(" — ", 1)[1])


def test_a_file_path_as_location_is_shown_as_inert_text():
    message = hostile_message("seeds/x.zip\n@here")

    assert "Source: feed:hostile — seeds/x[.]zip ＠here" in message.body
    assert_inert(message)


def sentence_mention(sentence: str, written: str) -> Mention:
    """A mention of `written` in `sentence`, which need not hold it as written (a forged one)."""
    return Mention("hama", "watched", written, 0, len(written), sentence)


@pytest.mark.parametrize(
    ("sentence", "written", "shown"),
    [
        pytest.param("Tirs à ⟦Hama⟧ et ⟦ailleurs⟧.", "Hama", "Tirs à ⟦Hama⟧ et ailleurs.", id="marks written around"),
        pytest.param("Tirs à Ha⟦ma et ⟧ici.", "Hama", "Tirs à Hama et ici.", id="marks inside the name: no match"),
        pytest.param("⟧⟧ Tirs à Hama ⟦⟦", "Hama", "Tirs à ⟦Hama⟧", id="stray marks at both ends"),
        pytest.param("Tirs à ⟦Hama⟧.", "⟦Hama⟧", "Tirs à ⟦Hama⟧.", id="a mention written with marks"),
        pytest.param("Voir @Hama.top", "Hama", "Voir ＠⟦Hama⟧.top", id="neutralised around the marks"),
        pytest.param(
            "Hama [clic](https://evil.example/p)", "Hama", "⟦Hama⟧ [clic] (hxxps[:]//evil[.]example/p)", id="a link"
        ),
        pytest.param("evil⟦.⟧top, Hama", "Hama", "evil[.]top, ⟦Hama⟧", id="a domain split by marks it wrote"),
    ],
)
def test_a_sentence_has_our_marks_only_around_the_match_and_stays_inert(sentence, written, shown):
    marked = marked_sentence(sentence_mention(sentence, written))

    assert marked == shown
    assert ASCII_AT not in marked and "](" not in marked


def test_a_sentence_is_marked_in_linear_time():
    assert_linear(
        lambda sentence: marked_sentence(sentence_mention(sentence, "Hama")), lambda n: "Hamad " * n + "Hama", 500
    )


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("seeds/003_14110cf45b5c4781.txt", "seeds/003_14110cf45b5c4781.txt"),
        ("rapports/evil.com.txt", "rapports/evil[.]com.txt"),
        ("seeds/a.zip", "seeds/a[.]zip"),
        ("seeds/@everyone.txt", "seeds/＠everyone.txt"),
        ("evil.com/.txt", "evil[.]com/.txt"),
        ("x.txt.com", "x[.]txt[.]com"),
    ],
)
def test_a_file_path_keeps_its_txt_ending_and_nothing_else_that_could_link(path, shown):
    from veille.sanitize import neutralise_path

    assert neutralise_path(path) == shown


# Discord's own mention syntax, which it parses in a message's content: @everyone, @here, <@id>, <@!id>, <@&id>.
DISCORD_MENTION = re.compile(r"@(everyone|here)|<@[!&]?[0-9]+>")


@pytest.mark.parametrize("query", ["", "?format=markdown"], ids=["text", "markdown"])
def test_apprise_discord_plugin_finds_no_mention_in_a_neutralised_alert(receiver, query):
    """apprise's own Discord plugin, posting to a receiver on 127.0.0.1. As text (its default) it puts
    the body in `content`, where Discord parses mentions; as Markdown it turns any @word, <@id> or <@&id>
    of the body into pings with `allow_mentions`. Neither may find one in what Veille sends."""
    receiver.start()
    apprise = Apprise()
    assert apprise.add(f"discord://123456789012345678/webhooktoken_abc/{query}")
    (discord,) = list(apprise)
    discord.notify_url = f"http://127.0.0.1:{receiver.port}/api/webhooks"

    raw = HOSTILE + " " + HOSTILE_LINK
    assert discord.notify(body=raw, title="raw", body_format=NotifyFormat.TEXT)
    message = hostile_message()
    assert discord.notify(body=message.body, title=message.title, body_format=NotifyFormat.TEXT)

    unsafe, safe = receiver.received
    if discord.notify_format == NotifyFormat.MARKDOWN:
        assert unsafe["allow_mentions"]["roles"] and unsafe["allow_mentions"]["users"], "the control: raw text pings"
        assert "content" not in safe, "no '👉 @everyone' line was added"
        delivered = safe["embeds"][0]["title"] + "\n" + safe["embeds"][0]["description"]
    else:
        assert DISCORD_MENTION.search(unsafe["content"]), "the control: raw text mentions"
        delivered = safe["content"]
    assert "allow_mentions" not in safe and "allowed_mentions" not in safe
    assert not DISCORD_MENTION.search(delivered)
    assert ASCII_AT not in delivered and "<" not in delivered
    assert "Hama" in delivered


# --- Logs, the run summary, the digest ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hama", "Hama"),
        ("a\nSource: forged", "a\\nSource: forged"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
        ("\u202eevil\u2066\u200b", "\\u202eevil\\u2066\\u200b"),
        ("a\u2028b\u0085c", "a\\u2028b\\x85c"),
        ("déjà « vu » — Ω", "déjà « vu » — Ω"),
        (503, "503"),
    ],
)
def test_text_in_a_log_line_is_escaped_so_it_cannot_forge_a_line_or_a_terminal_sequence(text, expected):
    assert loggable(text) == expected


def test_the_run_summary_escapes_what_articles_files_and_sources_put_in_it():
    summary = RunSummary()
    summary.alerts = [created_alert(1, "Hama", "place", "Hama\n@x", "seeds/a\nSource: forged\x1b[2J.txt")]
    summary.batches = [
        batch("feed:evil", failure="HTTP 500 Oops\r\n    + place Hama in forged"),
        batch("feed:warn", warning="Content-Type text/html\n    ! forged"),
    ]
    summary.read_errors = [ReadError("folder:x", "x\n    ! forged\x1b[31m.txt", "empty\u202e")]
    summary.delivery = DeliveryReport(errors=["json://host: HTTP 500\n    ! forged"])

    rendered = summary.render()

    assert "\x1b" not in rendered and "\r" not in rendered and "\u202e" not in rendered
    lines = rendered.split("\n")
    expected_starts = ("    + place Hama (", "    feed:", "    ! ")
    assert not [line for line in lines if "forged" in line and not line.startswith(expected_starts)]
    assert sum("forged" in line for line in lines) == 5
    assert "seeds/a\\nSource: forged\\x1b[2J.txt" in rendered


def test_the_digest_neutralises_source_errors_and_keeps_each_on_its_line():
    figures = period_figures(
        failing_sources=[
            ("feed:evil", 3, "HTTP 503 <@&123456789012345678> @everyone see evil.top\nSource failing: forged"),
            ("feed:ctype", 2, "unexpected Content-Type [x](https://evil.example) \x1b[31m"),
        ]
    )
    since, until = datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC)

    body = render_digest(figures, since, until).body

    failing = [line for line in body.split("\n") if "forged" in line or "Content-Type" in line]
    assert len(failing) == 2 and all(line.startswith("Source failing: feed:") for line in failing)
    assert ASCII_AT not in body and "<" not in body and "\x1b" not in body and "](" not in body
    assert "evil[.]top" in body


# --- Matcher glue: a code is one written name ---------------------------------------------------


@pytest.fixture(scope="module")
def blank():
    """A blank French pipeline (tokenizer only) with the shipped watch list: milliseconds per text."""
    nlp = spacy.blank("fr")
    nlp.add_pipe("veille_watch_matcher").set_watchlist(load_watchlist(CONFIG / "watchlist.yaml"))
    return nlp


def watched(nlp, text: str) -> list[tuple[str, str]]:
    doc = nlp(text)
    return [(span.label_, span.text) for span in doc.spans["veille"]]


@pytest.mark.parametrize(
    "text",
    [
        "il l'a su 24 heures avant",
        "Il y avait S 400 visiteurs.",
        "La pièce mesure 3 m 54.",
        "Il court le 3 M-54 demain.",
        "Les AK 47 ans plus tard.",
        "Le Tu-22 M3 n'existe pas.",
        "BM 21 Grad",
        "SU - 24",
    ],
)
def test_a_code_name_is_never_assembled_across_a_space_between_letters_and_digits(blank, text):
    assert watched(blank, text) == []


@pytest.mark.parametrize(
    ("text", "entry", "written"),
    [
        ("Un Su-24 abattu.", "su-24", "Su-24"),
        ("Un Su24 abattu.", "su-24", "Su24"),
        ("Un SU-24 abattu.", "su-24", "SU-24"),
        ("des Su-24 russes", "su-24", "Su-24"),
        ("Le Soukhoï Su-24 a décollé.", "su-24", "Soukhoï Su-24"),
        ("Des S-400 livrés.", "s-400", "S-400"),
        ("Des S-400 Triumph livrés.", "s-400", "S-400 Triumph"),
        ("Un 3M-54 tiré.", "kalibr", "3M-54"),
        ("Des AK47 saisis.", "kalachnikov", "AK47"),
        ("Six Tu-22M3 ont décollé.", "tu-22m3", "Tu-22M3"),
        ("Des BM-21 Grad en action.", "grad", "BM-21 Grad"),
        ("Les combats à Deir ez-Zor.", "deir-ez-zor", "Deir ez-Zor"),
        ("Les combats à deir ez zor.", "deir-ez-zor", "deir ez zor"),
        ("Un tir de missiles Kalibr.", "kalibr", "missiles Kalibr"),
        ("Des obus de mortier tombent.", "mortier", "obus de mortier"),
    ],
)
def test_a_code_written_as_one_name_and_multiword_names_still_match(blank, text, entry, written):
    assert (entry, written) in watched(blank, text)


def test_the_real_model_does_not_glue_codes_out_of_prose(nlp):
    for text in ("il l'a su 24 heures avant.", "Il y avait S 400 visiteurs.", "La pièce mesure 3 m 54."):
        assert [m.entry_id for m in mentions_in(nlp(text), nlp) if m.entry_id] == [], text
