"""Ingestion: every kind of source gives a SourceBatch through one interface (veille.interfaces.Source)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from veille.errors import IngestError
from veille.interfaces import Source
from veille.records import SourceBatch
from veille.sanitize import loggable

logger = logging.getLogger(__name__)


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
