"""Text in an article cannot add links, mentions, markup or script to a notification."""

from __future__ import annotations

import pytest

from tests.builders import Clock, found, outbox, sqlite_url
from tests.conftest import CONFIG
from veille.notify.journal import FileSentJournal
from veille.notify.sender import DeliveryPolicy, send_due_deliveries
from veille.notify.targets import load_notifier
from veille.sanitize import neutralise


@pytest.mark.parametrize(
    ("text", "forbidden", "kept"),
    [
        ("Alerte @everyone à Hama", "@everyone", "＠everyone"),
        ("Alerte @here et @Channel", "@Channel", "＠here"),
        ("<!channel> tirs à Hama", "<!channel>", "‹!channel›"),
        ("<script>alert(1)</script> Hama", "<script>", "‹script›"),
        ("<a href='http://x'>Hama</a>", "<a ", "Hama"),
        ("[cliquez ici](https://evil.example/p) Hama", "](https://", "[cliquez ici]"),
        ("![img](https://evil.example/i.png)", "![", "img"),
        ("Voir https://evil.com/x pour Hama", "https://", "hxxps[:]//evil[.]com/x"),
        ("Voir evil.com et www.propaganda.ru", "evil.com", "www[.]propaganda[.]ru"),
        ("<https://evil.com|Hama>", "<https", "‹hxxps[:]//evil[.]com|Hama›"),
        ("javascript:alert(1)", "javascript:", "javascript[:]alert(1)"),
        ("Texte \u202eeviL\u202c et \u200bHama\x07", "\u202e", "eviL et Hama"),
    ],
)
def test_neutralise(text, forbidden, kept):
    result = neutralise(text)
    assert forbidden not in result
    assert kept in result


@pytest.mark.parametrize(
    "text",
    [
        "Des tirs de mortier à Deir ez-Zor, selon l'agence russe Sputnik.",
        "Le 4 septembre 2017 : 120 camions (armes) ; « Hama » — fin.",
        "M. Dupont à Alep.",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_a_hostile_article_reaches_a_webhook_harmless(tmp_path, receiver):
    receiver.start()
    text = (
        "@everyone <!channel> Des tirs à Hama. [Cliquez](https://evil.example/phish) <img src=x onerror=alert(1)> "
        "voir www.evil.com"
    )
    title = "<b>@here</b> [urgent](http://evil.example)"
    hostile = found(
        text, "Hama", source="feed:hostile", key="1", title=title, location="https://news.example.org/article/1"
    )
    notifier = load_notifier(CONFIG / "targets.yaml", receiver.url, tmp_path / "alerts.jsonl")
    store = outbox(sqlite_url(tmp_path), notifier, hostile)
    journal = FileSentJournal(tmp_path / "journal.jsonl")
    send_due_deliveries(store, notifier, DeliveryPolicy(3, 0, 600), Clock(), journal)
    store.close()

    (message,) = receiver.received
    delivered = message["title"] + "\n" + message["message"]
    for forbidden in ("@everyone", "@here", "<!channel>", "<img", "<b>", "](http", "https://evil", "www.evil.com"):
        assert forbidden not in delivered, forbidden
    assert "https://news.example.org/article/1" in delivered, "the article's own link stays usable"
