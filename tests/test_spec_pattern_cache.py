"""Specification of veille.extract.pattern_cache: slow regular expressions kept compiled between runs.

A kept pattern is the very pattern Python's compiler makes (it matches as one compiled afresh), is used
only by the Python build that made it, and a record that is unusable is compiled again and replaced.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path

import pytest

from veille.extract import pattern_cache
from veille.extract.index_cache import IndexCache
from veille.extract.pattern_cache import KIND, CompiledPattern, build_key, compiled_patterns

TEXTS = ["arrière-pays", "ARRIÈRE-PAYS", "Anti-aérienne", "vis-à-vis", "c'est-à-dire", "Hama", "", "x-" * 50]


def new_pattern() -> str:
    """A pattern re has never seen (its cache would answer otherwise), case-insensitive with a group."""
    return rf"(?iu)(?:anti|arrière|vis)-(?P<rest>[^\W\d_]+(?:-[^\W\d_]+)*)|{uuid.uuid4().hex}"


def fresh(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled now, past re's cache."""
    compiled: re.Pattern[str] = re._compiler.compile(pattern, 0)  # type: ignore[attr-defined]
    return compiled


def matches(compiled: re.Pattern[str]) -> list[tuple[str, dict[str, str | None]] | None]:
    return [(m.group(0), m.groupdict()) if (m := compiled.match(text)) else None for text in TEXTS]


def kept(folder: Path) -> list[CompiledPattern]:
    value = IndexCache(folder).read(KIND, build_key(), list)
    return value or []


def test_a_slow_pattern_is_kept_and_the_next_run_takes_it_compiled_from_the_cache(tmp_path):
    pattern, cache = new_pattern(), IndexCache(tmp_path)
    with compiled_patterns(cache, slow_seconds=0) as taken:
        first = re.compile(pattern)
    assert taken == []
    assert [record.pattern for record in kept(tmp_path)] == [pattern]

    re.purge()  # as a new process: re's cache is empty
    with compiled_patterns(cache, slow_seconds=0) as taken:
        installed = re._cache[(str, pattern, 0)]  # type: ignore[attr-defined]
        again = re.compile(pattern)
    assert taken == [pattern]
    assert again is installed  # re.compile found it: nothing compiled
    assert matches(again) == matches(first) == matches(fresh(pattern))
    assert matches(first)[0] == ("arrière-pays", {"rest": "pays"})
    assert (again.pattern, again.flags, again.groups, again.groupindex) == (
        first.pattern,
        first.flags,
        first.groups,
        first.groupindex,
    )


def test_a_pattern_that_compiles_quickly_is_not_kept(tmp_path):
    with compiled_patterns(IndexCache(tmp_path), slow_seconds=60):
        re.compile(new_pattern())
    assert kept(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_a_pattern_compiled_outside_the_block_compiles_as_usual(tmp_path):
    original = re._compiler.compile  # type: ignore[attr-defined]
    with compiled_patterns(IndexCache(tmp_path), slow_seconds=0):
        pass
    assert re._compiler.compile is original  # type: ignore[attr-defined]
    re.compile(new_pattern())
    assert kept(tmp_path) == []


def test_a_record_of_another_python_build_is_not_used(tmp_path, monkeypatch):
    pattern, cache = new_pattern(), IndexCache(tmp_path)
    monkeypatch.setattr(pattern_cache, "build_key", lambda: "another-build")
    with compiled_patterns(cache, slow_seconds=0):
        re.compile(pattern)
    monkeypatch.undo()
    re.purge()
    with compiled_patterns(cache, slow_seconds=0) as taken:
        re.compile(pattern)
    assert taken == []
    assert [record.pattern for record in kept(tmp_path)] == [pattern]  # this build's own record now


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda code: (1, 2, 3), id="code-that-is-not-valid"),
        pytest.param(lambda code: code[: len(code) // 2], id="code-cut-in-half"),
        pytest.param(lambda code: (*code[:-1], 10**12), id="an-opcode-out-of-range"),
    ],
)
def test_a_record_whose_code_is_unusable_is_compiled_again_and_replaced(tmp_path, caplog, damage):
    pattern, cache = new_pattern(), IndexCache(tmp_path)
    with compiled_patterns(cache, slow_seconds=0):
        re.compile(pattern)
    [record] = kept(tmp_path)
    broken = CompiledPattern(
        record.pattern,
        record.flags,
        record.compiled_flags,
        damage(record.code),
        record.groups,
        record.groupindex,
        record.indexgroup,
    )
    cache.write(KIND, build_key(), [broken])
    re.purge()
    with caplog.at_level(logging.WARNING), compiled_patterns(cache, slow_seconds=0) as taken:
        compiled = re.compile(pattern)
    assert taken == []
    assert "a cached regular expression is unusable" in caplog.text
    assert matches(compiled) == matches(fresh(pattern))
    assert kept(tmp_path)[0].code == record.code


def test_without_a_cache_nothing_is_recorded_or_changed():
    original = re._compiler.compile  # type: ignore[attr-defined]
    with compiled_patterns(None, slow_seconds=0) as taken:
        assert re._compiler.compile is original  # type: ignore[attr-defined]
        re.compile(new_pattern())
    assert taken == []


def test_an_error_inside_the_block_restores_the_compiler(tmp_path):
    original = re._compiler.compile  # type: ignore[attr-defined]
    engine = re._compiler._sre  # type: ignore[attr-defined]
    with pytest.raises(OSError), compiled_patterns(IndexCache(tmp_path), slow_seconds=0):
        raise OSError("the model is not installed")
    assert (re._compiler.compile, re._compiler._sre) == (original, engine)  # type: ignore[attr-defined]


def test_only_the_newest_few_records_are_kept(tmp_path):
    cache, patterns = IndexCache(tmp_path), [new_pattern() for _ in range(pattern_cache._KEPT + 2)]
    for pattern in patterns:
        with compiled_patterns(cache, slow_seconds=0):
            re.compile(pattern)
    assert [record.pattern for record in kept(tmp_path)] == patterns[::-1][: pattern_cache._KEPT]
