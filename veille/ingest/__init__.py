"""Ingestion: every kind of source gives a SourceBatch through one interface."""

from __future__ import annotations

from typing import Protocol

from veille.records import SourceBatch


class Source(Protocol):
    """Something Veille reads articles from: a folder of files today, feeds next."""

    @property
    def name(self) -> str: ...

    def read(self) -> SourceBatch:
        """Every article the source holds now; items it cannot read come back as errors."""
        ...
