"""Hostile and careless input at the edge: one bad item never stops the others (issue #9, items 1, 5, 10, 11)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.builders import article, batch, found, route_to, source_health, watch_list
from tests.feedserver import rss
from tests.recording import record_detections
from veille.clean import KEY_CHARS, TITLE_CHARS, bounded_key, clean_line, clean_text, with_suffix
from veille.ingest.feeds import parse_feed
from veille.ingest.folder import FolderSource
from veille.records import Article, Mention, TargetRef, text_hash
from veille.store.sql import SqlStore

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WATCHLIST = watch_list("hama")
route = route_to(TargetRef("k1", "veille://"))
RSS = {"content-type": "application/rss+xml; charset=utf-8"}


# Text from outside: what every string becomes before anything stores or hashes it.


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Hama\x00 ville", "Hama ville"),
        ("a\x01b\x07c\x1bd\x7fe\x85f", "abcdef"),
        ("ligne 1\r\nligne 2\rligne 3", "ligne 1\nligne 2\nligne 3"),
        ("tab\tet\nsaut", "tab\tet\nsaut"),
        ("seul \ud800 et \udfff", "seul \ufffd et \ufffd"),
        ("Deir ez-Zor, « Hama » — 10h30 – 3,5 km", "Deir ez-Zor, « Hama » — 10h30 – 3,5 km"),
    ],
    ids=["nul", "c0-c1-controls", "line-ends", "tabs-and-newlines-kept", "lone-surrogates", "ordinary"],
)
def test_clean_text_drops_controls_and_surrogates_and_keeps_the_rest(raw, clean):
    assert clean_text(raw) == clean
    clean.encode("utf-8")  # storable: no surrogate left


@pytest.mark.parametrize(
    ("raw", "limit", "clean"),
    [
        ("Un titre\nSource: forgé", 100, "Un titre Source: forgé"),
        ("  espaces \t partout  ", 100, "espaces partout"),
        ("mot " * 100, 20, "mot mot mot mot mot…"),
        ("x" * 50, 10, "xxxxxxxxx…"),
    ],
)
def test_clean_line_is_one_bounded_line(raw, limit, clean):
    assert clean_line(raw, limit) == clean
    assert len(clean_line(raw, limit)) <= limit


def test_a_key_too_long_is_cut_with_a_digest_so_two_long_keys_stay_apart():
    first, second = "k" * 5000 + "1", "k" * 5000 + "2"
    assert len(bounded_key(first)) == KEY_CHARS
    assert bounded_key(first) != bounded_key(second)
    assert bounded_key("court") == "court"


def test_a_suffix_fits_inside_the_bound():
    key = bounded_key("g" * 1000)
    assert len(with_suffix(key, "#abcdef012345")) == KEY_CHARS
    assert with_suffix(key, "#abcdef012345").endswith("#abcdef012345")


def test_an_article_is_storable_and_bounded_whatever_it_is_given():
    article = Article(
        "feed:x\x00", "k\x00" + "y" * 3000, "T\x00itre\n" + "t" * 2000, "http://e.org/\x1b[31m", "Hama\x00\ud800 texte"
    )
    assert article.text == "Hama\ufffd texte"
    assert "\x00" not in article.title and "\n" not in article.title and len(article.title) <= TITLE_CHARS
    assert len(article.key) <= KEY_CHARS and "\x00" not in article.key
    assert "\x1b" not in article.location and article.source == "feed:x"
    assert article.content_hash == text_hash(article.text), "computed from the clean text"


# Item 1: poison pills. Each of these failed the whole batch, every run.


def nul_files(folder: Path) -> None:
    (folder / "raw-nul.txt").write_bytes("Tirs à Hama.\x00 Fin.".encode())
    (folder / "bom-nul.txt").write_bytes(b"\xef\xbb\xbf" + "Tirs à Hama.\x00 Fin.".encode())
    (folder / "utf16-nul.txt").write_bytes("\ufeffTirs à Hama.\x00 Fin.".encode("utf-16-le"))
    # "en Syrie": a place in a text with no word of the region or of war would be held as doubtful.
    (folder / os.fsdecode(b"caf\xe9-hama.txt")).write_bytes("Café à Hama, en Syrie.".encode())
    (folder / os.fsdecode(b"caf\xe8-hama.txt")).write_bytes("Autre café à Hama, en Syrie.".encode())


def test_files_with_nul_characters_and_names_that_are_not_utf8_are_read(tmp_path):
    nul_files(tmp_path)

    batch = FolderSource(tmp_path, 10_000).read()

    assert batch.errors == ()
    assert len(batch.articles) == 5
    for read in batch.articles:
        assert "\x00" not in read.text and "Hama" in read.text
        read.key.encode("utf-8"), read.location.encode("utf-8")
    keys = {a.key for a in batch.articles}
    assert {"caf\\xe9-hama.txt", "caf\\xe8-hama.txt"} <= keys, "two undecodable names stay two articles"


def test_those_files_are_stored_and_alert_on_every_database(tmp_path, database_url):
    nul_files(tmp_path)
    batch = FolderSource(tmp_path, 10_000).read()
    store = SqlStore.open(database_url)
    try:
        recorded = record_detections(store, [found(a, "Hama") for a in batch.articles], WATCHLIST, route, NOW)
        assert recorded.rejected == []
        assert len(store.known_hashes([batch.source])) == 5
    finally:
        store.close()


@pytest.mark.parametrize(
    "body",
    [
        rss(("g1", "Tirs&#0; à Hama", "Des tirs&#0; à Hama.")),
        rss(("g1", "Tirs à Hama", "Des tirs \x00 à Hama.")),
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "items": [{"id": "g1", "title": "Tirs\u0000 à Hama", "content_text": "Des tirs\u0000 à Hama."}],
            }
        ).encode(),
    ],
    ids=["rss-entity", "rss-raw-byte", "json-escape"],
)
def test_nul_characters_in_feeds_never_reach_the_database(body, database_url):
    parsed = parse_feed(
        body,
        RSS if body.startswith(b"<") else {"content-type": "application/feed+json"},
        "feed:nul",
        "http://example.org/feed",
    )
    (article,) = parsed.articles
    assert "\x00" not in article.text + article.title + article.key
    store = SqlStore.open(database_url)
    try:
        assert record_detections(store, [found(article, "Hama")], WATCHLIST, route, NOW).rejected == []
    finally:
        store.close()


def test_two_entries_sharing_a_thousand_character_guid_are_both_stored(database_url):
    guid = "g" * 1000
    parsed = parse_feed(
        rss((guid, "Un", "Premier texte à Hama."), (guid, "Deux", "Second texte à Hama.")),
        RSS,
        "feed:long",
        "http://example.org/feed",
    )
    first, second = parsed.articles
    assert first.key != second.key and max(len(first.key), len(second.key)) <= KEY_CHARS
    store = SqlStore.open(database_url)
    try:
        recorded = record_detections(store, [found(first, "Hama"), found(second, "Hama")], WATCHLIST, route, NOW)
        assert recorded.rejected == [] and len(store.known_hashes(["feed:long"])) == 2
    finally:
        store.close()


def test_a_lone_surrogate_in_a_json_feed_title_costs_nothing_but_the_surrogate():
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
        b'{"id": "1", "title": "Tirs \\ud800 \\u00e0 Hama", "content_text": "Des tirs \\udfff \\u00e0 Hama."},'
        b'{"id": "2", "title": "Alep", "content_text": "Frappes \\u00e0 Alep."}]}'
    )
    parsed = parse_feed(body, {"content-type": "application/feed+json"}, "feed:json", "http://example.org/feed")
    titles = [a.title for a in parsed.articles]
    assert titles == ["Tirs \ufffd à Hama", "Alep"]


def test_an_item_that_still_cannot_be_stored_is_named_and_the_rest_of_its_batch_alerts(database_url):
    good = [
        article(
            f"Texte {n} sur Hama.", key=f"ok-{n}", source="feed:mix", title=f"Titre {n}", location=f"http://e.org/{n}"
        )
        for n in range(3)
    ]
    poison = article(
        "Texte empoisonné sur Hama.", key="poison", source="feed:mix", title="Poison", location="http://e.org/p"
    )
    # A mention is made from the article's clean text; one forged here stands for any value a database refuses.
    start = poison.text.index("Hama")
    bad = found(poison, Mention("hama", "watched", "Hama\ud800", start, start + 4, "phrase \ud800"))
    store = SqlStore.open(database_url)
    try:
        items = [found(good[0], "Hama"), bad, found(good[1], "Hama"), found(good[2], "Hama")]
        recorded = record_detections(store, items, WATCHLIST, route, NOW)
        (rejected,) = recorded.rejected
        assert (rejected.source, rejected.item) == ("feed:mix", "poison")
        assert rejected.problem and "\n" not in rejected.problem
        assert len(recorded.alerts) == 3, "each good article is its own story and alerts"
        assert set(store.known_hashes(["feed:mix"])) == {("feed:mix", f"ok-{n}") for n in range(3)}
        assert store.delivery_counts() == {"pending": 3}
    finally:
        store.close()


def test_text_after_an_escaped_angle_bracket_is_kept():
    from veille.ingest.html import html_to_text

    assert html_to_text("a &lt;b puis des tirs à Alep") == "a <b puis des tirs à Alep"
    assert html_to_text("<p>Des tirs à Alep.</p> <a hre") == "Des tirs à Alep."


@pytest.mark.parametrize(
    ("item", "field", "expected"),
    [
        ({"id": 1, "title": ["liste"], "content_text": "Tirs à Hama."}, "title", "Tirs à Hama."),
        ({"id": 7, "title": "Hama", "content_text": {"objet": 1}}, "text", "Hama"),
        (
            {"id": {"x": 1}, "url": ["http://e.org/a"], "title": "Hama", "content_text": "Tirs."},
            "location",
            "http://example.org/feed",
        ),
        ({"id": 42, "title": "Hama", "content_text": "Tirs."}, "key", "42"),
        ({"id": True, "url": 5, "title": "Hama", "content_text": "Tirs."}, "location", "http://example.org/feed"),
    ],
    ids=["list-title", "object-content", "object-id-and-list-url", "number-id", "bool-id-and-number-url"],
)
def test_json_feed_fields_of_the_wrong_type_are_ignored_not_stored_as_reprs(item, field, expected):
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [item]}).encode()
    (article,) = parse_feed(
        body, {"content-type": "application/feed+json"}, "feed:j", "http://example.org/feed"
    ).articles
    assert getattr(article, field) == expected
    for value in (article.title, article.text, article.key, article.location):
        assert not value.startswith(("[", "{")) and value not in ("True", "5")


# Item 5: special files in a watched folder.


def test_a_fifo_in_the_folder_is_reported_and_does_not_hang_the_read(tmp_path):
    (tmp_path / "good.txt").write_text("Tirs à Hama.", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")

    batch = FolderSource(tmp_path, 10_000).read()

    assert [a.key for a in batch.articles] == ["good.txt"]
    (error,) = batch.errors
    assert error.item.endswith("pipe.txt") and "FIFO" in error.problem


@pytest.mark.parametrize(
    ("target", "problem"),
    [("/dev/zero", "outside the folder"), ("/etc/passwd", "outside the folder"), ("/dev/null", "outside the folder")],
)
def test_a_link_out_of_the_folder_is_not_followed(tmp_path, target, problem):
    (tmp_path / "good.txt").write_text("Tirs à Hama.", encoding="utf-8")
    (tmp_path / "escape.txt").symlink_to(target)

    batch = FolderSource(tmp_path, 10_000).read()

    assert [a.key for a in batch.articles] == ["good.txt"]
    (error,) = batch.errors
    assert error.item.endswith("escape.txt") and problem in error.problem and "VEILLE_FOLLOW_LINKS" in error.problem


def test_with_links_followed_a_device_is_still_refused_and_a_regular_file_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "report.txt").write_text("Frappes à Alep.", encoding="utf-8")
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "report.txt").symlink_to(outside / "report.txt")

    batch = FolderSource(folder, 10_000, follow_links=True).read()

    assert [a.text for a in batch.articles] == ["Frappes à Alep."]
    (error,) = batch.errors
    assert error.item.endswith("zero.txt") and "character device" in error.problem


def test_links_inside_the_folder_are_followed_and_a_link_loop_ends(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Tirs à Hama.", encoding="utf-8")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "sub" / "a.txt")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)

    for follow in (False, True):
        batch = FolderSource(tmp_path, 10_000, follow_links=follow).read()
        assert sorted(a.key for a in batch.articles) == ["alias.txt", "sub/a.txt"], follow
        assert batch.errors == ()


def test_a_file_that_grows_past_the_limit_is_refused_with_a_bounded_read(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"Hama " * 1000)
    batch = FolderSource(tmp_path, 4000).read()
    (error,) = batch.errors
    assert "too large" in error.problem


# Item 10: identity and state.


def test_a_folder_source_has_the_same_name_from_any_working_directory(tmp_path, monkeypatch):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Tirs à Hama.", encoding="utf-8")
    names = set()
    for cwd in (tmp_path, folder, Path("/")):
        monkeypatch.chdir(cwd)
        names.add(FolderSource(Path(os.path.relpath(folder)), 1000).read().source)
    assert names == {f"folder:{folder}"}
    assert FolderSource(folder, 1000, label="terrain").name == "folder:terrain"


def test_a_not_modified_feed_keeps_its_malformed_warning(database_url):
    store = SqlStore.open(database_url)
    try:
        store.record_source_reads(
            [batch("feed:bozo", warning="malformed feed: SAXParseException: x", validators={"etag": '"v1"'})], NOW
        )
        store.record_source_reads([batch("feed:bozo", not_modified=True, validators={"etag": '"v1"'})], NOW)
        (health,) = store.source_health(["feed:bozo"])
        assert health.last_warning == "malformed feed: SAXParseException: x"
        assert store.source_states(["feed:bozo"])["feed:bozo"].validators == {"etag": '"v1"'}
    finally:
        store.close()


# The same, through the monitor flow: the run completes and every good article alerts.


def monitor_run(**parameters):
    from flows.monitor import monitor

    state = monitor(return_state=True, **parameters)
    return state, (state.result(raise_on_failure=False) if state.is_completed() else None)


@pytest.mark.usefixtures("prefect_harness")
def test_poison_files_beside_the_seeds_cost_nothing_and_every_article_alerts(workdir):
    nul_files(workdir / "seeds")

    state, summary = monitor_run()

    assert state.is_completed(), state.message
    assert (summary.new, summary.read_errors) == (7, [])
    hama = {a.location.rsplit("/", 1)[-1] for a in summary.alerts if "Hama" in a.entries}
    assert {"raw-nul.txt", "bom-nul.txt", "utf16-nul.txt", "caf\\xe9-hama.txt", "caf\\xe8-hama.txt"} <= hama

    state, summary = monitor_run()
    assert state.is_completed() and (summary.new, summary.unchanged) == (0, 7), "stored once, known after"


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_reads_the_same_folder_as_the_same_source_from_any_working_directory(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    state, first = monitor_run()
    assert state.is_completed() and first.new == 2
    monkeypatch.chdir("/")
    state, second = monitor_run()
    assert state.is_completed() and (second.new, second.unchanged, len(second.alerts)) == (0, 2, 0)


@pytest.mark.usefixtures("prefect_harness")
def test_a_folder_named_after_the_working_directory_keeps_its_articles_under_its_new_name(workdir, monkeypatch):
    sources = workdir / "config" / "sources.yaml"
    monkeypatch.chdir(workdir)
    # What a run before this version stored: the folder named by its path relative to the working directory.
    sources.write_text("folders:\n  - path: seeds\n    name: seeds\n", encoding="utf-8")
    state, first = monitor_run()
    assert state.is_completed() and first.new == 2 and first.batches[0].source == "folder:seeds"
    state, again = monitor_run(folder=Path("seeds/../seeds"))
    assert state.is_completed() and again.batches[0].source == "folder:seeds" and again.new == 0, (
        "a run's folder parameter naming a configured folder reads it under its configured name"
    )

    sources.write_text("folders:\n  - path: seeds\n", encoding="utf-8")
    state, second = monitor_run()

    assert state.is_completed(), state.message
    assert second.batches[0].source == f"folder:{workdir / 'seeds'}"
    assert (second.new, second.unchanged, len(second.alerts)) == (0, 2, 0)


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_started_through_the_api_reads_no_folder_outside_the_configured_ones(workdir, monkeypatch):
    outside = workdir / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("Le mot de passe de Hama est 1234.", encoding="utf-8")

    for folder in (outside, Path("/etc"), workdir / "seeds" / ".." / "elsewhere"):
        state, _ = monitor_run(folder=folder)
        assert state.is_failed() and "outside the folders of" in state.message, folder
        assert "VEILLE_FOLDER_ROOTS" in state.message

    state, summary = monitor_run(folder=workdir / "seeds")
    assert state.is_completed() and summary.new == 2, "a configured folder (or one inside it) is allowed"
    monkeypatch.setenv("VEILLE_FOLDER_ROOTS", str(outside))
    state, summary = monitor_run(folder=outside)
    assert state.is_completed() and summary.new == 1, "and one listed in VEILLE_FOLDER_ROOTS"


@pytest.mark.usefixtures("prefect_harness")
def test_a_new_empty_database_beside_the_state_of_an_earlier_one_is_refused(workdir, monkeypatch):
    state, first = monitor_run()
    assert state.is_completed() and first.alerts
    typo = workdir / "data" / "veille-typo.db"
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{typo}")

    state, _ = monitor_run()

    assert state.is_failed()
    assert "the database is new and empty" in state.message and "VEILLE_ACCEPT_NEW_DATABASE" in state.message
    from sqlalchemy import create_engine, inspect

    assert inspect(create_engine(f"sqlite:///{typo}")).get_table_names() == [], "nothing was created in it"

    monkeypatch.setenv("VEILLE_ACCEPT_NEW_DATABASE", "1")
    state, fresh = monitor_run()
    assert state.is_completed() and fresh.new == 2, "a fresh start, when the user says so"
    monkeypatch.delenv("VEILLE_ACCEPT_NEW_DATABASE")
    state, again = monitor_run()
    assert state.is_completed() and again.new == 0, "that database is now one the data directory knows"


def test_the_summary_and_the_report_of_a_not_modified_feed_show_its_last_warning():
    from veille.report import source_table
    from veille.summary import RunSummary

    summary = RunSummary(
        batches=[batch("feed:bozo", not_modified=True)],
        sources=[source_health("feed:bozo", 12, last_warning="malformed feed: SAXParseException: x")],
    )
    assert "feed:bozo: not modified (last warning: malformed feed: SAXParseException: x); 12 stored" in summary.render()
    assert "not modified (last warning: malformed feed: SAXParseException: x)" in "\n".join(source_table(summary))


def test_a_data_directory_that_cannot_be_written_is_one_clear_store_error(tmp_path):
    from veille.errors import StoreError
    from veille.store.continuity import remember_database

    (tmp_path / "data").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(StoreError, match=r"cannot note the database in .*databases.txt"):
        remember_database(tmp_path / "data", "sqlite:///x.db")


@pytest.mark.parametrize(
    ("files", "certain"),
    [
        ({}, None),
        ({"databases.txt": "{this}\n"}, None),
        ({"databases.txt": "{this}\n0123456789ab\n"}, True),
        ({"unrecorded-deliveries-0123456789ab.jsonl": "{}\n"}, True),
        ({"veille.db": "SQLite format 3"}, True),
        ({"alerts.jsonl": '{"title": "Veille: monitor run x failed"}\n'}, False),
        ({"databases.txt": "{this}\n", "alerts.jsonl": "{}\n", "veille.db": "x"}, None),
    ],
    ids=["fresh", "this-one-known", "another-known", "a-journal", "a-sqlite-file", "only-alerts", "known-wins"],
)
def test_the_trace_of_another_database_in_the_data_directory(tmp_path, files, certain):
    from veille.store.continuity import database_digest, earlier_state

    url = "postgresql+psycopg://veille:secret@db/veille"
    for name, content in files.items():
        (tmp_path / name).write_text(content.replace("{this}", database_digest(url)), encoding="utf-8")
    found = earlier_state(tmp_path, tmp_path / "alerts.jsonl", url)
    assert (found.certain if found else None) == certain
    assert found is None or "secret" not in found.evidence
