"""Calendar files as strict clients take them: every time in UTC whatever the zone given,
iTIP's PUBLISH or CANCEL, and the strict reader the tests use refusing what they refuse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loyalty.program import Program
from services.calendars import Entry, calendar_file
from tests.calendars import strict

START = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))
ENTRY = Entry("7f0c2f8e-2c1b-5d57-9a55-0c2b7a1d3e11", "Ring resizing · Maison Aurelia", START,
              START + timedelta(minutes=30), datetime(2026, 11, 23, 8, tzinfo=UTC))  # fmt: skip


def test_a_time_given_in_a_zone_is_written_in_utc(variant: Callable[..., Program]) -> None:
    text = calendar_file("a1", variant(), ENTRY).text

    read = strict(text)

    assert "DTSTART:20261124T090000Z" in text and "TZID" not in text
    assert (read.method, read.status, read.start) == ("PUBLISH", "CONFIRMED", START)
    assert 'ORGANIZER;CN="Maison Aurelia":mailto:concierge@maison-aurelia.example' in text


def test_without_the_clubs_address_there_is_no_organizer(variant: Callable[..., Program]) -> None:
    program = variant(('email = "concierge@maison-aurelia.example"\n', ""))
    text = calendar_file("a1", program, ENTRY).text
    assert "ORGANIZER" not in text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("DTSTART:20261124T090000Z", "DTSTART;TZID=Europe/Rome:20261124T100000"),  # no VTIMEZONE
        ("DTSTART:20261124T090000Z", "DTSTART:20261124T100000"),  # floating
        ("METHOD:PUBLISH\r\n", ""),
        ("SEQUENCE:0\r\n", ""),
        ("STATUS:CONFIRMED", "STATUS:CANCELLED"),  # cancelled, yet published
    ],
)
def test_the_strict_reader_refuses_what_strict_clients_refuse(
    variant: Callable[..., Program], old: str, new: str
) -> None:
    text = calendar_file("a1", variant(), ENTRY).text
    assert old in text
    with pytest.raises(AssertionError):
        strict(text.replace(old, new))
