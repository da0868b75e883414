"""Notification: targets behind one small interface, apprise underneath."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from veille.store.sql import TargetRef


class Notifier(Protocol):
    """Where alerts go: which targets an alert's tags reach, and sending to one of them."""

    def targets_for(self, tags: Sequence[str]) -> list[TargetRef]: ...

    def has_target(self, key: str) -> bool: ...

    def legacy_keys(self) -> Mapping[str, TargetRef]:
        """Keys the targets had under an earlier keying scheme, to the target each now is."""
        ...

    def send(self, key: str, title: str, body: str) -> str | None:
        """Deliver to one target; None when it was accepted, else why not."""
        ...
