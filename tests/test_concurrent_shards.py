"""Shards side by side on one database: their locks, and batches that decide on what the others wrote."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from flows.monitor import _shard_locks
from tasks.store import BatchSettings, plan_batch
from tests.builders import NOW, decision, found, watch_list
from veille.errors import WriteConflict
from veille.shards import Shard
from veille.store.sql import SqlStore
from veille.stories import StoryIndex

LONG_HAMA = (
    "Des tirs d'artillerie ont visé dans la nuit les quartiers nord de Hama, selon plusieurs habitants joints "
    "par téléphone, qui décrivent des explosions répétées près de la citadelle et des familles fuyant vers "
    "les villages voisins avant l'aube, tandis que les secours tentaient d'atteindre les blessés."
)


@pytest.fixture
def store(database_url):
    store = SqlStore.open(database_url)
    yield store
    store.close()


def test_shards_share_the_monitor_lock_that_a_run_of_everything_takes_alone(store):
    with (
        _shard_locks(store, "shard one", Shard(1, 2)) as first,
        _shard_locks(store, "shard two", Shard(2, 2)) as second,
    ):
        assert first.acquired and second.acquired
        with _shard_locks(store, "everything", None) as whole:
            assert not whole.acquired
        with _shard_locks(store, "shard one again", Shard(1, 2)) as again:
            assert not again.acquired, "one run of a shard at a time"
    with _shard_locks(store, "everything", None) as whole:
        assert whole.acquired
        with _shard_locks(store, "shard one", Shard(1, 2)) as first:
            assert not first.acquired, "a shard waits for the run of everything"
            assert first.held_by == "everything"


def _plan(store, item, stories):
    return plan_batch(store, [item], decision(watch_list("hama")), stories, NOW, BatchSettings())


def test_a_copy_read_by_another_shard_joins_the_story_it_stored_meanwhile_and_alerts_nothing(store):
    since = NOW - timedelta(days=7)
    stale = store.load_story_index(since, 0.5)  # this shard's index, loaded before the other wrote
    other = _plan(store, found(LONG_HAMA, "Hama", source="folder:wire-a"), StoryIndex(0.5))
    assert len(store.record_plan(other, NOW).alerts) == 1
    copy = found(LONG_HAMA, "Hama", source="folder:wire-b")
    assert len(_plan(store, copy, store.load_story_index(since, 0.5)).alerts) == 0
    assert len(_plan(store, copy, stale).alerts) == 1, "without the other's stories, the copy alerts again"
    assert store.add_new_stories(stale, since) == 1
    assert store.add_new_stories(stale, since) == 0
    plan = _plan(store, copy, stale)
    assert plan.alerts == ()
    assert store.record_plan(plan, NOW).alerts == []


def test_a_plan_another_run_wrote_first_is_a_write_conflict_and_writes_nothing(store):
    item = found(LONG_HAMA, "Hama", source="folder:wire-a")
    first, second = _plan(store, item, StoryIndex(0.5)), _plan(store, item, StoryIndex(0.5))
    store.record_plan(first, NOW)
    with pytest.raises(WriteConflict, match="another run wrote first"):
        store.record_plan(second, NOW)
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alerts")).scalar() == 1
    again = _plan(store, item, StoryIndex(0.5))  # decided again, on what is stored now
    assert again.alerts == ()
