"""Veille's own exceptions: one tree, each message a line a user can act on."""

from __future__ import annotations


class VeilleError(Exception):
    """Base of every error Veille raises on purpose."""


class ConfigError(VeilleError):
    """A setting, the watch list or the targets file is wrong; the run stops before any work."""


class IngestError(VeilleError):
    """One input item (a file, a feed entry) could not be read; the others go on."""


class ExtractionError(VeilleError):
    """The language model could not be loaded or run."""


class StoreError(VeilleError):
    """The database refused or failed an operation."""


class WriteConflict(StoreError):
    """Another run wrote first what this one was writing (a unique constraint): decide again on what it wrote."""


class NotifyError(VeilleError):
    """A notification target could not be set up."""


class ConfigProblems(ConfigError):
    """A configuration file's every problem: a headline, then one line per problem (already neutralised)."""

    def __init__(self, headline: str, details: tuple[str, ...] = ()) -> None:
        super().__init__("\n".join((headline, *(f"  {line}" for line in details))))
        self.headline = headline
        self.details = details
