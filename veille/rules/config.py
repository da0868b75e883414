"""The rules file (config/rules.yaml): what alerts, how urgently, and how each target takes its alerts.

Without the file, one rule: every new mention of any entry alerts at once, as Veille always did.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veille.watchlist import Kind, WatchEntry, WatchList
from veille.yamlfile import LocatedValueError, Location, load_yaml, raise_located

RuleKind = Literal["mention", "first_seen", "co_occurrence", "spike"]
Severity = Literal["low", "normal", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "normal", "high", "critical")
Mode = Literal["immediate", "digest"]
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
# Fields that belong to one kind of rule only: given to another, they are a mistake worth saying.
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "first_seen": ("quiet_days",),
    "co_occurrence": ("with_entries", "within_tokens"),
    "spike": ("window_hours", "baseline_days", "floor_per_day", "max_p", "min_count"),
}


def _words(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not value.strip() or any(char in value for char in ", "):
            raise ValueError(f"{value!r} must be one word without commas")
    return values


class EntrySelector(BaseModel):
    """Which watched entries: by id, kind or tag (any of them); none given covers every entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ids: tuple[str, ...] = ()
    kinds: tuple[Kind, ...] = ()
    tags: tuple[str, ...] = ()

    def covers(self, entry: WatchEntry) -> bool:
        if not (self.ids or self.kinds or self.tags):
            return True
        return entry.id in self.ids or entry.kind in self.kinds or bool(set(entry.tags) & set(self.tags))

    def describe(self) -> str:
        parts = [*self.ids, *(f"any {kind}" for kind in self.kinds), *(f"tag {tag}" for tag in self.tags)]
        return ", ".join(parts) or "any entry"


