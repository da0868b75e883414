"""Shards of the sources: N monitor runs (on N workers) that read every source once between them."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from veille.errors import ConfigError

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based): the sources whose name hashes to it."""

    index: int
    count: int

    def holds(self, source_name: str) -> bool:
        """Whether this shard reads the source: a stable hash of its name (the same on every machine and run)."""
        return zlib.crc32(source_name.encode("utf-8")) % self.count == self.index - 1

    @property
    def lock_name(self) -> str:
        return f"monitor-shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(value: str) -> Shard:
    """ "2/3" as Shard(2, 3); a ConfigError for anything else (0/2, 3/2, two)."""
    match = _SHARD.fullmatch(value)
    if match is None:
        raise ConfigError(f"shard: {value!r} is not INDEX/COUNT (say 1/2 for the first of two shards)")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise ConfigError(f"shard: {value!r}: INDEX must be from 1 to COUNT")
    return Shard(index, count)
