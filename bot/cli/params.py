"""What staff type and read: ids, days and text checked before anything reaches the
database, and moments shown in the store's time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from bot.bootstrap import Concierge
from loyalty.dates import EARLIEST, LATEST, iso_day
from loyalty.ids import INT4_MAX, parse_id
from loyalty.text import unstorable


class Id(click.ParamType):
    """An id staff type: ASCII digits within the column's range (loyalty.ids), else a usage
    error before anything reaches the database."""

    name = "id"

    def __init__(self, high: int = INT4_MAX) -> None:
        self.high = high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number = parse_id(str(value), self.high)
        if number is None:
            self.fail(f"{value!r} is not an id (digits 0-9, at most {self.high})", param, ctx)
        return number


class Day(click.ParamType):
    """A day as YYYY-MM-DD (ASCII digits) in the years the club's date arithmetic holds."""

    name = "yyyy-mm-dd"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        day = iso_day(str(value))
        if day is None:
            first, last = EARLIEST.year, LATEST.year - 1
            self.fail(f"{value!r} is not a day of {first} to {last} (YYYY-MM-DD)", param, ctx)
        return day


class Text(click.ParamType):
    """Text staff type, refused when the database could not keep it (loyalty.text): a lone
    surrogate is what an argument in another encoding than UTF-8 becomes."""

    name = "text"

    def __init__(self, lines: bool = False) -> None:
        self.lines = lines

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        problem = unstorable(str(value), self.lines)
        if problem is not None:
            self.fail(problem, param, ctx)
        return str(value)


def store_time(app: Concierge, moment: datetime) -> str:
    return moment.astimezone(app.program.club.zone).strftime("%Y-%m-%d %H:%M")
