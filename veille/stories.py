"""Near-duplicate detection: copies of one story (a wire in several outlets) grouped by MinHash.

Similarity is the Jaccard index of the sets of 3-word shingles of the normalised text, estimated
with 128-permutation MinHash and searched with LSH. Two texts belong to one story when their
estimated similarity is at least `threshold` (0.5 by default). Measured in tests/test_stories.py
on one wire story as three outlets ran it (a few words and a headline edited): exact similarity
0.66-0.82 between copies (MinHash estimates 0.74-0.88), 0.0 against a different report about the
same place. Texts of fewer than MIN_SHINGLES shingles are never grouped (too short to tell a copy
from a coincidence).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, TypeGuard

from veille.folding import fold

# datasketch (with scipy, ~0.5 s) is imported by the first signature: a run with nothing new never needs it.
if TYPE_CHECKING:
    from datasketch import LeanMinHash

SHINGLE_WORDS = 3
NUM_PERM = 128
MIN_SHINGLES = 8
DEFAULT_THRESHOLD = 0.5
_SEED = 20171106
_LSH_MAX_THRESHOLD = 0.9
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(fold(text))
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}


def signature(text: str) -> LeanMinHash | None:
    """The text's MinHash, or None when it is too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    from datasketch import LeanMinHash, MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch([gram.encode("utf-8") for gram in grams])
    return LeanMinHash(minhash)


def is_signature(value: object) -> TypeGuard[LeanMinHash]:
    """Whether `value` is a text's MinHash (a record holds None for a text too short to have one)."""
    if value is None:
        return False
    from datasketch import LeanMinHash

    return isinstance(value, LeanMinHash)


def to_bytes(minhash: LeanMinHash) -> bytes:
    """datasketch's own byte format, which records the hashing scheme with the values."""
    buffer = bytearray(minhash.bytesize())
    minhash.serialize(buffer)
    return bytes(buffer)


def from_bytes(data: bytes) -> LeanMinHash:
    from datasketch import LeanMinHash

    return LeanMinHash.deserialize(data)


@functools.lru_cache(maxsize=16)
def _bands(threshold: float) -> tuple[int, int]:
    """datasketch's (bands, rows) for `threshold`: an integration (scipy) of ~30 ms, and every batch of a
    run makes an index of its own."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


class StoryIndex:
    """Signatures of recent articles, by the story they belong to; finds the story of a new text."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        # LSH only proposes candidates (find() checks the threshold itself); above ~0.95 datasketch
        # cannot lay out its bands, so candidates are gathered a little wider.
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=_bands(min(threshold, _LSH_MAX_THRESHOLD)))
        self._entries: dict[str, tuple[int, LeanMinHash]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def add(self, key: str, story_id: int, minhash: LeanMinHash) -> None:
        if key in self._entries:
            self.remove(key)
        self._lsh.insert(key, minhash)
        self._entries[key] = (story_id, minhash)

    def remove(self, key: str) -> None:
        if key in self._entries:
            self._lsh.remove(key)
            del self._entries[key]

    def find(self, minhash: LeanMinHash) -> tuple[int, float] | None:
        """The story most similar to `minhash` at or above the threshold, with its similarity."""
        best = None
        for key in self._lsh.query(minhash):
            story_id, other = self._entries[key]
            similarity = minhash.jaccard(other)
            if similarity >= self.threshold and (best is None or similarity > best[1]):
                best = (story_id, similarity)
        return best
