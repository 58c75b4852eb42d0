"""What the services need of storage for events: the events and their guest lists (a
sibling of loyalty/stores.py, which names it on the unit of work)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from loyalty.records import Event


class Events(Protocol):
    """Private previews and trunk shows, and whom they are for."""

    async def add(self, guests: Sequence[int], **fields: object) -> Event: ...
    async def all(self) -> Sequence[Event]: ...
    async def get(self, event_id: int, lock: bool = False) -> Event | None: ...
    async def guests(self, event_id: int) -> set[int]: ...
    async def starting_between(self, start: datetime, end: datetime) -> Sequence[Event]: ...
    async def upcoming(self, now: datetime) -> Sequence[Event]: ...
    async def change(self, event: Event, guests: Iterable[int], **fields: object) -> None:
        """Write an event's new details and guest list (the one given replaces the old)."""
        ...
