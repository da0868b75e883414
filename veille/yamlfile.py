"""YAML files whose errors name the file, the line, the column and the key: every problem at once."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from veille.errors import ConfigProblems
from veille.sanitize import loggable

Location = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)
# More than this many problems in one file is a file of another kind, or the wrong file: the rest is counted.
MAX_PROBLEMS = 20


class LocatedValueError(ValueError):
    """Raised by a model validator about a nested item: `location` points at it in the file."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location


class LocatedValueErrors(ValueError):
    """Several LocatedValueError of one validator, raised together so that the file's every problem shows."""

    def __init__(self, errors: Sequence[LocatedValueError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = tuple(errors)


def raise_located(errors: Sequence[LocatedValueError]) -> None:
    """Raise what a validator collected, if anything: one error as itself, several together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise LocatedValueErrors(errors)


@dataclass(frozen=True)
class Problem:
    """One problem of a file: where it is and what is wrong, ready to print."""

    line: int
    column: int | None
    key: str
    text: str

    def render(self, path: Path) -> str:
        where = f"{self.line}:{self.column}" if self.column is not None else f"{self.line}"
        key = f"{self.key}: " if self.key else ""
        # A key or a quoted value comes from the file: it must not break the line or drive a terminal.
        return loggable(f"{path}:{where}: {key}{self.text}")


def problems_error(path: Path, problems: Iterable[Problem]) -> ConfigProblems:
    """One ConfigError for every problem, in file order: one problem on one line; several under a headline."""
    ordered = sorted(dict.fromkeys(problems), key=lambda problem: (problem.line, problem.column or 0))
    lines = [problem.render(path) for problem in ordered[:MAX_PROBLEMS]]
    if len(ordered) > MAX_PROBLEMS:
        lines.append(f"… and {len(ordered) - MAX_PROBLEMS} more")
    if len(ordered) == 1:
        return ConfigProblems(lines[0])
    return ConfigProblems(loggable(f"{path}: {len(ordered)} problems"), tuple(lines))


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file, with the line and column of every key and list item."""

    path: Path
    data: Any
    marks: dict[Location, tuple[int, int]]
    # Where the file has a mapping: a key missing from it is located at the mapping.
    mappings: frozenset[Location] = frozenset()

    def mark_of(self, location: Location) -> tuple[int, int]:
        """The (line, column) of `location`, or of its nearest parent that has one; 1-based."""
        for end in range(len(location), -1, -1):
            mark = self.marks.get(tuple(location[:end]))
            if mark is not None:
                return mark
        return (1, 1)

    def line_of(self, location: Location) -> int:
        return self.mark_of(location)[0]

    def problem(self, location: Location, text: str) -> Problem:
        line, column = self.mark_of(location)
        return Problem(line, column, format_location(location), text)

    def error(self, location: Location, text: str) -> ConfigProblems:
        """A ConfigError in the form `file:line:column: key: problem`."""
        return problems_error(self.path, [self.problem(location, text)])

    def errors(self, found: Iterable[tuple[Location, str]]) -> ConfigProblems | None:
        """One ConfigError for every (location, problem) found, or None when there is none."""
        problems = [self.problem(location, text) for location, text in found]
        return problems_error(self.path, problems) if problems else None

    def validate(self, model: type[Model]) -> Model:
        """Validate the document against `model`; every problem pydantic finds is in one ConfigError."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise problems_error(self.path, self._problems(model, exc)) from None

    def _problems(self, model: type[BaseModel], exc: ValidationError) -> list[Problem]:
        problems: list[Problem] = []
        seen: set[Location] = set()
        errors = exc.errors()
        failed_inside = {tuple(error["loc"])[:end] for error in errors for end in range(len(error["loc"]))}
        for error in errors:
            if error["type"] == "too_short" and tuple(error["loc"]) in failed_inside:
                continue  # a list whose items failed is short of them: the items' problems say it
            cause = error.get("ctx", {}).get("error")
            raw: Location = tuple(error["loc"])
            if isinstance(cause, LocatedValueErrors):
                problems += [self.problem(raw + each.location, str(each)) for each in cause.errors]
                continue
            if isinstance(cause, LocatedValueError):
                problems.append(self.problem(raw + cause.location, str(cause)))
                continue
            location = self._in_file(raw)
            if location != raw and location in seen:
                continue  # another member of a union (`bool | float`) refusing the same value
            seen.add(location)
            if error["type"] == "extra_forbidden":
                text = unknown_key(str(location[-1]), keys_at(model, location[:-1]))
            else:
                text = error["msg"].removeprefix("Value error, ")
            problems.append(self.problem(location, text))
        return problems

    def _in_file(self, location: Location) -> Location:
        """`location` cut to what the file has: pydantic adds a union member's name after a value's key."""
        for end in range(len(location), -1, -1):
            prefix = tuple(location[:end])
            if prefix in self.marks or end == 0:
                missing_key = end < len(location) and prefix in self.mappings and isinstance(location[end], str)
                return (*prefix, location[end]) if missing_key else prefix
        return ()


def unknown_key(key: str, known: Iterable[str]) -> str:
    """'unknown key', with the closest key that would have been right."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f"unknown key; did you mean {close[0]!r}?" if close else "unknown key"


def keys_at(model: type[BaseModel], location: Location) -> set[str]:
    """The keys the models at `location` accept, as written in the file (aliases where set)."""
    models = [model]
    for part in location:
        if isinstance(part, int):
            continue  # an item of a list: the models found are those of its items
        models = [
            inner
            for outer in models
            for name, field in outer.model_fields.items()
            if part in (name, field.alias)
            for inner in _models_in(field.annotation)
        ]
    return {field.alias or name for outer in models for name, field in outer.model_fields.items()}


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds: itself, or in an Optional, a tuple, a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) is not None:
        return [model for argument in typing.get_args(annotation) for model in _models_in(argument)]
    return []


def format_location(location: Location) -> str:
    """('entries', 3, 'kind') -> 'entries[3].kind'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _parsed(text: str, kind: Any) -> tuple[yaml.Node | None, Any]:
    loader = kind(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def load_yaml(path: Path) -> YamlDocument:
    """Read and parse `path`; a missing file, bad YAML or repeated keys raise ConfigError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigProblems(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigProblems(f"{path}: cannot read: {exc}") from None
    try:
        # libyaml's parser where installed: ten times the pure-Python one, which a sources.yaml of 10,000
        # feeds feels. Bad YAML is parsed again by the pure-Python one, whose messages say more.
        node, data = _parsed(text, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        try:
            node, data = _parsed(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise problems_error(path, [_syntax_problem(exc)]) from None
    document = YamlDocument(path=path, data=data, marks={}, mappings=frozenset())
    if node is None:
        return document
    marks: dict[Location, tuple[int, int]] = {}
    mappings: set[Location] = set()
    repeated: list[Problem] = []
    _map_marks(node, (), marks, mappings, repeated)
    if repeated:
        raise problems_error(path, repeated)
    return YamlDocument(path=path, data=data, marks=marks, mappings=frozenset(mappings))


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    """PyYAML's several lines as one: where the parser stopped, what it found, what it was in."""
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = problem_mark or context_mark
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    text = f"invalid YAML: {' '.join(str(problem).split())}"
    context = getattr(exc, "context", None)
    if context and context != problem and context_mark is not None:
        text += f" ({context} started at {context_mark.line + 1}:{context_mark.column + 1})"
    if mark is None:
        return Problem(1, None, "", text)
    return Problem(mark.line + 1, mark.column + 1, "", text)


def _start(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _map_marks(
    node: yaml.Node,
    location: Location,
    marks: dict[Location, tuple[int, int]],
    mappings: set[Location],
    repeated: list[Problem],
) -> None:
    marks.setdefault(location, _start(node))
    if isinstance(node, yaml.MappingNode):
        mappings.add(location)
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                # PyYAML keeps the last value silently; a repeated key is almost always a mistake.
                repeated.append(Problem(*_start(key_node), format_location((*location, key)), "key repeated"))
                continue
            seen.add(key)
            marks[(*location, key)] = _start(key_node)
            _map_marks(value_node, (*location, key), marks, mappings, repeated)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            marks[(*location, index)] = _start(item)
            _map_marks(item, (*location, index), marks, mappings, repeated)
