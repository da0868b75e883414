"""Batches read in forked processes (veille.extract.processes): in order, from the parent's memory, and a dead
process is an error naming its batch, never a hang."""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest

from tests.builders import article
from tests.conftest import ROOT
from veille.errors import ExtractionError
from veille.extract.pipeline import extract_mentions, extract_ready_mentions
from veille.extract.processes import read_in_processes, read_ready_in_processes


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


def test_a_caller_slower_than_the_processes_gets_what_they_read_meanwhile_in_one_list_of_at_most_most():
    # As the monitor records: each list is one record_batch task run, which costs ~60 ms of Prefect.
    groups = []
    for group in read_ready_in_processes(lambda batch: batch * 10, list(range(20)), 2, 4):
        groups.append(group)
        time.sleep(0.3)  # recording: meanwhile the processes read every batch left

    assert [value for group in groups for value in group] == [batch * 10 for batch in range(20)]
    assert max(len(group) for group in groups) == 4
    assert len(groups) <= 1 + 5  # the first list (what was in when it was asked), then lists of 4


def test_a_caller_as_fast_as_the_processes_gets_one_batch_at_a_time():
    def read(batch: int) -> int:
        time.sleep(0.1)
        return batch

    groups = list(read_ready_in_processes(read, list(range(6)), 1, 4))  # one process: never two in at once

    assert groups == [[batch] for batch in range(6)]


def test_the_batches_read_before_a_process_died_come_first_then_the_error_naming_its_batch():
    def read(batch: int) -> int:
        if batch == 5:
            os._exit(9)
        return batch

    got: list[int] = []
    with pytest.raises(ExtractionError, match=r"batch \d+ of 10") as raised:
        for group in read_ready_in_processes(read, list(range(10)), 2, 8):
            got += group
            time.sleep(0.3)

    named = int(str(raised.value).split("batch ")[1].split(" ")[0])
    assert 1 <= named <= 6 and got == list(range(named - 1))  # none lost in a list with the dead batch
    assert multiprocessing.active_children() == []


# A run as the monitor is: it holds its run lock (a file lock beside the SQLite database, or a PostgreSQL
# connection) and reads in forked processes, which inherit the lock's file.
KILLED_RUN = """
import fcntl, multiprocessing, os, sys, time
from veille.extract.processes import read_in_processes
lock = open(sys.argv[1], "w")
fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
def read(batch):
    time.sleep(0.05 if batch < 4 else 600)
    return batch
for batch in read_in_processes(read, list(range(8)), 2):
    if batch == 0:
        print(*(child.pid for child in multiprocessing.active_children()), flush=True)
"""


def test_a_run_killed_while_its_processes_read_takes_them_with_it_and_frees_its_lock(tmp_path: Path):
    # SIGKILL gives the parent no last word: its processes must see it go by themselves, or they wait
    # for batches forever, holding ~500 MB each and the run lock, and every later run is turned away.
    lock_file = tmp_path / "veille.db.monitor.lock"
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(lock_file)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert run.stdout is not None
    children = [int(pid) for pid in run.stdout.readline().split()]
    assert len(children) == 2
    run.send_signal(signal.SIGKILL)
    run.wait()
    run.stdout.close()

    deadline = time.monotonic() + 10
    while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in children if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # not left running after a failure
    assert left == [], "the killed run's processes outlived it"
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if still held


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # Linux: tells a zombie apart
    try:
        return not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


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


@pytest.mark.parametrize("processes", [1, 2])
def test_each_article_comes_with_its_story_signature_computed_where_the_model_read_it(nlp, processes):
    from veille.minhash import to_bytes
    from veille.stories import signature

    texts = [
        f"Tirs de mortier sur Hama, dépêche {n} : les habitants ont fui vers le nord de la ville." for n in range(12)
    ]
    found = list(
        extract_mentions(nlp, [article(text, key=f"{n}.txt") for n, text in enumerate(texts)], 3, True, processes)
    )
    assert all(item.signed for item in found)
    assert [to_bytes(item.signature) for item in found] == [to_bytes(signature(text)) for text in texts]
    short = next(extract_mentions(nlp, [article("Hama.")], 3, True, processes))
    assert short.signed and short.signature is None


def test_the_ready_lists_hold_whole_batches_and_the_same_articles_as_the_stream(nlp):
    articles = [article(f"Tirs de mortier sur Hama, dépêche {n}.", key=f"{n}.txt") for n in range(30)]
    groups = []
    for group in extract_ready_mentions(nlp, list(articles), 4, True, 2, most_batches=3):
        groups.append(group)
        time.sleep(0.5)

    assert [item.article.key for group in groups for item in group] == [item.key for item in articles]
    assert all(len(group) % 4 == 0 and len(group) <= 12 for group in groups[:-1])
    assert len(groups) < 8  # 8 batches: some lists held more than one
    flat = [(item.article.key, item.mentions) for item in extract_mentions(nlp, list(articles), 4, True, 2)]
    assert [(item.article.key, item.mentions) for group in groups for item in group] == flat
