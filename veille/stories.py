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
from veille.minhash import Signature, minhash_of

# numpy is imported by the first signature or index: a run with nothing new never needs it.
if TYPE_CHECKING:
    import numpy as np

SHINGLE_WORDS = 3
NUM_PERM = 128
MIN_SHINGLES = 8
DEFAULT_THRESHOLD = 0.5
_SEED = 20171106
_LSH_MAX_THRESHOLD = 0.9
_MAX_VALUE = (1 << 32) - 1  # datasketch keeps each value below 2**32
_FIRST_ROWS = 64
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(fold(text))
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}


def signature(text: str) -> Signature | None:
    """The text's MinHash (datasketch's own values, veille.minhash), or None when it is too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    return minhash_of((gram.encode("utf-8") for gram in grams), _SEED, NUM_PERM)


def is_signature(value: object) -> TypeGuard[Signature]:
    """Whether `value` is a text's MinHash (a record holds None for a text too short to have one)."""
    return isinstance(value, Signature)


@functools.lru_cache(maxsize=1)
def _band_multipliers() -> np.ndarray:
    """Odd 64-bit constants (from a fixed seed) that mix a band's values into one integer."""
    import numpy as np

    return np.random.default_rng(_SEED).integers(1, 1 << 63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)


@functools.lru_cache(maxsize=16)
def _bands(threshold: float) -> tuple[int, int]:
    """The (bands, rows) that datasketch's MinHashLSH lays out for `threshold`: the pair that minimises the
    chances of a false positive below the threshold and of a false negative above it, weighed equally.

    datasketch integrates them with scipy, whose import (~0.5 s) every run over new articles paid before
    its first batch. Each is the integral of a polynomial of degree at most NUM_PERM, which a Gauss-Legendre
    rule of NUM_PERM // 2 + 1 points integrates exactly (tests/test_stories.py: the same pairs as datasketch).
    """
    import numpy as np

    nodes, weights = np.polynomial.legendre.leggauss(NUM_PERM // 2 + 1)
    below = threshold * (nodes + 1) / 2  # the points of [0, threshold], then of [threshold, 1]
    above = threshold + (1 - threshold) * (nodes + 1) / 2
    pairs = [(bands, rows) for bands in range(1, NUM_PERM + 1) for rows in range(1, NUM_PERM // bands + 1)]
    bands, rows = (np.array(column, dtype=float)[:, None] for column in zip(*pairs, strict=True))
    # Two texts of similarity s share a band with the chance 1 - (1 - s**rows)**bands.
    false_positive = threshold / 2 * ((1 - (1 - below**rows) ** bands) @ weights)
    false_negative = (1 - threshold) / 2 * (((1 - above**rows) ** bands) @ weights)
    # The first of equal errors, as datasketch's loop keeps it.
    return pairs[int(np.argmin(0.5 * false_positive + 0.5 * false_negative))]


class StoryIndex:
    """Signatures of recent articles, by the story they belong to; finds the story of a new text.

    Held compactly, since a run that stores 10,000 new articles holds every one of them here (issue
    #14, flat in memory): datasketch's own LSH spends ~8 KB an article on a bytes key and a set per band,
    and its MinHash objects 1 KB more. Here a signature is one row of 128 uint32 values (datasketch's
    values are 32-bit) and a band one dict entry from the band's hash to its row, about 2.5 KB in all.
    The candidates are exactly datasketch's (the rows with one band equal): a hash that collides is
    checked against the band itself.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        import numpy as np

        self.threshold = threshold
        # LSH only proposes candidates (find() checks the threshold itself); above ~0.95 datasketch
        # cannot lay out its bands, so candidates are gathered a little wider.
        bands, rows = _bands(min(threshold, _LSH_MAX_THRESHOLD))
        self._bands = [slice(band * rows, (band + 1) * rows) for band in range(bands)]
        self._shape = (bands, rows)
        self._values = np.zeros((_FIRST_ROWS, NUM_PERM), dtype=np.uint32)
        self._row_of: dict[str, int] = {}
        self._story_of: list[int] = []  # by row
        # datasketch's hashing scheme of the first signature: one of another scheme compares as noise.
        self._scheme: str | None = None
        self._free: list[int] = []
        # A band's hash -> its row, or its rows when several signatures share the band (copies do).
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    def add(self, key: str, story_id: int, minhash: Signature) -> None:
        values = self._values_of(minhash)
        self.remove(key)
        row = self._free.pop() if self._free else self._new_row()
        self._values[row] = values
        self._story_of[row] = story_id
        self._row_of[key] = row
        for bucket, band_hash in zip(self._buckets, self._band_hashes(values), strict=True):
            held = bucket.get(band_hash)
            if held is None:
                bucket[band_hash] = row
            elif isinstance(held, list):
                held.append(row)
            else:
                bucket[band_hash] = [held, row]

    def remove(self, key: str) -> None:
        row = self._row_of.pop(key, None)
        if row is None:
            return
        for bucket, band_hash in zip(self._buckets, self._band_hashes(self._values[row]), strict=True):
            held = bucket[band_hash]
            if isinstance(held, list):
                held.remove(row)
                if len(held) == 1:
                    bucket[band_hash] = held[0]
            else:
                del bucket[band_hash]
        self._free.append(row)

    def find(self, minhash: Signature) -> tuple[int, float] | None:
        """The story most similar to `minhash` at or above the threshold, with its similarity (of two
        equally similar, the older story)."""
        import numpy as np

        values = self._values_of(minhash)
        rows = self._candidates(values)
        if not rows:
            return None
        similarities = np.count_nonzero(self._values[rows] == values, axis=1) / NUM_PERM
        best = None
        for row, similarity in zip(rows, similarities.tolist(), strict=True):
            story_id = self._story_of[row]
            if similarity >= self.threshold and (best is None or (similarity, -story_id) > (best[1], -best[0])):
                best = (story_id, similarity)
        return best

    def _candidates(self, values: np.ndarray) -> list[int]:
        """The rows that share at least one band with `values`, as datasketch's LSH query gives them."""
        import numpy as np

        found: set[int] = set()
        for band, bucket, band_hash in zip(self._bands, self._buckets, self._band_hashes(values), strict=True):
            held = bucket.get(band_hash)
            if held is None:
                continue
            for row in held if isinstance(held, list) else (held,):
                if row not in found and np.array_equal(self._values[row, band], values[band]):
                    found.add(row)
        return sorted(found)

    def _band_hashes(self, values: np.ndarray) -> list[int]:
        import numpy as np

        bands = values[: self._shape[0] * self._shape[1]].reshape(self._shape).astype(np.uint64)
        # Wraps modulo 2**64 (numpy arrays do not warn on overflow): a hash, checked on every hit.
        hashes: list[int] = (bands * _band_multipliers()[: self._shape[1]]).sum(axis=1, dtype=np.uint64).tolist()
        return hashes

    def _new_row(self) -> int:
        import numpy as np

        row = len(self._story_of)
        if row == len(self._values):
            grown = np.zeros((2 * len(self._values), NUM_PERM), dtype=np.uint32)
            grown[:row] = self._values
            self._values = grown
        self._story_of.append(0)
        return row

    def _values_of(self, minhash: Signature) -> np.ndarray:
        """A signature's values as 32-bit integers; refuses one of another seed or hashing scheme than the
        index's (it would compare as noise, silently), as datasketch's own comparison does."""
        import numpy as np

        values: np.ndarray = minhash.hashvalues
        scheme = minhash.scheme
        if (
            minhash.seed != _SEED
            or scheme != (self._scheme or scheme)
            or len(values) != NUM_PERM
            or int(values.max()) > _MAX_VALUE
        ):
            raise ValueError(
                f"not a story signature of this index (seed {minhash.seed}, scheme {scheme}, {len(values)} values)"
            )
        self._scheme = scheme
        return values.astype(np.uint32)
