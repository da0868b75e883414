"""Where articles come from: folders of files and feeds, listed in config/sources.yaml."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.yamlfile import LocatedValueError, load_yaml


class FolderConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path


class FeedConfig(BaseModel):
    """One feed and how to read it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    url: str
    language: str = "fr"
    tags: tuple[str, ...] = ()
    full_text: bool = False
    poll_minutes: int | None = Field(None, ge=1, description="At most one fetch per this many minutes.")

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url

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
        first: dict[str, int] = {}
        for index, feed in enumerate(self.feeds):
            if feed.name in first:
                raise LocatedValueError(("feeds", index, "name"),
                                        f"name {feed.name!r} already used by feeds[{first[feed.name]}]")
            first[feed.name] = index
        return self


def load_sources(path: Path) -> SourcesConfig:
    """Load config/sources.yaml; a problem raises ConfigError naming file, line and key."""
    return load_yaml(path).validate(SourcesConfig)
