"""A text's MinHash as datasketch 2 makes it (scheme "affine32"): its values and its bytes, without datasketch.

Importing datasketch costs about 0.5 s (its package imports scipy for its LSH), paid by every run with
text to read before its first batch, and again by every run that loads its stored stories. The values
and the byte format here are datasketch's own, byte for byte (tests/test_spec_minhash.py), so signatures
stored by earlier versions still compare with new ones.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

AFFINE32 = "affine32"
# The schemes datasketch's byte format names: code 1 and 2 after the negated count; "legacy" (before 2.0)
# writes a positive count and no code. Only affine32 is computed here; the others are read, to be refused.
_SCHEME_CODES = {AFFINE32: 1, "affine64": 2}
_VALUE_FORMATS = {"legacy": "I", AFFINE32: "I", "affine64": "Q"}
# MurmurHash3's 32-bit finalizer, datasketch's premix of each input hash.
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)


class Signature:
    """A MinHash: the seed of its permutations, its scheme and its values (a numpy array)."""

    __slots__ = ("hashvalues", "scheme", "seed")

    def __init__(self, seed: int, scheme: str, hashvalues: np.ndarray) -> None:
        self.seed = seed
        self.scheme = scheme
        # Read-only, so that a signature can be hashed (records holding one are frozen), as datasketch's were.
        hashvalues.setflags(write=False)
        self.hashvalues = hashvalues

    def __reduce__(self) -> tuple[type[Signature], tuple[int, str, np.ndarray]]:
        # From a model process, through __init__: read-only again.
        return Signature, (self.seed, self.scheme, self.hashvalues)

    def __len__(self) -> int:
        return len(self.hashvalues)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Signature):
            return NotImplemented
        return (self.seed, self.scheme, self.hashvalues.tobytes()) == (
            other.seed,
            other.scheme,
            other.hashvalues.tobytes(),
        )

    def __hash__(self) -> int:
        return hash((self.scheme, self.seed, self.hashvalues.tobytes()))

    def __repr__(self) -> str:
        return f"Signature(seed={self.seed}, scheme={self.scheme!r}, {len(self)} values)"

    def jaccard(self, other: Signature) -> float:
        """The estimated Jaccard similarity of the two texts; ValueError for signatures that cannot be compared
        (another seed, scheme or size), as datasketch's `jaccard`."""
        import numpy as np

        if other.scheme != self.scheme or other.seed != self.seed or len(other) != len(self):
            raise ValueError(f"cannot compare {self!r} with {other!r}")
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / len(self)


def minhash_of(values: Iterable[bytes], seed: int, num_perm: int) -> Signature:
    """The affine32 MinHash of a set of byte strings: datasketch's `MinHash(num_perm, seed)` after
    `update_batch(values)`."""
    import numpy as np

    a, b = _permutations(seed, num_perm)
    # datasketch's sha1_hash32: the first four bytes of SHA-1, little-endian.
    hashes = np.fromiter(
        (int.from_bytes(hashlib.sha1(value).digest()[:4], "little") for value in values), dtype=np.uint32
    )
    if not len(hashes):
        return Signature(seed, AFFINE32, np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32))
    first, times, second, again, third = (np.uint32(constant) for constant in _FMIX32)
    hashes ^= hashes >> first
    hashes *= times
    hashes ^= hashes >> second
    hashes *= again
    hashes ^= hashes >> third
    # a * h + b wraps modulo 2**32: uint32 arithmetic is the permutation.
    permuted = hashes[:, None] * a + b
    return Signature(seed, AFFINE32, permuted.min(axis=0))


@functools.cache
def _permutations(seed: int, num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for `seed`: drawn once a process, as numpy's legacy RandomState
    (whose stream numpy keeps stable) draws them."""
    import numpy as np

    draw = np.random.RandomState(seed)
    a = draw.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def to_bytes(signature: Signature) -> bytes:
    """datasketch's LeanMinHash byte format (native order): seed, count (negated for a scheme after 2.0),
    the scheme's code, the values."""
    count = len(signature)
    values = [int(value) for value in signature.hashvalues]
    value_format = _VALUE_FORMATS[signature.scheme]
    if signature.scheme == "legacy":
        return struct.pack(f"@qi{count}{value_format}", signature.seed, count, *values)
    code = _SCHEME_CODES[signature.scheme]
    return struct.pack(f"@qiB{count}{value_format}", signature.seed, -count, code, *values)


def from_bytes(data: bytes) -> Signature:
    """A signature from datasketch's LeanMinHash bytes; ValueError for bytes that are not one."""
    import numpy as np

    try:
        seed, count = struct.unpack_from("@qi", data, 0)
        if count >= 0:
            scheme, offset = "legacy", struct.calcsize("@qi")
        else:
            count = -count
            (code,) = struct.unpack_from("@B", data, struct.calcsize("@qi"))
            scheme = next((name for name, known in _SCHEME_CODES.items() if known == code), "")
            if not scheme:
                raise ValueError(f"unknown MinHash scheme code {code}")
            # A count of 0 values aligns the offset as packing did (native order).
            offset = struct.calcsize(f"@qiB0{_VALUE_FORMATS[scheme]}")
        value_format = _VALUE_FORMATS[scheme]
        values = struct.unpack_from(f"@{count}{value_format}", data, offset)
    except struct.error as exc:
        raise ValueError(f"not a MinHash's bytes ({len(data)} bytes): {exc}") from exc
    dtype = np.uint32 if scheme == AFFINE32 else np.uint64
    return Signature(seed, scheme, np.array(values, dtype=dtype))
