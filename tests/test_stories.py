"""Near-duplicate stories: the similarity of copies and of different stories, measured."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from bench.corpus import EVAL
from tests.builders import article
from tests.wire import COPIES, OTHER_STORY_SAME_PLACE
from veille.decide.stories import place_articles
from veille.evaluation import load_passages
from veille.minhash import Signature, from_bytes, to_bytes
from veille.records import ArticleMentions
from veille.stories import (
    DEFAULT_THRESHOLD,
    StoryIndex,
    _bands,
    shingles,
    signature,
)


def exact_jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def test_copies_score_well_above_the_threshold_and_other_stories_well_below():
    copies = [signature(text).jaccard(signature(other)) for text, other in itertools.combinations(COPIES, 2)]
    others = [signature(text).jaccard(signature(OTHER_STORY_SAME_PLACE)) for text in COPIES]
    print(
        f"\ncopies: {[round(x, 2) for x in copies]}  other story: {[round(x, 2) for x in others]}"
        f"  exact: {[round(exact_jaccard(a, b), 2) for a, b in itertools.combinations(COPIES, 2)]}"
    )
    assert min(copies) >= DEFAULT_THRESHOLD + 0.15
    assert max(others) <= 0.1


def test_minhash_estimates_the_exact_jaccard():
    for a, b in itertools.combinations([*COPIES, OTHER_STORY_SAME_PLACE], 2):
        assert abs(signature(a).jaccard(signature(b)) - exact_jaccard(a, b)) < 0.15


def test_the_story_step_takes_the_signature_the_model_process_computed():
    # signed: the signature was computed beside the model, and is not computed again (None here, though
    # the text is long enough to have one); unsigned: the story step computes it.
    text = COPIES[0]
    found = [
        ArticleMentions(article(text, key="signed.txt"), (), signed=True, signature=None),
        ArticleMentions(article(text, key="unsigned.txt"), ()),
    ]
    placed = place_articles(found, {}, StoryIndex(), datetime(2026, 12, 3, tzinfo=UTC))
    assert placed[0].signature is None
    assert to_bytes(placed[1].signature) == to_bytes(signature(text))


def test_short_texts_are_never_grouped():
    assert signature("Frappe russe sur Hama.") is None


def test_the_index_finds_the_story_of_a_copy_and_not_of_another_story():
    index = StoryIndex()
    index.add("a1", 1, signature(COPIES[0]))
    index.add("b1", 2, signature(OTHER_STORY_SAME_PLACE))
    story, similarity = index.find(signature(COPIES[2]))
    assert story == 1 and similarity > DEFAULT_THRESHOLD
    index.remove("a1")
    assert index.find(signature(COPIES[2])) is None


def test_signatures_survive_the_database_round_trip():
    minhash = signature(COPIES[0])
    assert from_bytes(to_bytes(minhash)).jaccard(minhash) == 1.0


def test_a_threshold_of_one_groups_only_identical_texts():
    index = StoryIndex(threshold=1.0)
    index.add("a", 1, signature(COPIES[0]))
    assert index.find(signature(COPIES[0])) == (1, 1.0)
    assert index.find(signature(COPIES[1])) is None


def reference_find(lsh: MinHashLSH, signatures: dict[str, tuple[int, Signature]], minhash, threshold: float):
    """What the index answered when it was datasketch's MinHashLSH: the most similar candidate at or
    above the threshold (of two equally similar, the older story)."""
    scored = [(minhash.jaccard(signatures[key][1]), -signatures[key][0]) for key in lsh.query(minhash)]
    kept = [(similarity, story) for similarity, story in scored if similarity >= threshold]
    if not kept:
        return None
    similarity, story = max(kept)
    return -story, similarity


@pytest.mark.parametrize("threshold", [DEFAULT_THRESHOLD, 0.3, 0.8, 1.0])
def test_the_compact_index_answers_as_datasketchs_lsh_through_adds_replacements_and_removals(threshold):
    # Articles of a few passages drawn from one pool (as bench/corpus.py makes them) overlap by every
    # degree; every third one has an edited copy, as a wire story run by two outlets.
    pool = [passage.text for passage in load_passages(EVAL / "places.yaml", EVAL / "weapons.yaml")]
    draw = random.Random(5)
    texts = ["\n\n".join(draw.sample(pool, draw.randint(2, 6))) for _ in range(300)]
    texts += [text.replace("Syrie", "la Syrie").replace(" et ", " puis ") for text in texts[::3]]
    signatures = [signature(text) for text in texts]
    index = StoryIndex(threshold)
    lsh = MinHashLSH(num_perm=128, params=_bands(min(threshold, 0.9)))
    held: dict[str, tuple[int, Signature]] = {}
    answers = []
    for number, minhash in enumerate(signatures):
        key = f"a{number % 250}"  # the last 100 replace earlier articles under their keys
        expected = reference_find(lsh, held, minhash, threshold)
        assert index.find(minhash) == expected, number
        answers.append(expected)
        story = expected[0] if expected else number
        if key in held:
            lsh.remove(key)
        lsh.insert(key, minhash)
        held[key] = (story, minhash)
        index.add(key, story, minhash)
        if number % 7 == 0:
            gone = f"a{(number * 31) % 250}"
            if gone in held:
                lsh.remove(gone)
                del held[gone]
            index.remove(gone)
        assert len(index) == len(held)
    for minhash in signatures:
        assert index.find(minhash) == reference_find(lsh, held, minhash, threshold)
    # Not a vacuous comparison: copies and shared passages were found at every threshold but 1.0.
    assert sum(answer is not None for answer in answers) > (0 if threshold == 1.0 else 50)


@pytest.mark.parametrize("made", [{"seed": 1}, {"seed": 20171106, "scheme": "legacy"}], ids=["seed", "scheme"])
def test_a_signature_of_another_seed_or_hashing_scheme_is_refused_not_compared(made):
    # datasketch before 2.0 hashed otherwise ("legacy"), and its values fit the same 32 bits: compared
    # with today's they would be noise. datasketch's own comparison refuses them; so does the index.
    index = StoryIndex()
    index.add("today", 1, signature(COPIES[0]))
    made_by = MinHash(num_perm=128, **made)
    made_by.update_batch([gram.encode() for gram in shingles(COPIES[0])])
    buffer = bytearray(LeanMinHash(made_by).bytesize())
    LeanMinHash(made_by).serialize(buffer)
    other = from_bytes(bytes(buffer))  # as a row stored by an earlier version is read
    with pytest.raises(ValueError, match="not a story signature"):
        index.find(other)
    with pytest.raises(ValueError, match="not a story signature"):
        index.add("today", 2, other)
    assert index.find(signature(COPIES[0])) == (1, 1.0)


def test_of_two_stories_equally_similar_the_older_one_is_found():
    index = StoryIndex()
    index.add("later copy", 9, signature(COPIES[0]))
    index.add("first copy", 3, signature(COPIES[0]))
    assert index.find(signature(COPIES[0])) == (3, 1.0)


def test_the_bands_are_the_ones_datasketch_lays_out_for_every_threshold():
    # Computed without scipy (an exact Gauss-Legendre rule), they must stay datasketch's own choice (above
    # 0.9 the index asks for 0.9's: datasketch refuses the one band it finds at 0.99).
    for percent in range(1, 99):
        threshold = percent / 100
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        assert _bands(threshold) == (lsh.b, lsh.r), threshold
