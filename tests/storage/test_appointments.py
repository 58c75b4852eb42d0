"""Appointments on a real database (SQLite and PostgreSQL): booking, the race for a slot,
moving, cancelling, closures, tier limits and reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from loyalty.consent import Channel
from loyalty.ports import Conflict
from services import appointments, members, schedules
from services.appointments import BookingError
from services.outgoing import Report, prepare
from storage.models import Appointment, Member, OutboxMessage
from tests.conftest import Clock

ROME = ZoneInfo("Europe/Rome")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=ROME)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # Monday morning: a day's notice


async def anna(concierge: Concierge) -> int:
    """Anna works Tuesday to Saturday, 10:00 to 18:00."""
    async with concierge.db.unit_of_work() as uow:
        staff = await uow.staff.add(6660001, "Anna Bianchi", "concierge", concierge.clock())
        for weekday in range(1, 6):
            await uow.schedules.set_hours(staff.id, weekday, time(10), time(18))
        await uow.commit()
        return staff.id


async def enrol(concierge: Concierge, n: int, zone: str | None = None) -> Member:
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, now, f"+39347200{n:04d}", name=f"Member {n}", locale="en",
            timezone=zone,
        )  # fmt: skip
        await uow.identities.link(member.id, "telegram", str(9000 + n), "en", now)
        await uow.commit()
        return member


async def book(
    concierge: Concierge,
    member: Member,
    start: datetime,
    key: str = "resize",
    channel: str = "telegram",
) -> Appointment:
    async with concierge.db.unit_of_work() as uow:
        booked = await appointments.book(
            uow, concierge.program, member, key, start, concierge.clock(), note="size 52",
            channel=channel,
        )  # fmt: skip
        await uow.commit()
        return booked


async def free(concierge: Concierge, key: str = "resize", limit: int = 4) -> list[datetime]:
    async with concierge.db.unit_of_work() as uow:
        found = await appointments.slots(
            uow, concierge.program, key, concierge.clock(), limit=limit
        )
        return [slot.start.astimezone(ROME) for slot in found]


async def test_a_booked_slot_is_no_longer_offered(concierge: Concierge) -> None:
    await anna(concierge)
    member = await enrol(concierge, 1)
    assert (await free(concierge))[:2] == [TUESDAY_10, TUESDAY_10 + timedelta(minutes=30)]

    booked = await book(concierge, member, TUESDAY_10)

    assert (booked.starts_at, booked.ends_at) == (TUESDAY_10, TUESDAY_10 + timedelta(minutes=30))
    assert booked.block_end == TUESDAY_10 + timedelta(minutes=40)  # with its 10 minutes' buffer
    assert (await free(concierge))[0] == TUESDAY_10 + timedelta(minutes=60)


async def test_two_members_choosing_one_slot_at_once_get_one_booking(concierge: Concierge) -> None:
    await anna(concierge)
    people = [await enrol(concierge, n) for n in range(10)]

    async def try_it(member: Member) -> str:
        for _ in range(20):
            try:
                await book(concierge, member, TUESDAY_10)
                return "booked"
            except BookingError as error:
                assert error.alternatives and error.alternatives[0].start > TUESDAY_10
                return error.code
            except Conflict:
                continue
        raise AssertionError("never answered")

    outcomes = await asyncio.gather(*(try_it(m) for m in people))

    assert outcomes.count("booked") == 1 and outcomes.count("taken") == 9
    async with concierge.db.unit_of_work() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(Appointment))
        assert count == 1


async def test_moving_keeps_one_booking_and_frees_the_old_time(concierge: Concierge) -> None:
    await anna(concierge)
    member = await enrol(concierge, 1)
    booked = await book(concierge, member, TUESDAY_10)
    later = TUESDAY_10 + timedelta(hours=3)

    async with concierge.db.unit_of_work() as uow:
        row = await uow.appointments.get(booked.id)
        assert row is not None
        await appointments.move(uow, concierge.program, row, later, concierge.clock())
        await uow.commit()

    assert (await free(concierge))[0] == TUESDAY_10
    async with concierge.db.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(Appointment)))
    assert [(r.id, r.starts_at) for r in rows] == [(booked.id, later)]


async def test_cancelling_frees_the_slot(concierge: Concierge) -> None:
    await anna(concierge)
    booked = await book(concierge, await enrol(concierge, 1), TUESDAY_10)
    async with concierge.db.unit_of_work() as uow:
        row = await uow.appointments.get(booked.id)
        assert row is not None
        await appointments.cancel(uow, row, concierge.clock())
        await uow.commit()
    assert (await free(concierge))[0] == TUESDAY_10


async def test_a_closure_day_has_no_slot(concierge: Concierge) -> None:
    await anna(concierge)
    async with concierge.db.unit_of_work() as uow:
        await uow.schedules.close(date(2026, 11, 24), "inventory")
        await uow.commit()
    assert (await free(concierge))[0] == TUESDAY_10 + timedelta(days=1)


async def test_a_service_for_the_top_tiers_is_refused_to_others(concierge: Concierge) -> None:
    await anna(concierge)
    member = await enrol(concierge, 1)
    with pytest.raises(BookingError) as refused:
        await book(concierge, member, TUESDAY_10 + timedelta(days=2), "private_viewing")
    assert refused.value.code == "not_for_you"
    async with concierge.db.unit_of_work() as uow:
        await members.set_invited_tier(uow, member, "ambassador", concierge.clock(),
                                       concierge.program)  # fmt: skip
        await uow.commit()
    booked = await book(concierge, member, TUESDAY_10 + timedelta(days=2), "private_viewing")
    assert booked.block_end - booked.starts_at == timedelta(minutes=120)


async def test_reminders_a_day_before_and_on_the_morning_once_each(
    concierge: Concierge, clock: Clock
) -> None:
    await anna(concierge)
    member = await enrol(concierge, 1, zone="America/New_York")
    await book(concierge, member, TUESDAY_10 + timedelta(days=1, hours=6))  # Wed 16:00 Rome

    async def tick() -> int:
        async with concierge.db.unit_of_work() as uow:
            queued = await appointments.reminders(uow, concierge.program, concierge.clock())
            await uow.commit()
            return queued

    assert await tick() == 0
    clock.current = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)  # a day before (next round)
    assert (await tick(), await tick()) == (1, 0)
    clock.current = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 08:00 in New York
    assert (await tick(), await tick()) == (1, 0)
    async with concierge.db.unit_of_work() as uow:
        keys = list(
            await uow.session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id))
        )
    assert [key.split(":")[1] for key in keys if key] == ["day", "morning"]


async def test_a_reminder_goes_where_it_was_booked_without_a_separate_yes_until_stopped(
    concierge: Concierge, clock: Clock
) -> None:
    await anna(concierge)
    member = await enrol(concierge, 1)  # on Telegram; booked on WhatsApp; never said "service"
    booked = await book(concierge, member, TUESDAY_10, channel="whatsapp")
    stopping = await enrol(concierge, 2)
    await book(concierge, stopping, TUESDAY_10 + timedelta(hours=2))
    async with concierge.db.unit_of_work() as uow:
        row = await uow.members.get(stopping.id)
        assert row is not None
        await members.stop(uow, row, concierge.clock(), "chat:telegram:stop", "STOP",
                           channels=[Channel.TELEGRAM])  # fmt: skip
        await uow.commit()
    clock.current = datetime(2026, 11, 23, 11, 5, tzinfo=UTC)  # a day before both

    async with concierge.db.unit_of_work() as uow:
        assert await appointments.reminders(uow, concierge.program, concierge.clock()) == 1
        await uow.commit()
        [row] = (await uow.session.scalars(select(OutboxMessage))).all()

    assert (row.member_id, row.channel, row.address, row.basis) == (
        member.id, "whatsapp", member.phone, f"requested: appointment {booked.id}",
    )  # fmt: skip


async def test_a_moved_booking_is_reminded_of_its_new_time(
    concierge: Concierge, clock: Clock
) -> None:
    await anna(concierge)
    member = await enrol(concierge, 1)
    booked = await book(concierge, member, TUESDAY_10)
    clock.current = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)  # a day before

    async def tick() -> int:
        async with concierge.db.unit_of_work() as uow:
            queued = await appointments.reminders(uow, concierge.program, concierge.clock())
            await uow.commit()
            return queued

    assert await tick() == 1
    async with concierge.db.unit_of_work() as uow:
        row = await uow.appointments.get(booked.id)
        assert row is not None
        await appointments.move(
            uow, concierge.program, row, TUESDAY_10 + timedelta(days=1), concierge.clock()
        )
        await uow.commit()
    clock.current = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
    assert await tick() == 1  # the new time's day-before reminder


async def test_a_closure_over_bookings_is_refused_or_cancels_them_telling_each_member(
    concierge: Concierge, clock: Clock
) -> None:
    await anna(concierge)
    giulia = await enrol(concierge, 1)
    camille = await enrol(concierge, 2)
    async with concierge.db.unit_of_work() as uow:
        row = await uow.members.get(camille.id)
        assert row is not None
        row.locale = "fr"
        await uow.commit()
    first = await book(concierge, giulia, TUESDAY_10)
    second = await book(concierge, camille, TUESDAY_10 + timedelta(hours=2), channel="whatsapp")
    other_day = await book(concierge, giulia, TUESDAY_10 + timedelta(days=1))
    tuesday = date(2026, 11, 24)

    async with concierge.db.unit_of_work() as uow:
        with pytest.raises(schedules.BookedThatDay) as refused:
            await schedules.close(uow, concierge.program, tuesday, "inventory", clock())
    assert str(refused.value) == (
        f"2026-11-24 has 2 booked appointment(s): {first.id} at 10:00 (resize, "
        f"{members.member_number(giulia.id)}), {second.id} at 12:00 (resize, "
        f"{members.member_number(camille.id)}); nothing changed"
    )
    async with concierge.db.unit_of_work() as uow:
        assert await schedules.closures(uow) == []
        assert await uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    clock.current = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # past the quiet hours
    async with concierge.db.unit_of_work() as uow:
        closed = await schedules.close(
            uow, concierge.program, tuesday, "inventory", clock(), cancel_bookings=True
        )
        await uow.commit()
    assert ([b.id for b in closed.cancelled], closed.told) == ([first.id, second.id], 2)
    async with concierge.db.unit_of_work() as uow:
        statuses = {r.id: r.status for r in await uow.session.scalars(select(Appointment))}
        news = list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        said = [await prepare(uow, concierge.program, r, clock(), Report()) for r in news]
    assert statuses == {first.id: "cancelled", second.id: "cancelled", other_day.id: "booked"}
    assert [(r.kind, r.channel, r.basis) for r in news] == [
        ("appointment_cancelled", "telegram", f"requested: appointment {first.id}"),
        ("appointment_cancelled", "whatsapp", f"requested: appointment {second.id}"),
    ]
    assert [s.text.splitlines()[1] if s else None for s in said] == [
        "We are sorry: the store is closed on the day of your appointment, Ring resizing, "
        "Tue, Nov 24 at 10:00\u202fAM, so it is cancelled. To choose another time, write "
        '"appointment".',
        "Nous sommes désolés : la boutique sera fermée le jour de votre rendez-vous, "
        "Mise à taille, le mar. 24 nov. à 12:00 ; il est donc annulé. Pour choisir "
        "un autre moment, écrivez « rendez-vous ».",
    ]
    assert [slot.date() for slot in await free(concierge)] == [tuesday + timedelta(1)] * 4
