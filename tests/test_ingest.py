"""Seed files: real bytes on disk, every encoding and every kind of bad file."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from tests.conftest import SEEDS, SHARED
from veille.errors import IngestError
from veille.ingest.folder import FolderSource
from veille.ingest.text import clean_article_text, decode_text, title_of

BODY = "L’armée syrienne s’approche de Deir ez-Zor. Des tirs de mortier à Hama."


@pytest.mark.parametrize(
    "data",
    [
        BODY.encode("utf-8"),
        b"\xef\xbb\xbf" + BODY.encode("utf-8"),
        "\ufeff".encode("utf-16-le") + BODY.encode("utf-16-le"),
        "\ufeff".encode("utf-16-be") + BODY.encode("utf-16-be"),
        BODY.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "windows-1252"],
)
def test_decodes_every_supported_encoding(data):
    assert clean_article_text(decode_text(data)) == BODY


def test_latin1_accents_come_through():
    assert decode_text("Lattaquié, Kobané, Alep".encode("latin-1")) == "Lattaquié, Kobané, Alep"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty file"),
        (b"  \n\n \t", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (b"caf\xe9 \x81\x8d\x8f\x90\x9d", "undecodable"),
        (b"\xef\xbb\xbfok \xff\xfe broken", "undecodable"),
        (bytes([1, 2, 3, 4, 5, 6, 7]) * 20 + b"text", "binary or undecodable"),
    ],
    ids=["empty", "blank", "png", "undefined-cp1252-bytes", "bom-but-not-utf8", "control-characters"],
)
def test_bad_bytes_give_a_clear_error(data, problem):
    with pytest.raises(IngestError, match=problem):
        decode_text(data)


@pytest.mark.parametrize("char", [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"])
def test_a_text_of_control_characters_is_refused_unless_they_lay_it_out(char):
    # Decoded from UTF-16 (BOM), every control character reaches the text check, C1 ones included.
    data = b"\xff\xfe" + ("Alep " + char * 10).encode("utf-16-le")
    if char in "\t\n\r\f":
        assert decode_text(data) == "Alep " + char * 10
    else:
        with pytest.raises(IngestError, match="10 control characters"):
            decode_text(data)


def test_image_names_are_dropped_and_caption_text_kept():
    raw = "map_syrie.jpg\nPremier paragraphe.\n\nphoto-1.PNG\n\nsoldat-russe.jpg Photo: Un enregistrement.\r\n"
    assert clean_article_text(raw) == "Premier paragraphe.\n\nPhoto: Un enregistrement."


def test_title_is_the_first_line_cut_on_a_word():
    assert title_of("Court titre\nCorps") == "Court titre"
    long_line = "mot " * 60
    title = title_of(long_line)
    assert title.endswith("…") and len(title) <= 141 and "mot mot" in title


def test_reads_the_real_seed_files():
    batch = FolderSource(SEEDS, 5_000_000).read()
    assert batch.errors == ()
    by_key = {article.key: article for article in batch.articles}
    first = by_key["000_cb98e6dd4b5ccfbd.txt"]
    assert not first.text.startswith("map_syrie.jpg")
    assert first.text.startswith("Le ministère russe de la Défense")
    assert "soldat-russe.jpg" not in first.text
    assert first.text.endswith("présentés comme étant des soldats russes.")
    assert by_key["003_14110cf45b5c4781.txt"].title.startswith("La bataille bat son plein")
    assert first.location.endswith("seeds/000_cb98e6dd4b5ccfbd.txt")


def test_a_seed_is_dated_by_the_first_full_date_of_its_start_and_the_other_is_not():
    by_key = {article.key: article for article in FolderSource(SEEDS, 5_000_000).read().articles}

    # "le 4 septembre" has no year: the caption's "mis en ligne le 6 septembre 2017" is the first full date.
    assert by_key["000_cb98e6dd4b5ccfbd.txt"].published_at == datetime(2017, 9, 6, tzinfo=UTC)
    assert by_key["003_14110cf45b5c4781.txt"].published_at is None


def test_a_date_written_in_a_file_is_its_published_date_unless_it_is_after_tomorrow(tmp_path):
    (tmp_path / "dated.txt").write_text("Alep, le 1er octobre 2017 — Des tirs.", encoding="utf-8")
    (tmp_path / "future.txt").write_text("Alep, le 1er octobre 2099 — Des tirs.", encoding="utf-8")
    (tmp_path / "undated.txt").write_text("Alep, le 1er octobre — Des tirs.", encoding="utf-8")

    dates = {article.key: article.published_at for article in FolderSource(tmp_path, 1000).read().articles}

    assert dates == {"dated.txt": datetime(2017, 10, 1, tzinfo=UTC), "future.txt": None, "undated.txt": None}


def test_seeds_are_the_shared_samples_byte_for_byte():
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared/seeds is absent (a user's clone); CI always has it")
    for shared in (SHARED / "seeds").iterdir():
        assert (SEEDS / shared.name).read_bytes() == shared.read_bytes()


def test_bad_files_are_reported_and_the_others_read(tmp_path):
    (tmp_path / "good.txt").write_text("Des tirs à Hama.", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Frappe à Alep.".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    (tmp_path / "undecodable.txt").write_bytes(b"Hama \x81\x8d\x90 \x9d")
    (tmp_path / "images-only.txt").write_text("a.jpg\nb.png\n", encoding="utf-8")
    (tmp_path / "huge.txt").write_bytes(b"a" * 2000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.txt").write_text("Raqqa.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")

    batch = FolderSource(tmp_path, max_file_bytes=1000).read()

    assert sorted(a.key for a in batch.articles) == ["good.txt", "latin.txt", "sub/nested.txt"]
    problems = {error.item.rsplit("/", 1)[-1]: error.problem for error in batch.errors}
    assert set(problems) == {"empty.txt", "binary.txt", "undecodable.txt", "images-only.txt", "huge.txt"}
    assert "empty" in problems["empty.txt"]
    assert "binary" in problems["binary.txt"]
    assert "undecodable" in problems["undecodable.txt"]
    assert "no text" in problems["images-only.txt"]
    assert "too large" in problems["huge.txt"] and "VEILLE_MAX_FILE_BYTES" in problems["huge.txt"]
    assert batch.items_seen == 8


def test_unreadable_file_is_reported(tmp_path):
    (tmp_path / "ok.txt").write_text("Hama.", encoding="utf-8")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "moved-away.txt")
    batch = FolderSource(tmp_path, 1000).read()
    assert [a.key for a in batch.articles] == ["ok.txt"]
    (error,) = batch.errors
    assert error.item.endswith("dangling.txt")
    assert error.problem.startswith("cannot read: ")


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(IngestError, match="not a folder"):
        FolderSource(tmp_path / "nope", 1000).read()


def test_content_hash_follows_the_text_not_the_encoding(tmp_path):
    (tmp_path / "a.txt").write_bytes("Frappe à Alep.".encode())
    (tmp_path / "b.txt").write_bytes(b"\xef\xbb\xbf" + "Frappe à Alep.\r\n".encode())
    a, b = FolderSource(tmp_path, 1000).read().articles
    assert a.content_hash == b.content_hash
