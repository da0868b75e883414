"""YAML files whose errors name the file, the line and the key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from veille.errors import ConfigError

Location = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)


class LocatedValueError(ValueError):
    """Raised by a model validator about a nested item: `location` points at it in the file."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file, with the line of every key and list item."""

    path: Path
    data: Any
    lines: dict[Location, int]

    def line_of(self, location: Location) -> int:
        """The line of `location`, or of its nearest parent that has one."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(tuple(location[:end]))
            if line is not None:
                return line
        return 1

    def error(self, location: Location, problem: str) -> ConfigError:
        """A ConfigError in the form `file:line: key: problem`."""
        key = format_location(location)
        where = f"{key}: " if key else ""
        return ConfigError(f"{self.path}:{self.line_of(location)}: {where}{problem}")

    def validate(self, model: type[Model]) -> Model:
        """Validate the document against `model`; the first problem becomes a ConfigError."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            location: Location = tuple(first["loc"])
            cause = first.get("ctx", {}).get("error")
            if isinstance(cause, LocatedValueError):
                raise self.error(location + cause.location, str(cause)) from None
            raise self.error(location, first["msg"].removeprefix("Value error, ")) from None


def format_location(location: Location) -> str:
    """('entries', 3, 'kind') -> 'entries[3].kind'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load_yaml(path: Path) -> YamlDocument:
    """Read and parse `path`; a missing file, bad YAML or a repeated key raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}:{line}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    lines: dict[Location, int] = {}
    if node is not None:
        _map_lines(path, node, (), lines)
    return YamlDocument(path=path, data=data, lines=lines)


def _map_lines(path: Path, node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                # PyYAML keeps the last value silently; a repeated key is almost always a mistake.
                raise ConfigError(f"{path}:{line}: {format_location((*location, key))}: key repeated")
            seen.add(key)
            lines[(*location, key)] = line
            _map_lines(path, value_node, (*location, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*location, index)] = item.start_mark.line + 1
            _map_lines(path, item, (*location, index), lines)
