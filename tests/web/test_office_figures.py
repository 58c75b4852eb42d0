"""The back office's Figures page over HTTP on a real database: for owners only, each
measure a chart (inline SVG, nothing fetched from elsewhere), a table and a CSV download of
the same range."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from bot.bootstrap import Concierge
from tests.figures_club import fill
from tests.web.test_office import browser, member_of_staff  # noqa: F401 (a fixture)

RANGE = "from=2026-01&to=2026-11"


@pytest.mark.parametrize("path", ["/office/figures", "/office/figures/members.csv"])
async def test_a_visitor_without_a_session_is_sent_to_sign_in(
    browser: httpx.AsyncClient,  # noqa: F811
    path: str,
) -> None:
    response = await browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/office/sign-in"


@pytest.mark.parametrize("path", ["/office/figures", "/office/figures/members.csv"])
async def test_staff_are_refused_the_figures(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
    path: str,
) -> None:
    await member_of_staff(concierge, browser, "staff@aurelia.example", "staff")
    assert (await browser.get(path)).status_code == 403
    home = await browser.get("/office/")
    assert "/office/figures" not in home.text


async def test_the_owner_reads_every_measure_charted_and_tabled(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    await fill(concierge.db)
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    assert "/office/figures" in (await browser.get("/office/")).text
    page = await browser.get(f"/office/figures?{RANGE}")
    assert page.status_code == 200
    text = page.text
    assert text.count("<svg ") == 14 and text.count('role="img"') == 14
    assert "<script" not in text and "<?xml" not in text
    assert 'src="http' not in text and 'href="http' not in text
    assert 'value="2026-01"' in text and 'value="2026-11"' in text
    assert "Emerald preview (2026-10-10)" in text
    assert "<td>75%</td>" in text  # the event's RSVP rate, in the reader's words
    assert "€6,200.00" in text  # March's order value of a platinum buyer
    assert f"/office/figures/events.csv?{RANGE.replace('&', '&amp;')}" in text
    assert '<th scope="row">Mar 2026</th>' in text


async def test_the_default_range_is_the_last_twelve_months(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    page = await browser.get("/office/figures?from=nonsense")
    assert page.status_code == 200
    assert 'value="2025-12"' in page.text and 'value="2026-11"' in page.text
    assert "Nothing in this range." in page.text  # no event


async def test_a_measure_downloads_as_csv_for_the_same_range(
    concierge: Concierge,
    browser: httpx.AsyncClient,  # noqa: F811
) -> None:
    await fill(concierge.db)
    await member_of_staff(concierge, browser, "owner@aurelia.example")
    answer = await browser.get(f"/office/figures/repeat.csv?{RANGE}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="repeat-2026-01-2026-11.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == [
        "Month of the first purchase", "first purchases", "with a second since",
        "repeat rate", "median days to the second",
    ]  # fmt: skip
    assert len(rows) == 12
    assert rows[2] == ["2026-02", "2", "1", "0.5", "10"]
    assert rows[9] == ["2026-09", "0", "0", "", ""]
    values = await browser.get(f"/office/figures/order-value-tier.csv?{RANGE}")
    assert list(csv.reader(io.StringIO(values.text)))[3] == ["2026-03", "", "", "6200.00", ""]
    assert (await browser.get("/office/figures/nothing.csv")).status_code == 404
