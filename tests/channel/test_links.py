"""Signed links WhatsApp fetches (the calendar file, the QR code): they name what they show in
ASCII digits, live no longer than the time we sign them for, and show nothing of a member
whose data was erased."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.bootstrap import Concierge
from bot.channels.media import (
    CALENDAR_PATH,
    CLOCK_SLACK,
    MEDIA_TTL,
    QR_PATH,
    media_link_ok,
    media_url,
)
from loyalty.membercard import qr_payload, ticket_payload
from services import appointments, events, members, privacy
from tests.channel.twilio import PUBLIC_URL, WhatsApp
from tests.conftest import NOW
from tests.factories import PHONE

KEY = "a-media-key-of-the-club"


def signed(payload: str, at: datetime) -> tuple[str, str]:
    """The expiry and signature of a QR link signed at `at`, as the link carries them."""
    query = parse_qs(urlsplit(media_url(PUBLIC_URL, KEY, QR_PATH, payload, at)).query)
    return query["e"][0], query["s"][0]


async def link(whatsapp: WhatsApp, path: str, payload: str, at: datetime | None = None) -> str:
    """A link as the web app signs it (at `at`, else now)."""
    key = await whatsapp.app.state.whatsapp.media_key()
    return media_url(PUBLIC_URL, key, path, payload, at or whatsapp.concierge.clock())


async def giulia_with_an_event_and_a_booking(concierge: Concierge) -> tuple[int, int, int]:
    """Giulia, an event for her, and a ring resizing she booked: (member, event, booking)."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        anna = await uow.staff.add(6660001, "Anna Bianchi", "concierge", now)
        for weekday in range(1, 6):
            await uow.schedules.set_hours(anna.id, weekday, time(10), time(18))
        giulia = await members.add(uow, concierge.program, now, PHONE, name="Giulia Rossi")
        event = await events.create(
            uow, concierge.program, now, title="Emerald preview", capacity=5,
            starts_at=now + timedelta(days=20), ends_at=now + timedelta(days=20, hours=3),
        )  # fmt: skip
        [slot, *_] = await appointments.slots(uow, concierge.program, "resize", now)
        program = concierge.program
        booking = await appointments.book(uow, program, giulia, "resize", slot.start, now)
        await uow.commit()
        return giulia.id, event.id, booking.id


async def statuses(whatsapp: WhatsApp, links: list[str]) -> list[int]:
    return [(await whatsapp.fetch(url)).status_code for url in links]


async def test_an_erased_members_calendar_files_and_codes_are_no_longer_served(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id, event_id, booking_id = await giulia_with_an_event_and_a_booking(concierge)
    number = members.member_number(member_id)
    async with concierge.db.unit_of_work() as uow:
        key = await members.qr_key(uow, lambda: "the-club-qr-key")
        await uow.commit()
    links = [
        await link(whatsapp, CALENDAR_PATH, f"a{booking_id}"),
        await link(whatsapp, CALENDAR_PATH, f"e{event_id}-{member_id}"),
        await link(whatsapp, QR_PATH, qr_payload(number, key)),
        await link(whatsapp, QR_PATH, ticket_payload(event_id, number, key)),
    ]
    assert await statuses(whatsapp, links) == [200, 200, 200, 200]

    async with concierge.db.unit_of_work() as uow:
        giulia = await uow.members.get(member_id)
        assert giulia is not None
        await privacy.erase(uow, concierge.program, giulia, concierge.clock())
        await uow.commit()

    assert await statuses(whatsapp, links) == [404, 404, 404, 404]


async def test_a_calendar_link_naming_nothing_of_ours_is_not_found(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    member_id, event_id, booking_id = await giulia_with_an_event_and_a_booking(concierge)
    assert (member_id, event_id, booking_id) == (1, 1, 1)  # what "١" would have named
    refs = [
        "a²", "a١", "a፩", "aa²", "a-1", "a99999999999999999999", "a", "", "a01", "a2147483648",
        "e1", "e١-1", "e1-١", "e1-99999999999999999999", "e1-1-1", "e-1", "x1",
    ]  # fmt: skip

    found = await statuses(whatsapp, [await link(whatsapp, CALENDAR_PATH, ref) for ref in refs])

    assert found == [404] * len(refs)


async def test_a_link_signed_to_live_longer_than_we_sign_for_is_refused(
    whatsapp: WhatsApp, concierge: Concierge
) -> None:
    _, _, booking_id = await giulia_with_an_event_and_a_booking(concierge)
    now = concierge.clock()

    fresh = await link(whatsapp, CALENDAR_PATH, f"a{booking_id}")
    for_a_year = await link(whatsapp, CALENDAR_PATH, f"a{booking_id}", now + timedelta(days=365))

    assert await statuses(whatsapp, [fresh, for_a_year]) == [200, 404]


@pytest.mark.parametrize(
    ("signed_at", "ok"),
    [
        (NOW, True),
        (NOW - MEDIA_TTL, True),  # its last second
        (NOW - MEDIA_TTL - timedelta(seconds=1), False),  # expired
        (NOW + CLOCK_SLACK, True),  # signed by a process whose clock runs a little ahead
        (NOW + CLOCK_SLACK + timedelta(seconds=1), False),
        (NOW + timedelta(days=3650), False),
    ],
)
def test_a_link_lives_from_its_signing_until_the_time_we_sign_for(
    signed_at: datetime, ok: bool
) -> None:
    expires, signature = signed("CLUB1:M00001:x", signed_at)
    assert media_link_ok(KEY, QR_PATH, "CLUB1:M00001:x", expires, signature, NOW) is ok


@pytest.mark.parametrize(
    "expires", ["²", "١", "፩", "a²", "-1", "99999999999999999999", "", "0{}", " {}", "{}.0"]
)
def test_an_expiry_that_is_not_plain_ascii_digits_is_refused(expires: str) -> None:
    valid, signature = signed("CLUB1:M00001:x", NOW)
    given = expires.format(valid)
    assert media_link_ok(KEY, QR_PATH, "CLUB1:M00001:x", given, signature, NOW) is False
