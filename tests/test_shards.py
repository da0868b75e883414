"""Shards of the sources: each source in exactly one shard, the same on every machine."""

from __future__ import annotations

import pytest

from veille.errors import ConfigError
from veille.shards import Shard, parse_shard

NAMES = [f"feed:agency-{n}" for n in range(200)] + [f"folder:/srv/wire/{n}" for n in range(50)]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_source_is_in_exactly_one_shard(count):
    shards = [Shard(index, count) for index in range(1, count + 1)]
    for name in NAMES:
        assert sum(shard.holds(name) for shard in shards) == 1, name


def test_two_shards_split_the_sources_about_evenly():
    first = sum(Shard(1, 2).holds(name) for name in NAMES)
    assert 0.4 < first / len(NAMES) < 0.6


def test_a_source_s_shard_is_the_same_in_every_process():
    # crc32 of the name, not hash(): Python salts str hashes per process, which would move sources between runs.
    names = ("feed:afp", "feed:reuters", "folder:wire-0", "folder:wire-4")
    assert [Shard(2, 2).holds(name) for name in names] == [False, False, True, False]


@pytest.mark.parametrize("text", ["0/2", "3/2", "two", "1/0", "1-2", ""])
def test_a_shard_that_is_not_index_of_count_is_a_config_error(text):
    with pytest.raises(ConfigError, match="shard"):
        parse_shard(text)


def test_a_shard_reads_as_index_of_count_and_names_its_lock():
    shard = parse_shard(" 2 / 3 ")
    assert (shard, str(shard), shard.lock_name) == (Shard(2, 3), "2/3", "monitor-shard-2-of-3")
