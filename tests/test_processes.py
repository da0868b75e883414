"""Batches read in forked processes (veille.extract.processes): in order, from the parent's memory, and a dead
process is an error naming its batch, never a hang."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
import weakref

import pytest

from tests.builders import article
from veille.errors import ExtractionError
from veille.extract.pipeline import extract_mentions
from veille.extract.processes import read_in_processes


def test_batches_are_read_from_the_parents_memory_and_come_back_in_order():
    texts = [f"text {number}" for number in range(40)]
    parent = os.getpid()

    def read(span: tuple[int, int]) -> tuple[int, list[str]]:
        # The first batches are the slowest: a process that finishes later ones first must wait its turn.
        time.sleep(0.05 if span[0] < 10 else 0)
        return os.getpid(), [text.upper() for text in texts[span[0] : span[1]]]

    spans = [(start, start + 5) for start in range(0, 40, 5)]
    results = list(read_in_processes(read, spans, 2))

    assert [text for _, batch in results for text in batch] == [text.upper() for text in texts]
    # `read` is a closure over a local list: it was never pickled, each process had it by fork.
    assert parent not in {pid for pid, _ in results}
    assert len({pid for pid, _ in results}) == 2


def test_a_process_that_dies_ends_the_stream_with_an_error_naming_the_batch():
    def read(batch: int) -> int:
        if batch == 3:
            os._exit(9)  # as the kernel's out-of-memory killer would end it
        return batch

    results = []
    with pytest.raises(ExtractionError, match=r"batch 4 of 6 \(killed, or out of memory\)"):
        for result in read_in_processes(read, list(range(6)), 2):
            results.append(result)

    assert results == [0, 1, 2][: len(results)]
    assert multiprocessing.active_children() == []


def test_an_error_in_a_batch_is_raised_as_it_was():
    def read(batch: int) -> int:
        if batch == 2:
            raise ValueError("a text the model refuses")
        return batch

    with pytest.raises(ValueError, match="a text the model refuses"):
        list(read_in_processes(read, list(range(5)), 2))


def test_stopping_early_leaves_no_process_behind():
    def read(batch: int) -> int:
        time.sleep(0.01)
        return batch

    stream = read_in_processes(read, list(range(200)), 2)
    assert next(stream) == 0
    stream.close()

    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("processes", [1, 2])
def test_the_stream_lets_go_of_each_batch_once_its_results_are_out(nlp, processes):
    # Given the only reference to its articles (as the monitor gives it), a run over 10,000 new
    # articles must not hold 10,000 texts to its end (issue #14, goal 3).
    articles = [article(f"Tirs de mortier sur Hama, dépêche {n}.", key=f"{n}.txt") for n in range(24)]
    alive = [weakref.ref(item) for item in articles]
    stream = extract_mentions(nlp, articles, 4, prefilter=True, processes=processes)
    del articles
    taken = [next(stream) for _ in range(9)]  # two batches and one article of the third
    del taken
    gc.collect()
    assert [ref() is None for ref in alive] == [True] * 8 + [False] * 16
    assert len(list(stream)) == 15
    gc.collect()
    assert all(ref() is None for ref in alive)