class Rule(BaseModel):
    """One rule: when it fires, on which entries and sources, how urgent, where it goes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    kind: RuleKind
    entries: EntrySelector = EntrySelector()
    # Source names as in the run summary (feed:NAME, folder:NAME) or a feed's name; empty: every source.
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    severity: Severity = "normal"
    mode: Mode = "immediate"
    # Routing tags added to the alerts it fires: targets with one of them receive those alerts.
    tags: tuple[str, ...] = ()
    description: str | None = None
    # The confidence a mention needs for this rule to see it (None: the watch list's threshold for its
    # entry); 0 releases every mention held as doubtful of the entries the rule takes. Strict: YAML's
    # `yes` would be 1.0 and a quoted "0.5" a string.
    min_confidence: float | None = Field(None, ge=0, le=1, strict=True)
    # first_seen: the entry was not mentioned for at least this many days (or never).
    quiet_days: float | None = Field(None, gt=0, le=3650)
    # co_occurrence: the other group, and how close (None: in one sentence).
    with_entries: EntrySelector | None = None
    within_tokens: int | None = Field(None, ge=0, le=200)
    # spike: articles about the entry in the last window_hours against the baseline_days before.
    window_hours: float | None = Field(None, gt=0, le=24 * 31)
    baseline_days: int | None = Field(None, ge=1, le=365)
    floor_per_day: float | None = Field(None, ge=0)
    max_p: float | None = Field(None, gt=0, lt=1)
    min_count: int | None = Field(None, ge=1)

    @field_validator("tags")
    @classmethod
    def _tags_are_words(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        return _words(tags)

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Rule:
        problems: list[LocatedValueError] = []
        for kind, names in _KIND_FIELDS.items():
            if kind == self.kind:
                continue
            for name in names:
                if getattr(self, name) is not None:
                    problems.append(LocatedValueError((name,), f"belongs to rules of kind {kind}, not {self.kind}"))
        if self.kind == "first_seen" and self.quiet_days is None:
            problems.append(
                LocatedValueError(("quiet_days",), "a first_seen rule needs quiet_days (days without a mention)")
            )
        if self.kind == "co_occurrence" and self.with_entries is None:
            problems.append(
                LocatedValueError(("with_entries",), "a co_occurrence rule needs with_entries (the other group)")
            )
        raise_located(problems)
        return self

    # The spike settings with their defaults.
    @property
    def spike_window_hours(self) -> float:
        return self.window_hours if self.window_hours is not None else 24.0

    @property
    def spike_baseline_days(self) -> int:
        return self.baseline_days if self.baseline_days is not None else 28

    def threshold(self, entry: WatchEntry, watchlist: WatchList) -> float:
        """The confidence a mention of `entry` needs for this rule to fire on it."""
        return self.min_confidence if self.min_confidence is not None else watchlist.threshold(entry)

    def applies_to(self, source: str, language: str | None) -> bool:
        """Whether articles of this source (and language) are for this rule."""
        if self.sources and source not in self.sources and source.split(":", 1)[-1] not in self.sources:
            return False
        return not self.languages or language in self.languages


class QuietHours(BaseModel):
    """Hours in which a target gets nothing but critical alerts; what comes meanwhile waits for their end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: str
    end: str
    timezone: str = "UTC"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 22:00 as the base-60 number 1320 (07:00, with its zero, stays text).
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 60:
                raise ValueError(f'{value} is a number, not a time of day: write it as "HH:MM", in quotes')
            hours, minutes = divmod(value, 60)
            raise ValueError(
                f"unquoted, YAML reads {hours}:{minutes:02d} as the number {value}: "
                f'write it in quotes, "{hours:02d}:{minutes:02d}"'
            )
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (such as Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise LocatedValueError(("end",), "quiet hours that end when they start are empty")
        return self

    @property
    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        return time.fromisoformat(self.end)


class RateLimit(BaseModel):
    """At most `count` alerts sent at once per `hours`; the others go into the target's next digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(ge=1)
    hours: float = Field(1.0, gt=0, le=24 * 7)


class TargetDelivery(BaseModel):
    """How the targets carrying `tag` take their alerts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tag: str
    quiet_hours: QuietHours | None = None
    rate_limit: RateLimit | None = None

    @field_validator("tag")
    @classmethod
    def _tag_is_a_word(cls, tag: str) -> str:
        return _words((tag,))[0]


class RulesConfig(BaseModel):
    """Every rule, and the delivery settings of targets by tag."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[Rule, ...] = Field(min_length=1)
    targets: tuple[TargetDelivery, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> RulesConfig:
        problems: list[LocatedValueError] = []
        seen: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                problems.append(
                    LocatedValueError(("rules", index, "id"), f"id {rule.id!r} already used by rules[{seen[rule.id]}]")
                )
            seen.setdefault(rule.id, index)
        tags: dict[str, int] = {}
        for index, target in enumerate(self.targets):
            if target.tag in tags:
                problems.append(
                    LocatedValueError(
                        ("targets", index, "tag"), f"tag {target.tag!r} already set by targets[{tags[target.tag]}]"
                    )
                )
            tags.setdefault(target.tag, index)
        raise_located(problems)
        return self

    def delivery_for(self, target_tags: frozenset[str]) -> TargetDelivery | None:
        """The delivery settings of a target: those of the first of its tags listed under `targets`."""
        return next((item for item in self.targets if item.tag in target_tags), None)


DEFAULT_RULES = RulesConfig(
    rules=(Rule(id="mention", kind="mention", description="a new mention of any watched entry"),)
)


def load_rules(path: Path | None, watchlist: WatchList, target_tags: frozenset[str]) -> RulesConfig:
    """The rules of `path` (None or absent: the default rule), checked against the watch list and the
    targets; any problem raises ConfigError as `file:line: key: problem`."""
    if path is None or not path.exists():
        return DEFAULT_RULES
    document = load_yaml(path)
    config = document.validate(RulesConfig)
    known = {entry.id for entry in watchlist.entries}
    entry_tags = {tag for entry in watchlist.entries for tag in entry.tags}
    problems: list[tuple[Location, str]] = []
    for index, rule in enumerate(config.rules):
        for field, selector in (("entries", rule.entries), ("with_entries", rule.with_entries)):
            if selector is None:
                continue
            for position, entry_id in enumerate(selector.ids):
                if entry_id not in known:
                    where: Location = ("rules", index, field, "ids", position)
                    problems.append((where, f"no entry {entry_id!r} in the watch list"))
            for position, tag in enumerate(selector.tags):
                if tag not in entry_tags:
                    where = ("rules", index, field, "tags", position)
                    problems.append((where, f"no entry of the watch list has tag {tag!r}"))
        for position, tag in enumerate(rule.tags):
            if tag not in target_tags:
                problems.append(
                    (
                        ("rules", index, "tags", position),
                        f"no notification target has tag {tag!r}: its alerts would reach only untagged targets",
                    )
                )
    for index, target in enumerate(config.targets):
        if target.tag not in target_tags:
            problems.append((("targets", index, "tag"), f"no notification target has tag {target.tag!r}"))
    error = document.errors(problems)
    if error is not None:
        raise error
    return config
