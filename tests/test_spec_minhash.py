"""Veille's MinHash is datasketch's, value for value and byte for byte, without importing it in a run.

datasketch stays a test dependency: it is the reference every signature stored so far was made by.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash

from bench.corpus import EVAL
from tests.wire import COPIES, OTHER_STORY_SAME_PLACE
from veille.evaluation import load_passages
from veille.minhash import Signature, from_bytes, minhash_of, to_bytes
from veille.stories import _SEED, NUM_PERM, shingles, signature


def datasketch_signature(values: list[bytes], seed: int = _SEED, num_perm: int = NUM_PERM, **made) -> LeanMinHash:
    made_by = MinHash(num_perm=num_perm, seed=seed, **made)
    made_by.update_batch(values)
    return LeanMinHash(made_by)


def datasketch_bytes(minhash: LeanMinHash) -> bytes:
    buffer = bytearray(minhash.bytesize())
    minhash.serialize(buffer)
    return bytes(buffer)


def texts() -> list[str]:
    passages = [passage.text for passage in load_passages(EVAL / "places.yaml", EVAL / "weapons.yaml")[:40]]
    return [*COPIES, OTHER_STORY_SAME_PLACE, *passages]


@pytest.mark.parametrize("number", range(len(texts())))
def test_a_texts_signature_has_datasketchs_values_and_bytes(number):
    text = texts()[number]
    grams = [gram.encode("utf-8") for gram in shingles(text)]
    reference = datasketch_signature(grams)

    own = signature(text)

    assert own is not None and own.hashvalues.dtype == np.uint32
    assert own.hashvalues.tolist() == reference.hashvalues.tolist()
    assert to_bytes(own) == datasketch_bytes(reference)


@pytest.mark.parametrize(
    ("values", "seed", "num_perm"),
    [([b"a"], 1, 16), ([b"x" * 10_000, b"", b"\x00\xff"], 7, 128), ([str(n).encode() for n in range(5000)], 42, 256)],
    ids=["one value", "odd bytes", "many values"],
)
def test_other_seeds_sizes_and_inputs_match_datasketch_too(values, seed, num_perm):
    assert to_bytes(minhash_of(values, seed, num_perm)) == datasketch_bytes(
        datasketch_signature(values, seed, num_perm)
    )


def test_an_empty_set_has_datasketchs_empty_values():
    assert to_bytes(minhash_of([], _SEED, NUM_PERM)) == datasketch_bytes(datasketch_signature([]))


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_bytes_datasketch_stored_are_read_with_their_scheme_seed_and_values(scheme):
    # Rows stored by earlier versions hold datasketch's bytes, of any scheme it wrote: read, never guessed.
    reference = datasketch_signature([gram.encode() for gram in shingles(COPIES[0])], scheme=scheme)

    read = from_bytes(datasketch_bytes(reference))

    assert (read.seed, read.scheme) == (_SEED, scheme)
    assert read.hashvalues.tolist() == reference.hashvalues.tolist()
    assert to_bytes(read) == datasketch_bytes(reference)


def test_the_estimate_is_datasketchs_and_other_seeds_are_not_compared():
    first, second = (signature(text) for text in COPIES[:2])
    reference = [datasketch_signature([gram.encode() for gram in shingles(text)]) for text in COPIES[:2]]
    assert first.jaccard(second) == reference[0].jaccard(reference[1])
    with pytest.raises(ValueError, match="cannot compare"):
        first.jaccard(minhash_of([b"a"], 1, NUM_PERM))


@pytest.mark.parametrize("data", [b"", b"\x01" * 11, datasketch_bytes(datasketch_signature([b"a"]))[:100]])
def test_bytes_that_are_not_a_signature_raise_value_error(data):
    with pytest.raises(ValueError, match="not a MinHash"):
        from_bytes(data)


def test_an_unknown_scheme_code_raises_value_error():
    data = bytearray(datasketch_bytes(datasketch_signature([b"a"])))
    data[12] = 9  # the scheme's code, after the seed and the negated count
    with pytest.raises(ValueError, match="unknown MinHash scheme code 9"):
        from_bytes(bytes(data))


def test_signatures_compare_and_hash_by_content_and_their_values_cannot_change():
    # Frozen records hold them (PlacedArticle, ArticleMentions): hashable, as datasketch's LeanMinHash was.
    assert signature(COPIES[0]) == signature(COPIES[0])
    assert signature(COPIES[0]) != signature(COPIES[1])
    assert len({signature(COPIES[0]), signature(COPIES[0]), signature(COPIES[1])}) == 2
    assert isinstance(signature(COPIES[0]), Signature)
    with pytest.raises(ValueError, match="read-only"):
        signature(COPIES[0]).hashvalues[0] = 0
    moved = pickle.loads(pickle.dumps(signature(COPIES[0])))  # as from a model process
    assert moved == signature(COPIES[0]) and not moved.hashvalues.flags.writeable
