"""Run reports are Markdown the UI renders: text from an article must stay inert there."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.builders import alert_line
from veille.report import alert_table, cell, delivery_status

HOSTILE = [
    "Raqqa | 1 | 2 | injected column",
    "[cliquez ici](https://evil.example.com/x)",
    "![pixel](https://tracker.example.com/p.png)",
    "<img src=x onerror=alert(1)> <script>alert(1)</script>",
    "# Titre\n\n---\n| a | b |",
    "`code` **gras** _penché_ ~~barré~~",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_holds_no_markdown_of_its_own(text):
    value = cell(text)

    assert "\n" not in value
    assert not re.search(r"(?<!\\)[|\[\]()<>`*_~#!]", value), value
    assert "https://" not in value and "<" not in value


def test_an_alert_row_has_exactly_its_four_columns_whatever_the_article_says():
    alerts = [
        alert_line(n, "Raqqa", variant=text, sentence=text, article_title=text, location=text, source="feed:x")
        for n, text in enumerate(HOSTILE)
    ]

    lines = alert_table(alerts, {n: Counter(sent=1) for n in range(len(HOSTILE))})

    for line in lines[2:]:
        assert len(re.findall(r"(?<!\\)\|", line)) == 5, line


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
