"""Read batches of articles in forked processes that share the loaded model, in order, as they are read."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from veille.errors import ExtractionError

Batch = TypeVar("Batch")
Result = TypeVar("Result")

# What a forked process reads with, set once in each by its initializer from the parent's memory.
_READ: Callable[[Any], Any] | None = None


def _start(read: Callable[[Any], Any]) -> None:
    global _READ
    _READ = read


def _read(batch: Any) -> Any:
    assert _READ is not None, "a worker process reads only once its initializer has run"
    return _READ(batch)


def read_in_processes(read: Callable[[Batch], Result], batches: Sequence[Batch], processes: int) -> Iterator[Result]:
    """`read(batch)` for each batch, in `processes` forked processes, yielded in the batches' order.

    The processes are forked: `read` and whatever it holds (the model, the articles) are the parent's own
    memory, never pickled; a batch and a result are, so both should be small (indices in, mentions out).
    Every batch is handed out at once and results wait in order, so the processes never wait for the
    caller. A process that dies (killed, out of memory) ends the stream with an ExtractionError naming the
    batch, never a hang; stopping early cancels the batches not started.
    """
    context = multiprocessing.get_context("fork")
    # With fork, the initializer's arguments are inherited by each process, not pickled: `read` may hold
    # the model and the articles at no cost.
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_start, initargs=(read,))
    # What the processes inherit (the model, Prefect, the articles: ~700,000 objects) is put out of the
    # collector's reach while they run, as Python's gc.freeze() documentation advises before a fork: the
    # processes' collections then neither walk it nor copy its pages by touching it, nor do the caller's.
    gc.freeze()
    try:
        futures = [pool.submit(_read, batch) for batch in batches]
        for number, future in enumerate(futures):
            try:
                yield future.result()
            except BrokenProcessPool as exc:
                raise ExtractionError(
                    f"a model process ended without reading batch {number + 1} of {len(futures)} "
                    "(killed, or out of memory): its articles and the later ones are not recorded, "
                    "and the next run reads them"
                ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()
