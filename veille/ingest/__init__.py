"""Ingestion: every kind of source gives a SourceBatch through one interface."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from veille.errors import IngestError
from veille.records import ReadError, SourceBatch


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
            batches.append(SourceBatch(source.name, (), (ReadError(source.name, source.name, str(exc)),),
                                       failure=str(exc)))
    return batches
