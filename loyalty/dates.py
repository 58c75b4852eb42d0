"""Calendar arithmetic the club's rules share: month windows and yearly occasions."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

# The moments the club's rules work with: a hundred years of months either side of any of
# them stays within what datetime holds (years 1 to 9999).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def wall_clock(day: date, at: time, zone: tzinfo) -> datetime:
    """`at` on `day` in `zone`, aware; a wall time a DST change skips moves forward."""
    moment = datetime.combine(day, at).replace(tzinfo=zone)
    # round trip through UTC: a skipped wall time comes back shifted, a real one unchanged
    return moment.astimezone(UTC).astimezone(zone)


class OutOfRange(ValueError):
    """A moment before EARLIEST or from LATEST on: the club's rules do not work with it."""

    def __init__(self) -> None:
        super().__init__(f"out of range: from {EARLIEST.year} to {LATEST.year - 1}")


def moment_in(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date and time, in UTC; without an offset it is read in `zone` (the
    store's). Raises ValueError for anything else, OutOfRange outside EARLIEST..LATEST."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999, pushed out of datetime's range by its offset
        raise OutOfRange from None
    if not EARLIEST <= moment < LATEST:
        raise OutOfRange
    return moment


def iso_day(text: str) -> date | None:
    """A day written YYYY-MM-DD in ASCII digits, from EARLIEST to before LATEST; else None."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:  # no such day: 2026-02-30
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` shifted by whole months, the day clamped to the month's end."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = moment.day
    if day > 28:  # every month has the first 28 days: the calendar only for the last ones
        day = min(day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrence_in(month: int, day: int, year: int) -> date:
    """The day a yearly occasion falls on in `year`: 29 February is kept on 28 February."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


@dataclass(frozen=True)
class Birthday:
    """Month and day, with the year only when the member chose to give it."""

    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        year = 2000 if self.year is None else self.year  # 2000 is a leap year: 29 Feb is valid
        date(year, self.month, self.day)

    @classmethod
    def parse(cls, text: str) -> Birthday:
        """Read ``MM-DD`` or ``YYYY-MM-DD`` (ASCII digits); ValueError otherwise."""
        found = re.fullmatch(r"(?:([0-9]{4})-)?([0-9]{2})-([0-9]{2})", text.strip())
        if found is None:
            raise ValueError(f"not a birthday (MM-DD or YYYY-MM-DD): {text!r}")
        year, month, day = found.groups()
        try:
            return cls(int(month), int(day), int(year) if year else None)
        except ValueError:
            raise ValueError(f"no such day: {text!r}") from None

    def __str__(self) -> str:
        core = f"{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{core}" if self.year else core
