"""Persistence: articles, mentions, alerts and their deliveries, behind one interface."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from veille.records import ArticleMentions, SourceBatch
    from veille.store.outbox import StoredDelivery
    from veille.store.sql import (
        DueDelivery,
        RecordedBatch,
        Router,
        SourceHealth,
        SourceState,
        TargetRef,
    )
    from veille.stories import StoryIndex
    from veille.watchlist import WatchList


class Store(Protocol):
    """What the pipeline needs from a database; SqlStore is the one implementation."""

    def known_hashes(self, sources: Iterable[str]) -> dict[tuple[str, str], str]: ...

    def record_detections(
        self, found: Sequence[ArticleMentions], watchlist: WatchList, route: Router, now: datetime,
        stories: StoryIndex | None = None,
    ) -> RecordedBatch: ...

    def load_story_index(self, since: datetime, threshold: float) -> StoryIndex: ...

    def source_states(self, names: Iterable[str]) -> dict[str, SourceState]: ...

    def record_source_reads(self, batches: Iterable[SourceBatch], now: datetime) -> None: ...

    def source_health(self, names: Iterable[str]) -> list[SourceHealth]: ...

    def due_deliveries(self, now: datetime, lease_seconds: float) -> list[DueDelivery]: ...

    def database_id(self) -> str: ...

    def stored_delivery(self, delivery_id: int) -> StoredDelivery | None: ...

    def route_unrouted(self, route: Router, now: datetime) -> tuple[int, int]: ...

    def rename_targets(self, renames: Mapping[str, TargetRef]) -> int: ...

    def claim_delivery(self, delivery_id: int, now: datetime, lease_seconds: float,
                       target_key: str | None = None) -> bool: ...

    def mark_sent(self, delivery_id: int, now: datetime) -> None: ...

    def mark_failed_attempt(self, delivery_id: int, error: str, retry_at: datetime | None) -> None: ...

    def delivery_counts(self) -> dict[str, int]: ...
