"""Read batches of articles in forked processes that share the loaded model, in order, as they are read."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from veille.errors import ExtractionError

Batch = TypeVar("Batch")
Result = TypeVar("Result")

# What a forked process reads with, set once in each by its initializer from the parent's memory.
_READ: Callable[[Any], Any] | None = None
# How a process ends when it finds its parent gone: nobody waits for its status.
_ORPHANED = 70


def _start(read: Callable[[Any], Any], parent_alive: int, parent_end: int) -> None:
    global _READ
    _READ = read
    os.close(parent_end)
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), name="exit-with-parent", daemon=True).start()


def _exit_with_parent(parent_alive: int) -> None:
    """Waits on a pipe whose only writing end the parent holds, and ends this process when it closes.

    Nothing is ever written: the read returns end-of-file when the parent has closed its end, after the
    pool is shut down, or when the parent died, however (SIGKILL leaves it no last word). An orphan would
    otherwise wait for batches forever, holding the model's memory and, inherited by fork, the files and
    connections of the parent, among them the run lock: every later run would be turned away.
    """
    while os.read(parent_alive, 1):
        pass
    os._exit(_ORPHANED)


def _read(batch: Any) -> Any:
    assert _READ is not None, "a worker process reads only once its initializer has run"
    return _READ(batch)


def read_in_processes(read: Callable[[Batch], Result], batches: Sequence[Batch], processes: int) -> Iterator[Result]:
    """`read(batch)` for each batch, in `processes` forked processes, yielded in the batches' order
    (read_ready_in_processes, one result at a time)."""
    for group in read_ready_in_processes(read, batches, processes, 1):
        yield from group


def read_ready_in_processes(
    read: Callable[[Batch], Result], batches: Sequence[Batch], processes: int, most: int
) -> Iterator[list[Result]]:
    """`read(batch)` for each batch, in `processes` forked processes, in the batches' order and in lists: each
    the next result, waited for, and the ones after it that are already in, `most` at most.

    The processes are forked: `read` and whatever it holds (the model, the articles) are the parent's own
    memory, never pickled; a batch and a result are, so both should be small (indices in, mentions out).
    Every batch is handed out at once and results wait in order, so the processes never wait for the
    caller; a caller slower than they are gets what they read meanwhile in one list, and pays its own
    per-list cost (a Prefect task run) less often. A process that dies (killed, out of memory) ends the
    stream with an ExtractionError naming the batch, never a hang, after the lists of the batches read
    before it; stopping early cancels the batches not started; the processes end with the caller's
    process, however it ends.
    """
    context = multiprocessing.get_context("fork")
    # Each process closes its copy of the writing end: the parent's is then the only one. Not inheritable,
    # so no program the parent starts (exec) holds it either.
    parent_alive, parent_end = os.pipe()
    # With fork, the initializer's arguments are inherited by each process, not pickled: `read` may hold
    # the model and the articles at no cost.
    pool = ProcessPoolExecutor(
        processes, mp_context=context, initializer=_start, initargs=(read, parent_alive, parent_end)
    )
    # What the processes inherit (the model, Prefect, the articles: ~700,000 objects) is put out of the
    # collector's reach while they run, as Python's gc.freeze() documentation advises before a fork: the
    # processes' collections then neither walk it nor copy its pages by touching it, nor do the caller's.
    gc.freeze()
    try:
        futures = [pool.submit(_read, batch) for batch in batches]
        position = 0
        while position < len(futures):
            group = [_result(futures, position)]
            position += 1
            # A batch whose process died is not taken with the ones before it: they are recorded first.
            while len(group) < most and position < len(futures) and _read_well(futures[position]):
                group.append(_result(futures, position))
                position += 1
            yield group
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        os.close(parent_end)
        os.close(parent_alive)
        gc.unfreeze()


def _read_well(future: Future[Any]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _result(futures: Sequence[Future[Result]], number: int) -> Result:
    try:
        return futures[number].result()
    except BrokenProcessPool as exc:
        raise ExtractionError(
            f"a model process ended without reading batch {number + 1} of {len(futures)} "
            "(killed, or out of memory): its articles and the later ones are not recorded, "
            "and the next run reads them"
        ) from exc
