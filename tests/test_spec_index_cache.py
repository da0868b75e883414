"""Specification of veille.extract.index_cache: the compiled watch list kept between runs.

A kept watch list or index is used only for the very bytes and options it was built from; anything
else in the cache folder (a corrupt, truncated or foreign file) is a warning and a rebuild.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.test_spec_matcher import tokens
from veille.extract import index_cache
from veille.extract.index_cache import IndexCache, cached_index, cached_watchlist

WATCHLIST = """\
entries:
  - id: deir-ez-zor
    kind: place
    name: Deir ez-Zor
    aliases: [Deir Ezzor]
  - id: mortier
    kind: weapon
    name: mortier
"""
TEXT = "Des tirs de mortiers sur Deir Ezzour, puis sur Deir ez-Zor."


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is a new run: nothing loaded in this process yet."""
    monkeypatch.setattr(index_cache, "_loaded", {})


def built(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was read, validated or indexed again (not taken from the cache)."""
    return [r.getMessage().split(":")[0].split(" ")[0] for r in caplog.records if r.levelno == logging.INFO]


def found(index) -> list[tuple[str, str]]:
    keys = [keys for keys, _ in tokens(TEXT)]
    return [(entry_id, matched_by) for _, _, entry_id, matched_by in index.find(keys)]


def write(tmp_path: Path, text: str = WATCHLIST) -> Path:
    path = tmp_path / "watchlist.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_second_run_takes_the_watch_list_and_its_index_from_the_cache(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger=index_cache.__name__)
    cache = IndexCache(tmp_path / "cache")
    first = cached_watchlist(write(tmp_path), cache)
    fresh = cached_index(first, True, cache)
    assert built(caplog) == ["watch", "matcher"]
    caplog.clear()
    monkeypatch.setattr(index_cache, "_loaded", {})  # the next run, another process
    second = cached_watchlist(write(tmp_path), cache)
    kept = cached_index(second, True, cache)
    assert built(caplog) == []
    assert second == first
    assert found(kept) == found(fresh) == [("mortier", "alias"), ("deir-ez-zor", "fold"), ("deir-ez-zor", "alias")]


def test_within_one_process_the_same_bytes_are_the_same_watch_list(tmp_path):
    path = write(tmp_path)
    assert cached_watchlist(path, None) is cached_watchlist(path, IndexCache(tmp_path / "cache"))


@pytest.mark.parametrize(
    ("change", "rebuilt"),
    [
        ("", []),
        ("    aliases: [mortiers]\n", ["watch", "matcher"]),  # the file changed
        ("# a comment\n", ["watch"]),  # other bytes, the same entries: the index is kept
    ],
)
def test_a_changed_file_is_read_again(tmp_path, caplog, change, rebuilt):
    cache = IndexCache(tmp_path / "cache")
    cached_index(cached_watchlist(write(tmp_path), cache), True, cache)
    index_cache._loaded.clear()
    caplog.set_level(logging.INFO, logger=index_cache.__name__)
    changed = cached_watchlist(write(tmp_path, WATCHLIST + change), cache)
    cached_index(changed, True, cache)
    assert built(caplog) == rebuilt


@pytest.mark.parametrize("fold", [True, False])
def test_the_match_options_are_part_of_the_key(tmp_path, fold):
    cache = IndexCache(tmp_path / "cache")
    watchlist = cached_watchlist(write(tmp_path), cache)
    other = cached_index(watchlist, not fold, cache)
    index = cached_index(watchlist, fold, cache)
    assert len(list(cache.folder.glob("index-*.pickle"))) == 2
    assert found(index) != found(other)
    assert found(index) == found(cached_index(watchlist, fold, None))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-40] + bytes(40), id="corrupt"),
        pytest.param(lambda data: b"PK\x03\x04 a zip file, not ours", id="foreign"),
        pytest.param(lambda data: data.replace(index_cache.FORMAT, b"veille-compiled-watchlist 0\n"), id="old"),
    ],
)
@pytest.mark.parametrize("kind", ["watchlist", "index"])
def test_an_unusable_cache_file_is_rebuilt_with_a_warning(tmp_path, caplog, kind, damage):
    cache = IndexCache(tmp_path / "cache")
    expected = found(cached_index(cached_watchlist(write(tmp_path), cache), True, cache))
    (kept,) = cache.folder.glob(f"{kind}-*.pickle")
    kept.write_bytes(damage(kept.read_bytes()))
    index_cache._loaded.clear()
    caplog.set_level(logging.INFO, logger=index_cache.__name__)
    assert found(cached_index(cached_watchlist(write(tmp_path), cache), True, cache)) == expected
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"cached {kind} " in warnings[0] and "building it again" in warnings[0]
    assert len(built(caplog)) == 1
    index_cache._loaded.clear()
    caplog.clear()
    cached_index(cached_watchlist(write(tmp_path), cache), True, cache)  # and written whole again
    assert built(caplog) == [] and not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_cache_folder_that_cannot_be_written_costs_time_not_the_run(tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    cache = IndexCache(blocked)
    index = cached_index(cached_watchlist(write(tmp_path), cache), True, cache)
    assert found(index)
    assert [r for r in caplog.records if r.levelno == logging.WARNING and "cannot write" in r.getMessage()]


def test_a_write_leaves_no_temporary_file_and_only_the_latest_files(tmp_path):
    cache = IndexCache(tmp_path / "cache")
    for number in range(6):
        index_cache._loaded.clear()
        cached_watchlist(write(tmp_path, WATCHLIST + f"# edit {number}\n"), cache)
    names = sorted(path.name for path in cache.folder.iterdir())
    assert len(names) == 4 and all(name.startswith("watchlist-") and name.endswith(".pickle") for name in names)


def test_an_invalid_watch_list_is_never_kept(tmp_path):
    from veille.errors import ConfigError

    cache = IndexCache(tmp_path / "cache")
    with pytest.raises(ConfigError, match="kind"):
        cached_watchlist(write(tmp_path, WATCHLIST.replace("kind: weapon", "kind: vessel")), cache)
    assert not cache.folder.exists() or not list(cache.folder.iterdir())
