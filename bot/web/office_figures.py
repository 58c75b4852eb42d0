"""The back office's Figures page (issue 19), for owners: the club's measures by month over
a range (?from=YYYY-MM&to=YYYY-MM, by default the last twelve months in the club's zone),
each a chart, a table (what the chart shows, for screen readers and the keyboard) and a CSV
download of the same range."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Annotated

from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import APIRouter, HTTPException, Query, Request, Response

from bot.web.charts import draw
from bot.web.office import Owner, _render, office_speaker
from bot.web.state import App
from loyalty.figures import MONTH, months
from loyalty.spreadsheets import safe_row
from services import figures
from services.figures import DAYS, MINUTES, MONEY, RATE, RATIO, Table, Value

router = APIRouter(prefix="/office")
From = Annotated[str, Query(alias="from")]
To = Annotated[str, Query(alias="to")]


def _writer(language: str, currency: str) -> Callable[[str, Value], str]:
    """How a value of a unit is written for the reader ("–" for none)."""

    def write(unit: str, value: Value) -> str:
        if value is None:
            return "–"
        if unit == RATE:
            return format_percent(value, "#,##0.#%", locale=language)
        if unit == MONEY:
            return format_currency(Decimal(value), currency, locale=language)
        if unit in (RATIO, DAYS, MINUTES):
            return format_decimal(value, "#,##0.#", locale=language)
        return format_decimal(value, locale=language)

    return write


def _month_name(label: str, language: str) -> str:
    """ "2026-03" as the reader says it ("Mar 2026", "mars 2026"); other rows as they are."""
    if not MONTH.match(label):
        return label
    return format_skeleton("yMMM", date(int(label[:4]), int(label[5:]), 1), locale=language)


async def _tables(
    request: Request, app: App, start: str | None, end: str | None, slug: str | None = None
) -> tuple[list[Table], str, str]:
    speaker = office_speaker(request, app)
    now = app.clock()
    span = months(start, end, now, app.program.club.zone)
    async with app.db.unit_of_work() as uow:
        found = await figures.tables(
            uow, span, now, app.program, speaker.gettext, speaker.language, slug
        )
    return found, f"{span.first:%Y-%m}", f"{span.last:%Y-%m}"


@router.get("/figures", include_in_schema=False)
async def page(request: Request, app: App, who: Owner, start: From = "", end: To = "") -> Response:
    """Every measure: a chart, its table and a CSV link."""
    found, first, last = await _tables(request, app, start, end)
    language = office_speaker(request, app).language
    write = _writer(language, app.program.club.base_currency)
    shown = []
    for table in found:
        unit = table.columns[table.charted[0]].unit if table.charted else ""
        labels = [_month_name(label, language) for label, _ in table.rows]
        series = [
            (table.columns[i].label, [None if v is None else float(v) for _, v in _rows(table, i)])
            for i in table.charted
        ]
        chart = draw(table.title, labels, series, table.bars, partial(write, unit))
        cells = [
            (name, [write(c.unit, v) for c, v in zip(table.columns, values, strict=True)])
            for name, values in zip(labels, (v for _, v in table.rows), strict=True)
        ]
        shown.append((table, chart if table.rows else "", cells))
    return _render(request, app, "figures.html", who=who, tables=shown, first=first, last=last)


def _rows(table: Table, column: int) -> list[tuple[str, Value]]:
    return [(label, values[column]) for label, values in table.rows]


@router.get("/figures/{slug}.csv", include_in_schema=False)
async def download(
    request: Request, app: App, who: Owner, slug: str, start: From = "", end: To = ""
) -> Response:
    """One measure as CSV: plain numbers (a dot for decimals, rates as fractions)."""
    found, first, last = await _tables(request, app, start, end, slug)
    if not found:
        raise HTTPException(404, "no such measure")
    table = found[0]
    out = io.StringIO()
    rows = csv.writer(out)
    rows.writerow(safe_row([table.heading, *(c.label for c in table.columns)]))
    for label, values in table.rows:
        rows.writerow(safe_row([label, *("" if v is None else _plain(v) for v in values)]))
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-{first}-{last}.csv"'},
    )  # fmt: skip


def _plain(value: int | float | Decimal) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
