"""Run reports are Markdown the UI renders: text from an article stays inert there, an article's web
address is its one link, and nothing shown is long enough to widen the page."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.builders import alert_line
from veille.markdown import WORD_UNITS, article_link, code, code_lines, web_address
from veille.report import alert_items, cell, delivery_status

HOSTILE = [
    "Raqqa | 1 | 2 | injected column",
    "[cliquez ici](https://evil.example.com/x)",
    "![pixel](https://tracker.example.com/p.png)",
    "<img src=x onerror=alert(1)> <script>alert(1)</script>",
    "# Titre\n\n---\n| a | b |",
    "`code` **gras** _penché_ ~~barré~~",
]
# A Markdown link and what follows it on the line: `[text](destination) rest`.
_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\\\]])*)\]\(([^)]*)\)(.*)")


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_holds_no_markdown_of_its_own(text):
    value = cell(text)

    assert "\n" not in value
    assert not re.search(r"(?<!\\)[|\[\]()<>`*_~#!]", value), value
    assert "https://" not in value and "<" not in value


@pytest.mark.parametrize(
    ("word", "shown"),
    [
        pytest.param("a" * 500, "a" * (WORD_UNITS - 1) + "…", id="lower case"),
        pytest.param("W" * 500, "W" * ((WORD_UNITS - 1) // 2) + "…", id="the widest letter"),
        pytest.param("A" * 500, "A" * 27 + "…", id="capitals"),
        pytest.param("json://hooks.example.org/****", r"json\[:\]//hooks\[.\]example\[.\]org/\*\*\*\*", id="a label"),
        pytest.param("新闻" * 300, "新闻" * 300, id="Chinese, which the browser wraps anywhere"),
    ],
)
def test_no_word_of_a_cell_is_wide_enough_to_overflow_the_page(word, shown):
    assert cell(f"Titre {word} fin") == f"Titre {shown} fin"


def test_each_alert_is_one_list_item_of_two_lines_whatever_the_article_says():
    alerts = [
        alert_line(n, "Raqqa", variant=text, sentence=text, article_title=text, location=text, source="feed:x")
        for n, text in enumerate(HOSTILE)
    ]

    lines = "\n".join(alert_items(alerts, {n: Counter(sent=1) for n in range(len(HOSTILE))})).split("\n")

    assert len(lines) == 2 * len(HOSTILE)
    for first, second in zip(lines[::2], lines[1::2], strict=True):
        assert first.startswith("- **Raqqa** (place), written «") and first.endswith(" — sent\\"), first
        assert second.startswith("  «"), second
        assert "](" not in first + second, "no article here has a web address: no link at all"


@pytest.mark.parametrize(
    ("location", "url"),
    [
        pytest.param("https://www.afp.example/a/1", "https://www.afp.example/a/1", id="a plain URL"),
        pytest.param("HTTP://Example.ORG/x?a=1&b=2#top", "http://example.org/x?a=1&b=2#top", id="scheme and host"),
        pytest.param("https://e.org/a)b", "https://e.org/a%29b", id="a parenthesis ends no link"),
        pytest.param(
            "https://e.org/x](javascript:alert(1))",
            "https://e.org/x%5D%28javascript:alert%281%29%29",
            id="a second link's start is encoded",
        ),
        pytest.param("https://e.org/<script>alert(1)</script>", "https://e.org/%3Cscript%3Ealert%281%29%3C/script%3E"),
        pytest.param("https://e.org/a b\nc", "https://e.org/a%20b%0Ac", id="spaces and a line break"),
        pytest.param('https://e.org/"q"\\\'', "https://e.org/%22q%22%5C%27", id="quotes and a backslash"),
        pytest.param("https://e.org/\x1b[31m\u202e", "https://e.org/%1B%5B31m%E2%80%AE", id="ANSI and bidi"),
        pytest.param(
            "https://пример.рф/новости", "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"
        ),
        pytest.param("https://[::1]:8080/a", "https://[::1]:8080/a", id="an IPv6 literal"),
        pytest.param("javascript:alert(1)", None, id="javascript"),
        pytest.param("data:text/html,<script>", None, id="data"),
        pytest.param("ftp://e.org/a", None, id="another scheme"),
        pytest.param("https://user:secret@e.org/a", None, id="credentials"),
        pytest.param("https://e.org:99999/a", None, id="a port out of range"),
        pytest.param("https://exa mple.org/", None, id="a space in the host"),
        pytest.param("https://e\u00ad.org/", None, id="an invisible character in the host"),
        pytest.param("seeds/1.txt", None, id="a file"),
        pytest.param("", None, id="nothing"),
    ],
)
def test_only_a_plain_web_address_becomes_a_link_destination_and_it_is_encoded(location, url):
    assert web_address(location) == url


@pytest.mark.parametrize(
    "location",
    [
        "https://e.org/a)b",
        "https://e.org/x](javascript:alert(1))",
        "https://e.org/<script>x</script>",
        "https://e.org/a\n\n# forged heading",
        "https://e.org/" + "x" * 2000,
    ],
)
@pytest.mark.parametrize("title", [*HOSTILE, "", "T" * 500])
def test_an_article_with_a_web_address_is_one_link_and_nothing_more(title, location):
    shown = article_link(title, "feed:x", location)

    assert "\n" not in shown
    match = _LINK.fullmatch(shown)
    assert match is not None, shown
    text, destination, rest = match.groups()
    assert destination == web_address(location)
    assert rest == r" (feed:x)"
    assert not re.search(r"(?<!\\)[\[\]`*_~<>]", text), "no markup of its own in the link text"
    assert 0 < len(re.sub(r"\\(.)", r"\1", text)) <= 80 and "https" not in text, "the title, inert and short"


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        pytest.param("seeds/1.txt", r"Tirs (folder:s: seeds/1.txt)", id="a file, its .txt as written"),
        pytest.param("javascript:alert(1)", r"Tirs (folder:s: javascript\[:\]alert\(1\))", id="javascript"),
        pytest.param(
            "https://user:pw@evil.example/a",
            r"Tirs (folder:s: hxxps\[:\]//\*\*\*\*" "\N{FULLWIDTH COMMERCIAL AT}" r"evil\[.\]example/a)",
            id="creds",
        ),
    ],
)
def test_an_article_without_a_web_address_is_plain_inert_text(location, shown):
    assert article_link("Tirs", "folder:s", location) == shown


@pytest.mark.parametrize(
    ("path", "span"),
    [
        ("data/map.html", "`data/map.html`"),
        ("a`b", "``a`b``"),
        ("`x``", "``` `x`` ```"),
        ("a\nb\x1b[2J", "`a\\nb\\x1b[2J`"),
    ],
)
def test_a_code_span_holds_any_path_on_one_line(path, span):
    assert code(path) == span


@pytest.mark.parametrize(
    ("path", "block"),
    [
        ("/srv/veille/data/map.html", ["```", "/srv/veille/data/map.html", "```"]),
        ("a````b", ["`````", "a````b", "`````"]),
        ("a\n```\nb", ["````", "a\\n```\\nb", "````"]),
    ],
)
def test_a_code_block_holds_any_path_whole_on_one_line(path, block):
    assert code_lines(path) == block


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (Counter(sent=1), "sent"),
        (Counter(sent=2), "sent (2 targets)"),
        (Counter(sent=1, pending=1), "sent 1 of 2; 1 to retry"),
        (Counter(failed=1, sent=1), "sent 1 of 2; 1 failed for good"),
        (Counter(), "no target"),
    ],
)
def test_delivery_status_says_what_is_left(counts, expected):
    assert delivery_status(counts) == expected


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("feed:afp", "feed:afp"),
        ("folder:seeds", "folder:seeds"),
        ("folder:/srv/veille/inbox", "folder:/srv/veille/inbox"),
        # What follows the kind is made inert as an article's text is: no link, no tag, no column.
        ("folder:/tmp/[x](javascript:alert(1))", r"folder:/tmp/\[x\] \(javascript\[:\]alert\(1\)\)"),
        (
            "feed:<b>|x",
            "feed:\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}b\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}\\|x",
        ),
        ("explain", "explain"),
        ("https://evil.example/", r"hxxps\[:\]//evil\[.\]example/"),
    ],
)
def test_a_source_name_keeps_its_kind_and_is_inert_markdown(source, shown):
    from veille.markdown import source_label

    assert source_label(source) == shown


def test_a_run_over_ten_thousand_feeds_stays_short_and_names_its_failing_ones():
    from veille.records import SourceBatch
    from veille.report import render_monitor_report
    from veille.summary import RunSummary

    batches = [SourceBatch.not_modified(f"feed:f{n}", {"etag": f'"{n}"'}) for n in range(10_000)]
    batches[9_998] = SourceBatch.failed("feed:f9998", "HTTP 500 Internal Server Error")
    summary = RunSummary(batches=batches)

    text = summary.render()
    assert "feed:f9998: FAILED: HTTP 500" in text
    assert len(text.splitlines()) < 40
    assert "(9999 not modified, 0 not due, 1 failed)" in text
    report = render_monitor_report(summary, [], {}, 1.0, [], None)
    table = report.split("## Sources")[1].splitlines()
    assert table[4] == "| feed:f9998 | FAILED | 0 | 0 |", "the failing feed heads the table, before the cut"
    assert "- **feed:f9998**: FAILED: HTTP 500 Internal Server Error" in table
    assert len(report.splitlines()) < 260
