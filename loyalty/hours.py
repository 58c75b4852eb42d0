"""The store's opening hours: whether it is open, and when it opens next (pure)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from loyalty.dates import wall_clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Opening:
    start: time
    end: time


def parse_day(text: str) -> tuple[Opening, ...]:
    """ "10:00-13:00, 14:00-19:00" (or "closed"): a day's openings, in order, not overlapping."""
    if text.strip().lower() == "closed":
        return ()
    openings: list[Opening] = []
    for part in text.split(","):
        found = _RANGE.match(part)
        if found is None:
            raise ValueError(f"{part.strip()!r} is not like 10:00-19:00 (or 'closed')")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"{part.strip()!r} is not a time of day")
        start, end = time(h1, m1), time(h2, m2)
        if end <= start or (openings and start < openings[-1].end):
            raise ValueError(f"{part.strip()!r}: ranges must run forward and not overlap")
        openings.append(Opening(start, end))
    return tuple(openings)


@dataclass(frozen=True)
class OpeningHours:
    """Opening times for each weekday (Monday first), in the store's zone."""

    week: tuple[tuple[Opening, ...], ...]
    zone: tzinfo

    def _openings(self, day: date, closed: Collection[date]) -> list[tuple[datetime, datetime]]:
        if day in closed:
            return []
        return [
            (wall_clock(day, o.start, self.zone), wall_clock(day, o.end, self.zone))
            for o in self.week[day.weekday()]
        ]

    def next_open(
        self, at: datetime, closed: Collection[date] = (), horizon_days: int = 366
    ) -> datetime | None:
        """`at` itself when the store is open then; else when it next opens (None: never)."""
        first = at.astimezone(self.zone).date()
        for offset in range(horizon_days + 1):
            for start, end in self._openings(first + timedelta(days=offset), closed):
                if end > at:
                    return max(start, at)
        return None


def alike(week: tuple[tuple[Opening, ...], ...]) -> list[tuple[int, int, tuple[Opening, ...]]]:
    """The open days in runs of the same hours, Monday (0) first: (first day, last day,
    openings), for saying them in few words ("Tue-Fri 10:00-19:00")."""
    runs: list[tuple[int, int, tuple[Opening, ...]]] = []
    for day, openings in enumerate(week):
        if openings and runs and runs[-1][1] == day - 1 and runs[-1][2] == openings:
            runs[-1] = (runs[-1][0], day, openings)
        elif openings:
            runs.append((day, day, openings))
    return runs
