"""The model's slow regular expressions compiled once per machine, not at every run.

Loading fr_core_news_sm imports spacy.lang.fr.tokenizer_exceptions, which compiles one regular
expression of 1.4 MB (French words with hyphens and elisions, each with the class of every Unicode
letter, case-insensitive): 3 to 7 s of CPU on these machines, most of the model's load, paid by every
run with text to read. Python keeps no compiled pattern between processes (a pickled one is compiled
again when loaded), but what its compiler makes of a pattern is a list of integers, which `_sre.compile`
turns into the pattern in milliseconds, checking it as it does.

So a load records the arguments of `_sre.compile` for each pattern that took long to compile, and the
next loads put those patterns into `re`'s own cache first: spaCy's `re.compile` then finds them there.
The records are kept in the data folder's cache (veille.extract.index_cache) under a key of the Python
build and its regular expression engine. This reaches into CPython's private parts (`re._cache`,
`re._compiler`): where they are not as expected, or a record is unusable, the pattern is compiled as
usual, and the records are then written again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from veille.extract.index_cache import IndexCache

logger = logging.getLogger(__name__)

KIND = "patterns"
# A pattern that compiles in less is not worth a record: spaCy's others take a few milliseconds.
SLOW_SECONDS = 0.2
# Records kept in the file: the model's own slow patterns are one today.
_KEPT = 8


@dataclass(frozen=True)
class CompiledPattern:
    """What `re.compile(pattern, flags)` handed to `_sre.compile`: enough to make the pattern again."""

    pattern: str
    flags: int  # as given to re.compile: the key of re's cache
    compiled_flags: int  # with the pattern's inline flags
    code: tuple[int, ...]
    groups: int
    groupindex: dict[str, int]
    indexgroup: tuple[str | None, ...]

    def make(self) -> re.Pattern[str]:
        """The pattern, from its code (ValueError, RuntimeError or TypeError when the code is not valid)."""
        import _sre  # type: ignore[import-not-found]  # CPython's regular expression engine, no stub

        made: re.Pattern[str] = _sre.compile(
            self.pattern, self.compiled_flags, list(self.code), self.groups, self.groupindex, self.indexgroup
        )
        return made


def build_key() -> str:
    """What a record is valid for: this Python's build and its regular expression engine."""
    import _sre

    parts = (sys.version, sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE, _sre.MAXREPEAT, _sre.MAXGROUPS)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@contextmanager
def compiled_patterns(cache: IndexCache | None, slow_seconds: float = SLOW_SECONDS) -> Iterator[list[str]]:
    """Within the block, the patterns kept in `cache` compile at once; those that took `slow_seconds` or
    more are kept for the next time. Yields the list of patterns taken from the cache (for the tests)."""
    taken: list[str] = []
    if cache is None or not _supported():
        yield taken
        return
    key = build_key()
    kept = cache.read(KIND, key, list) or []
    usable = []
    for record in kept:
        if isinstance(record, CompiledPattern) and _install(record):
            usable.append(record)
            taken.append(record.pattern)
    recorded: list[CompiledPattern] = []
    with _recording(recorded, slow_seconds):
        yield taken
    known = {(record.pattern, record.flags) for record in usable}
    new = [record for record in recorded if (record.pattern, record.flags) not in known]
    if new or len(usable) != len(kept):
        # Newest first, a few: a pattern a newer spaCy no longer compiles is not kept for ever.
        cache.write(KIND, key, (new + usable)[:_KEPT])


def _supported() -> bool:
    """Whether this Python's `re` is made as this module expects (CPython 3.11's)."""
    compiler = getattr(re, "_compiler", None)
    return (
        isinstance(getattr(re, "_cache", None), dict)
        and callable(getattr(compiler, "compile", None))
        and hasattr(getattr(compiler, "_sre", None), "compile")
    )


def _install(record: CompiledPattern) -> bool:
    """Put the pattern into re's cache, where re.compile looks first; False if its code is not usable."""
    try:
        made = record.make()
    except (ValueError, RuntimeError, TypeError, OverflowError) as exc:
        logger.warning("a cached regular expression is unusable (%s): compiling it again", type(exc).__name__)
        return False
    re._cache[(str, record.pattern, record.flags)] = made  # type: ignore[attr-defined]
    return True


class _Recorder:
    """Stands for `_sre` in re._compiler while recording: notes the arguments of each compile, per thread."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.last = threading.local()

    def compile(self, *args: Any) -> Any:
        self.last.args = args
        return self._engine.compile(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


@contextmanager
def _recording(recorded: list[CompiledPattern], slow_seconds: float) -> Iterator[None]:
    """Within the block, each pattern compiled in `slow_seconds` or more is added to `recorded`."""
    compiler: Any = re._compiler  # type: ignore[attr-defined]
    original_compile: Callable[..., Any] = compiler.compile
    original_engine = compiler._sre
    recorder = _Recorder(original_engine)

    def timed_compile(pattern: Any, flags: int = 0) -> Any:
        started = time.perf_counter()
        compiled = original_compile(pattern, flags)
        args = getattr(recorder.last, "args", None)
        recorder.last.args = None
        if time.perf_counter() - started >= slow_seconds and isinstance(pattern, str) and args and args[0] is pattern:
            _, compiled_flags, code, groups, groupindex, indexgroup = args
            recorded.append(
                CompiledPattern(
                    # The compiler's opcodes are ints of a subclass that pickles by reference to re's internals.
                    pattern,
                    flags,
                    compiled_flags,
                    tuple(map(int, code)),
                    groups,
                    dict(groupindex),
                    indexgroup,
                )
            )
        return compiled

    compiler.compile, compiler._sre = timed_compile, recorder
    try:
        yield
    finally:
        compiler.compile, compiler._sre = original_compile, original_engine
