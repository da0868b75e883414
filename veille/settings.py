"""Veille's settings: read once at the edge, from `VEILLE_*` environment variables over defaults."""

from __future__ import annotations

import difflib
import importlib.metadata
import importlib.util
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from veille.errors import ConfigError
from veille.ingest.guard import IPNetwork, parse_networks
from veille.redact import mask_urls
from veille.sanitize import loggable

ENV_PREFIX = "VEILLE_"
# Variables of the prefix that are not settings: read by the test suite, never by Veille.
NOT_SETTINGS = frozenset({"VEILLE_REGENERATE_GOLDEN", "VEILLE_TEST_POSTGRES_URL", "VEILLE_FAULT_SEED"})


class Settings(BaseSettings):
    """Every knob Veille has; relative paths are taken from the working directory."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path("data"),
        description="Where the SQLite database, the local alert file and the journal of unrecorded sends live.",
    )
    database_url: SecretStr | None = Field(
        None, description="Any SQLAlchemy URL; default: a SQLite file veille.db in the data directory."
    )
    watchlist_file: Path = Field(Path("config/watchlist.yaml"), description="Watched places and weapons.")
    sources_file: Path = Field(Path("config/sources.yaml"), description="Folders and feeds to read.")
    targets_file: Path = Field(Path("config/targets.yaml"), description="Notification targets, apprise YAML.")
    notify_urls: SecretStr | None = Field(
        None, description="Extra apprise URLs, for those that carry tokens: '[tag,tag=]URL' items, space-separated."
    )
    notify_urls_block: str | None = Field(
        None, min_length=1, description="Name of a Prefect Secret block holding more such URL items."
    )
    rules_file: Path = Field(
        Path("config/rules.yaml"),
        description="Alert rules and targets' delivery settings; absent: every new mention alerts at once.",
    )
    now: datetime | None = Field(
        None,
        description="For tests and rehearsals only: the moment Veille takes as now (ISO 8601 with a time "
        "zone), for the rules, quiet hours, digests, the outbox and the sources' reads and health. "
        "Empty: the real clock.",
    )
    schedules_file: Path = Field(Path("config/schedules.yaml"), description="Cron schedules of the deployments.")
    spacy_model: str = Field("fr_core_news_sm", min_length=1, description="Installed spaCy pipeline to load.")
    batch_size: int = Field(
        32,
        gt=0,
        le=10_000,
        description="Texts per nlp.pipe batch and per store transaction (up to 8 batches in one when the model's "
        "processes are ahead of the recording).",
    )
    prefilter: bool = Field(
        True,
        description="The model reads only the articles where a watched name could be (veille/extract/prefilter.py): "
        "the others have no mentions, and their places (LOC) are not looked for. false: it reads every article.",
    )
    extract_processes: int = Field(
        0,
        ge=0,
        le=64,
        description="Processes the model reads a run's articles in, when there are enough of them "
        "(forked); 0: one per core, at most 4; 1: in the run's own process only.",
    )
    max_file_bytes: int = Field(5_000_000, gt=0, description="Larger seed files are refused, not read.")
    max_delivery_attempts: int = Field(20, gt=0, description="After this many failures a delivery is marked failed.")
    retry_backoff_seconds: float = Field(
        30.0, ge=0, description="First wait before retrying a failed delivery; doubles per attempt, capped at 1 h."
    )
    fetch_timeout_seconds: float = Field(20.0, gt=0, description="Per HTTP request (connect, each read).")
    fetch_attempts: int = Field(3, ge=1, le=10, description="Tries for a fetch that times out or gets a 5xx.")
    fetch_backoff_seconds: float = Field(1.0, ge=0, description="Wait before the second try; doubles after.")
    max_feed_bytes: int = Field(10_000_000, gt=0, description="Larger responses (after gzip) are refused.")
    story_threshold: float = Field(
        0.5, gt=0, le=1, description="MinHash similarity at which two articles are one story (veille/stories.py)."
    )
    story_window_days: float = Field(7.0, gt=0, description="How far back a new article looks for its story.")
    source_failures_alert: int = Field(
        3,
        ge=1,
        le=1000,
        description="Polls failed in a row after which the targets tagged operator are told a source is "
        "failing (once, and once when it recovers).",
    )
    delivery_lease_seconds: float = Field(
        600.0, gt=0, description="A delivery claimed this long ago by a run that died is claimed again."
    )
    # Files, folders and the database's identity (hostile or careless input).
    follow_links: bool = Field(
        False, description="Read what links in a watched folder point to outside it (off: reported, not read)."
    )
    folder_roots: str | None = Field(
        None,
        description="Folders (separated by ':') a run's `folder` parameter may read besides those of "
        "sources.yaml; the command line's --folder is always allowed.",
    )
    accept_new_database: bool = Field(
        False,
        description="Start on a new, empty database although the data directory shows another was used "
        "(off: refused, in case the database URL is mistyped).",
    )

    @field_validator("database_url")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        if value is not None:
            _check_driver(value.get_secret_value())
        return value

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must have a time zone, such as 2026-12-01T08:00:00+00:00")
        return value.astimezone(UTC) if value is not None else None

    def clock(self) -> datetime:
        """Now, in UTC: the real clock, or the fixed moment of VEILLE_NOW."""
        return self.now if self.now is not None else datetime.now(UTC)

    @property
    def extract_processes_value(self) -> int:
        """How many processes the model may run in: VEILLE_EXTRACT_PROCESSES, or one per core up to 4."""
        return self.extract_processes or min(os.cpu_count() or 1, 4)

    @property
    def database_url_value(self) -> str:
        """The database URL to connect with (a secret: never log it)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'veille.db'}"

    @property
    def notify_urls_value(self) -> str | None:
        """The extra apprise URLs (secrets: never log them)."""
        return self.notify_urls.get_secret_value() if self.notify_urls is not None else None

    @property
    def map_file(self) -> Path:
        """Where the map of the week's places is written (`veille map`, the digest, a monitor run that alerts)."""
        return self.data_dir / "map.html"

    @property
    def cache_dir(self) -> Path:
        """What is kept between runs and rebuilt when missing: the compiled watch list (veille.extract.index_cache)
        and the model's slowest regular expressions (veille.extract.pattern_cache)."""
        return self.data_dir / "cache"

    @property
    def alerts_file(self) -> Path:
        """Where the built-in notification target appends one JSON line per alert."""
        return self.data_dir / "alerts.jsonl"

    # Network safety (issue #9 items 2 and 3): what fetching may reach, and for how long.
    fetch_allowed_networks: str = Field(
        "",
        description="Private networks that feeds and pages may be fetched from, comma-separated CIDRs "
        "(e.g. 10.20.0.0/16, fd00::/8); any other address that is not public is refused.",
    )
    fetch_deadline_seconds: float = Field(
        60.0,
        gt=0,
        description="Longest one fetch may take, every attempt, redirect, header and byte of body "
        "included: a server trickling its answer is cut there.",
    )
    full_text_budget_seconds: float = Field(
        300.0,
        gt=0,
        description="Longest all full-text fetching of one run may take; the entries left keep their feed's text.",
    )
    network_task_timeout_seconds: float = Field(
        180.0,
        gt=0,
        description="Backstop behind the deadline: the feeds a fetch_feeds task (a chunk of feeds, fetched "
        "and parsed) has not read within this fail; fetch_full_texts is given the full-text budget plus this.",
    )
    fetch_per_host: int = Field(
        6, ge=1, le=100, description="Fetches under way at once to one host (politeness; HTTP/2 multiplexes them)."
    )
    fetch_concurrency: int = Field(32, ge=1, le=1000, description="Fetches under way at once in all.")

    @field_validator("fetch_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def fetch_allowed_networks_value(self) -> tuple[IPNetwork, ...]:
        """The networks of `fetch_allowed_networks`, parsed."""
        return parse_networks(self.fetch_allowed_networks)


def _check_driver(url: str) -> None:
    """A PostgreSQL URL SQLAlchemy cannot open says how to write it, instead of "Can't load plugin"."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    dialect, _, driver = scheme.partition("+")
    fix = "write postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE (psycopg 3, installed with Veille)"
    # Masked: the URL carries the password; the user still sees which URL was meant.
    if dialect == "postgres":
        raise ValueError(f"{mask_urls(url)}: SQLAlchemy has no dialect 'postgres': {fix}")
    # Not rewritten to psycopg here: the URL as written is the database's identity (store/continuity.py),
    # and a URL that connects otherwise than it reads would surprise whoever copies it to another tool.
    if dialect == "postgresql" and not driver and importlib.util.find_spec("psycopg2") is None:
        raise ValueError(f"{mask_urls(url)}: SQLAlchemy would use psycopg2, which is not installed: {fix}")


def load_settings() -> Settings:
    """Read the settings, or raise ConfigError with one line naming the wrong setting."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
            # Never echo the value: it may be a secret (a database URL with its password).
            problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid setting " + "; ".join(problems)) from None


def setting_names() -> list[str]:
    """Every setting as its variable: VEILLE_DATA_DIR, ..."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each `VEILLE_` variable that is no setting (a misspelt one is otherwise ignored)."""
    environ = os.environ if environ is None else environ
    known = setting_names()
    # Compared without the prefix, which every name shares and which would make any two look close.
    suffixes = [known_name.removeprefix(ENV_PREFIX) for known_name in known]
    warnings = []
    # pydantic-settings reads names case-insensitively: so is this check.
    for name in sorted(key for key in environ if key.upper().startswith(ENV_PREFIX)):
        if name.upper() in known or name.upper() in NOT_SETTINGS:
            continue
        close = difflib.get_close_matches(name.upper().removeprefix(ENV_PREFIX), suffixes, n=1, cutoff=0.75)
        hint = f"; did you mean {ENV_PREFIX}{close[0]}?" if close else ""
        warnings.append(f"{loggable(name)} is not a setting{hint}")
    return warnings


def _installed_package(name: str) -> bool:
    """Whether `name` is an installed distribution with a module of that name, as spacy.load wants it."""
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return name.isidentifier() and importlib.util.find_spec(name) is not None


def check_spacy_model(name: str) -> None:
    """Raise ConfigError unless `name` is an installed spaCy package or a model directory; without loading it."""
    if name.startswith("blank:"):
        return
    if "/" in name or os.sep in name or Path(name).exists():
        if not (Path(name) / "config.cfg").is_file():
            raise ConfigError(f"VEILLE_SPACY_MODEL: {loggable(name)} is not a spaCy model directory (no config.cfg)")
        return
    if not _installed_package(name):
        raise ConfigError(
            f"VEILLE_SPACY_MODEL: spaCy model {loggable(name)!r} is not installed: "
            f"install it with `python -m spacy download {loggable(name)}`, or name an installed one"
        )
