"""Near-duplicate stories: the similarity of copies and of different stories, measured."""

from __future__ import annotations

import itertools

from tests.wire import COPIES, OTHER_STORY_SAME_PLACE
from veille.stories import DEFAULT_THRESHOLD, StoryIndex, from_bytes, shingles, signature, to_bytes


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
