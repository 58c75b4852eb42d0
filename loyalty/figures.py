"""The club's figures, pure: the months a range covers (their edges in the club's zone), the
shapes the aggregate queries answer in, medians read from their histograms, and what the
services need of storage for them (FiguresStore)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from loyalty.program import Program
from loyalty.stores import UnitOfWork

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_MONTHS = 12
MOST_MONTHS = 60  # a longer range is cut to its last five years


@dataclass(frozen=True)
class Months:
    """Whole months from `first` to `last` (both the 1st of their month), in the club's zone."""

    first: date
    last: date

    def firsts(self) -> list[date]:
        out, day = [], self.first
        while day <= self.last:
            out.append(day)
            day = _next(day)
        return out

    def labels(self) -> list[str]:
        return [f"{day:%Y-%m}" for day in self.firsts()]

    def edges(self, zone: ZoneInfo) -> list[datetime]:
        """Where each month begins, and where the last ends: n + 1 instants of the zone."""
        days = [*self.firsts(), _next(self.last)]
        return [datetime(d.year, d.month, 1, tzinfo=zone) for d in days]


def _next(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month(text: str | None) -> date | None:
    found = MONTH.match(text or "")
    return date(int(found[1]), int(found[2]), 1) if found else None


def months(start: str | None, end: str | None, now: datetime, zone: ZoneInfo) -> Months:
    """The range `YYYY-MM` to `YYYY-MM` asked for; what is missing or unreadable is the last
    DEFAULT_MONTHS up to this month (in the club's zone). Reversed ends are put in order."""
    today = now.astimezone(zone).date().replace(day=1)
    last = _month(end) or today
    first = _month(start)
    if first is None:
        first = last
        for _ in range(DEFAULT_MONTHS - 1):
            first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    first, last = min(first, last), max(first, last)
    while len(Months(first, last).firsts()) > MOST_MONTHS:
        first = _next(first)
    return Months(first, last)


@dataclass(frozen=True)
class Tally:
    """How many of `key` fell in month `month` (its index in the range)."""

    month: int
    key: str
    count: int


@dataclass(frozen=True)
class Sums:
    """The orders of `key` in month `month`: how many, and their total in base currency."""

    month: int
    key: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class EventFigures:
    """One event's guests: invited, who said yes, who came, who bought within N days."""

    event_id: int
    title: str
    starts_at: datetime
    invited: int
    yes: int
    came: int
    bought: int


def median(histogram: Iterable[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many) pairs; None when there are none."""
    pairs = sorted((value, count) for value, count in histogram if count > 0)
    total = sum(count for _, count in pairs)
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for value, count in pairs:
        found.extend(value for rank in wanted if seen <= rank < seen + count)
        seen += count
    return sum(found) / len(found)


class FiguresStore(Protocol):
    """Aggregates over the whole club: each answers a few rows per month, never a member.

    `edges` are the range's month edges (Months.edges): a row's month is its index."""

    async def joined(self, edges: Sequence[datetime]) -> tuple[int, list[Tally]]: ...
    async def tiers_now(self, entry: str) -> list[Tally]: ...
    async def tier_moves(self, edges: Sequence[datetime], entry: str) -> list[Tally]: ...
    async def segments_now(self, now: datetime, program: Program) -> list[Tally]: ...
    async def returns(self, edges: Sequence[datetime], program: Program) -> list[Tally]: ...
    async def orders(self, edges: Sequence[datetime]) -> list[Tally]: ...
    async def order_values(
        self, edges: Sequence[datetime], now: datetime, program: Program
    ) -> list[Sums]: ...
    async def events(self, edges: Sequence[datetime], days: int) -> list[EventFigures]: ...
    async def concierge(self, edges: Sequence[datetime], now: datetime) -> list[Tally]: ...
    async def messages(self, edges: Sequence[datetime]) -> list[Tally]: ...
    async def opt_outs(self, edges: Sequence[datetime]) -> list[Tally]: ...


class FiguresUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also reads the figures (loyalty/stores.py is full)."""

    figures: FiguresStore
