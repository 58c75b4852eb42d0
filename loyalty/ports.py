"""What the services need from storage, said without naming SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from loyalty.pace import Pace


class Conflict(Exception):
    """Another transaction wrote the same unique fact first; retrying sees its result."""


class Budgets(Protocol):
    """The paces' budgets (loyalty.pace), kept where every sender of a bot reaches them: in
    PostgreSQL for all its processes, or in the memory of the one process (SQLite)."""

    async def reserve(self, keys: Sequence[tuple[str, Pace]], now: float) -> float:
        """Reserve one send on every key at the first moment they all allow, at or after
        `now` (epoch seconds); that moment. Reserve when the send could go: a moment far
        ahead (a busy chat's) holds the bot's key back until then for every other chat."""
        ...

    async def forget_idle(self, before: float) -> int:
        """Forget the keys whose TAT is before `before`; how many. A forgotten key reads as
        quiet, which any key with a past TAT is: keep `before` behind every sender's clock
        (now minus a minute covers the skew of hosts' clocks)."""
        ...
