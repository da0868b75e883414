"""Ingestion: every kind of source gives a SourceBatch through one interface."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from veille.errors import IngestError
from veille.records import SourceBatch
from veille.sanitize import loggable

logger = logging.getLogger(__name__)


class Source(Protocol):
    """Something Veille reads articles from: a folder of files today, feeds next."""

    @property
    def name(self) -> str: ...

    def read(self) -> SourceBatch:
        """Every article the source holds now; items it cannot read come back as errors."""
        ...


def read_all(sources: Iterable[Source]) -> list[SourceBatch]:
    """Read every source; one that cannot be read at all becomes an error, the others go on."""
    batches = []
    for source in sources:
        try:
            batches.append(source.read())
        except IngestError as exc:
            batches.append(_failed(source.name, str(exc)))
        except Exception as exc:  # a bug met on one source's data must not stop the other sources
            logger.exception("unexpected error reading %s", loggable(source.name))
            batches.append(_failed(source.name, f"unexpected {type(exc).__name__}: {exc} (a bug: please report it)"))
    return batches


def _failed(source: str, problem: str) -> SourceBatch:
    return SourceBatch.failed(source, problem)
