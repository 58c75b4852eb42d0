"""The occasion scan on a real database: consent, channel, the member's zone, exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from loyalty.consent import Channel, Purpose
from loyalty.program import Program
from loyalty.reach import NO_CHAT, NO_CONSENT
from services import members, occasions
from storage.database import Database
from storage.models import LedgerEntry, Member, OutboxMessage
from tests.factories import OTHER_PHONE, PHONE

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


async def enrol(
    database: Database,
    program: Program,
    phone: str = PHONE,
    birthday: str = "1990-11-24",
    zone: str | None = None,
    consents: tuple[tuple[Purpose, Channel], ...] = ((Purpose.BIRTHDAY, Channel.WHATSAPP),),
    chats: tuple[Channel, ...] = (Channel.WHATSAPP,),
    preferred: Channel | None = None,
) -> Member:
    async with database.unit_of_work() as uow:
        joined = datetime(2025, 3, 1, tzinfo=UTC)
        member = await members.add(uow, program, joined, phone, name="Giulia", birthday=birthday)
        if zone:
            await members.set_zone(uow, member, program, zone)
        if preferred:
            members.set_profile(member, program, preferred_channel=preferred)
        for purpose, channel in consents:
            await members.set_consent(
                uow, member, purpose, channel, True, joined, "test", "asked in the test"
            )
        for channel in chats:
            address = phone if channel is Channel.WHATSAPP else str(abs(hash(phone)) % 10**9)
            await uow.identities.link(member.id, channel, address, None, joined)
        await uow.commit()
        return member


async def plan(database: Database, program: Program, day: date | None = None):  # type: ignore[no-untyped-def]
    async with database.unit_of_work() as uow:
        return await occasions.plan(uow, program, NOW, day)


async def run(database: Database, program: Program, day: date | None = None) -> int:
    async with database.unit_of_work() as uow:
        _, added = await occasions.scan(uow, program, NOW, day)
        return added


async def test_a_birthday_is_queued_once_with_its_gift_at_the_send_hour_in_the_members_zone(
    database: Database, program: Program
) -> None:
    member = await enrol(database, program)

    assert await run(database, program) == 1
    assert await run(database, program) == 0  # the scan run twice queues nothing new

    async with database.unit_of_work() as uow:
        [row] = (await uow.session.scalars(select(OutboxMessage))).all()
        gifts = (
            await uow.session.scalars(select(LedgerEntry).where(LedgerEntry.key.like("gift:%")))
        ).all()
    assert (row.key, row.purpose, row.channel, row.address) == (
        f"birthday:{member.id}:2026", "birthday", "whatsapp", PHONE,
    )  # fmt: skip
    assert row.due_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Rome
    assert row.variables["years"] == "36"
    assert [(g.points, g.member_id, g.reason) for g in gifts] == [
        (program.occasions.birthday_points, member.id, "gift")
    ]


@pytest.mark.parametrize(
    ("consents", "chats", "why"),
    [
        ((), (Channel.WHATSAPP,), NO_CONSENT),
        (((Purpose.EVENTS, Channel.WHATSAPP),), (Channel.WHATSAPP,), NO_CONSENT),
        (((Purpose.BIRTHDAY, Channel.TELEGRAM),), (Channel.WHATSAPP,), NO_CHAT),
    ],
)
async def test_without_consent_or_a_chat_there_nothing_is_queued_and_the_preview_says_why(
    database: Database,
    program: Program,
    consents: tuple[tuple[Purpose, Channel], ...],
    chats: tuple[Channel, ...],
    why: str,
) -> None:
    await enrol(database, program, consents=consents, chats=chats)

    [planned] = await plan(database, program)

    assert (planned.channel, planned.skip) == (None, why)
    assert await run(database, program) == 0
    async with database.unit_of_work() as uow:
        assert (await uow.session.scalars(select(OutboxMessage))).all() == []
        assert (await uow.session.scalars(select(LedgerEntry))).all() == []


async def test_whatsapp_consent_given_at_the_till_reaches_the_phone_of_someone_who_never_wrote(
    database: Database, program: Program
) -> None:
    member = await enrol(database, program, chats=())

    [planned] = await plan(database, program)
    assert await run(database, program) == 1

    assert (planned.channel, planned.address, planned.skip) == (Channel.WHATSAPP, PHONE, None)
    async with database.unit_of_work() as uow:
        [row] = (await uow.session.scalars(select(OutboxMessage))).all()
    assert (row.member_id, row.channel, row.address, row.basis) == (
        member.id, "whatsapp", PHONE, "consent: birthday",
    )  # fmt: skip


async def test_a_whatsapp_chat_that_blocked_us_is_not_written_to_at_the_phone_either(
    database: Database, program: Program
) -> None:
    await enrol(database, program)
    async with database.unit_of_work() as uow:
        await uow.identities.set_reachable("whatsapp", PHONE, False)
        await uow.commit()

    [planned] = await plan(database, program)

    assert (planned.channel, planned.skip) == (None, NO_CHAT)
    assert await run(database, program) == 0


async def test_the_preferred_channel_is_used_when_it_has_consent(
    database: Database, program: Program
) -> None:
    both = ((Purpose.BIRTHDAY, Channel.WHATSAPP), (Purpose.BIRTHDAY, Channel.TELEGRAM))
    chats = (Channel.WHATSAPP, Channel.TELEGRAM)
    await enrol(database, program, consents=both, chats=chats, preferred=Channel.TELEGRAM)

    [planned] = await plan(database, program)

    assert planned.channel is Channel.TELEGRAM


async def test_today_is_each_members_own_today(database: Database, program: Program) -> None:
    # 10:00 UTC on the 24th is already the 25th on Kiritimati (UTC+14)
    islander = await enrol(database, program, birthday="11-25", zone="Pacific/Kiritimati")
    await enrol(database, program, phone=OTHER_PHONE, birthday="11-25")  # still the 24th in Rome

    planned = await plan(database, program)

    assert [p.member.id for p in planned] == [islander.id]
    assert planned[0].due == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 10:00 on the 25th there
    assert [p.member.id for p in await plan(database, program, date(2026, 11, 25))] == [
        islander.id, islander.id + 1,
    ]  # fmt: skip


async def test_29_february_birthdays_are_wished_on_28_february_in_common_years(
    database: Database, program: Program
) -> None:
    await enrol(database, program, birthday="02-29")

    assert len(await plan(database, program, date(2027, 2, 28))) == 1
    assert await plan(database, program, date(2027, 3, 2)) == []
