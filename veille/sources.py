"""Where articles come from: folders of files and feeds, listed in config/sources.yaml."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.names import feed_source_name, folder_source_name
from veille.yamlfile import LocatedValueError, load_yaml, raise_located


class FolderConfig(BaseModel):
    """One folder of .txt articles; its source is "folder:NAME", or "folder:" and its absolute path."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    name: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    # A file dropped in a watched folder is new input: it alerts, even on the folder's first read.
    baseline: bool = False

    @property
    def source_name(self) -> str:
        return folder_source_name(self.path, self.name)


class FeedConfig(BaseModel):
    """One feed and how to read it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    url: str
    language: str = "fr"
    tags: tuple[str, ...] = ()
    full_text: bool = False
    poll_minutes: int | None = Field(None, ge=1, description="At most one fetch per this many minutes.")
    # The first read of a new feed stores its backlog without notifying: it is old news.
    baseline: bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url

    @property
    def source_name(self) -> str:
        return feed_source_name(self.name)

    def due(self, last_fetched_at: datetime | None, now: datetime) -> bool:
        """Whether its poll interval has passed since the last fetch."""
        if self.poll_minutes is None or last_fetched_at is None:
            return True
        return now - last_fetched_at >= timedelta(minutes=self.poll_minutes)


class SourcesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    folders: tuple[FolderConfig, ...] = ()
    feeds: tuple[FeedConfig, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesConfig:
        problems: list[LocatedValueError] = []
        first: dict[str, int] = {}
        for index, feed in enumerate(self.feeds):
            if feed.name in first:
                problems.append(
                    LocatedValueError(
                        ("feeds", index, "name"), f"name {feed.name!r} already used by feeds[{first[feed.name]}]"
                    )
                )
            first.setdefault(feed.name, index)
        folders: dict[str, int] = {}
        for index, folder in enumerate(self.folders):
            # Two entries for one source would read its articles twice under one name.
            name = folder.source_name
            if name in folders:
                problems.append(
                    LocatedValueError(("folders", index), f"{name} already configured by folders[{folders[name]}]")
                )
            folders.setdefault(name, index)
        raise_located(problems)
        return self


def load_sources(path: Path) -> SourcesConfig:
    """Load config/sources.yaml; a problem raises ConfigError naming file, line and key."""
    return load_yaml(path).validate(SourcesConfig)
