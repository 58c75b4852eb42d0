"""Experiences on a real database (SQLite, then PostgreSQL): a reward that books itself.
Taken, its points are held and its service booked in one go, the two linked; a time gone
meanwhile or points short leave nothing; the booking cancelled (by the member, staff, a
closure) gives the points back once; a no-show keeps them; a booking over counts as used."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import ColumnElement, func, select

from bot.bootstrap import Concierge
from loyalty.booking import BOOKED
from loyalty.points import InsufficientPoints
from loyalty.ports import Conflict
from loyalty.records import Member
from loyalty.rewards import Status, Voucher
from scheduler.worker import vouchers_job
from services import agenda, appointments, members, rewards, schedules
from services.appointments import BookingError
from services.rewards import RewardError
from storage.models import Appointment, LedgerEntry, RewardStock
from tests.conftest import Clock

COST = 2500  # the demo club's private viewing


def key() -> str:
    return "qr-key-for-the-tests"


async def anna(concierge: Concierge) -> None:
    """Anna works Tuesday to Saturday, 10:00 to 18:00: she shows the private viewings."""
    async with concierge.db.unit_of_work() as uow:
        staff = await uow.staff.add(6660001, "Anna Bianchi", "concierge", concierge.clock())
        for weekday in range(1, 6):
            await uow.schedules.set_hours(staff.id, weekday, time(10), time(18))
        await uow.commit()


async def ambassador(concierge: Concierge, n: int, points: int = 3000) -> Member:
    """A member of the invite-only tier the private viewing is for, given `points`."""
    now, program = concierge.clock(), concierge.program
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(uow, program, now, f"+39347{n:07d}", locale="en")
        await members.set_invited_tier(uow, member, "ambassador", now, program)
        await members.adjust(uow, member, points, f"gift-{n}", "welcome", now, program)
        await uow.commit()
        return member


async def free(concierge: Concierge) -> list[datetime]:
    async with concierge.db.unit_of_work() as uow:
        found = await appointments.slots(
            uow, concierge.program, "private_viewing", concierge.clock()
        )
        return [slot.start for slot in found]


async def take(concierge: Concierge, member: Member, start: datetime) -> Voucher:
    async with concierge.db.unit_of_work() as uow:
        voucher = await rewards.take(
            uow, member, "private_viewing", concierge.clock(), concierge.program, start,
            "telegram",
        )  # fmt: skip
        await uow.commit()
        return voucher


async def balance(concierge: Concierge, member: Member) -> int:
    async with concierge.db.unit_of_work() as uow:
        return await uow.ledger.balance(member.id)


async def voucher_of(concierge: Concierge, member: Member) -> Voucher | None:
    async with concierge.db.unit_of_work() as uow:
        found = await rewards.vouchers_of(uow, member)
    assert len(found) <= 1
    return found[0] if found else None


async def booking(concierge: Concierge, appointment_id: int | None) -> Appointment:
    assert appointment_id is not None
    async with concierge.db.unit_of_work() as uow:
        found = await uow.session.get(Appointment, appointment_id)
    assert found is not None
    return found


async def counted(concierge: Concierge, what: type, *where: ColumnElement[bool]) -> int:
    async with concierge.db.unit_of_work() as uow:
        found = await uow.session.scalar(select(func.count()).select_from(what).where(*where))
    return found or 0


async def returns(concierge: Concierge) -> int:
    return await counted(concierge, LedgerEntry, LedgerEntry.key.like("return:%"))


async def stock_out(concierge: Concierge) -> int:
    async with concierge.db.unit_of_work() as uow:
        row = await uow.session.get(RewardStock, "private_viewing")
    return row.taken if row is not None else 0


async def test_taking_an_experience_books_its_time_and_holds_its_points_at_once(
    concierge: Concierge,
) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    first = (await free(concierge))[0]

    voucher = await take(concierge, member, first)

    booked = await booking(concierge, voucher.appointment_id)
    assert (booked.member_id, booked.service, booked.status) == (
        member.id, "private_viewing", BOOKED,
    )  # fmt: skip
    assert (booked.starts_at, booked.channel) == (first, "telegram")
    assert (voucher.status, voucher.points, voucher.expires_at) == (Status.HELD, COST, None)
    assert await balance(concierge, member) == 500
    assert await stock_out(concierge) == 1
    assert first not in await free(concierge)  # the time is the member's now
    async with concierge.db.unit_of_work() as uow:  # nothing to scan at the till
        code = await rewards.code(uow, voucher, key)
        with pytest.raises(RewardError, match="V00001 is an experience: used when it is over"):
            await rewards.use(uow, code, concierge.clock(), concierge.program, key)


async def test_a_time_taken_meanwhile_or_points_short_hold_nothing_and_book_nothing(
    concierge: Concierge,
) -> None:
    await anna(concierge)
    first = (await free(concierge))[0]
    other = await ambassador(concierge, 2)
    async with concierge.db.unit_of_work() as uow:
        await appointments.book(
            uow, concierge.program, other, "private_viewing", first, concierge.clock()
        )
        await uow.commit()
    member = await ambassador(concierge, 1)

    with pytest.raises(BookingError) as gone:
        await take(concierge, member, first)

    assert gone.value.code == appointments.TAKEN and gone.value.alternatives
    poor = await ambassador(concierge, 3, 2000)
    with pytest.raises(InsufficientPoints):
        await take(concierge, poor, gone.value.alternatives[0].start)
    for who, points in ((member, 3000), (poor, 2000)):
        assert await voucher_of(concierge, who) is None
        assert await balance(concierge, who) == points
        assert await counted(concierge, Appointment, Appointment.member_id == who.id) == 0
    assert await stock_out(concierge) == 0


async def test_two_members_taking_the_same_time_at_once_one_gets_it(
    concierge: Concierge,
) -> None:
    await anna(concierge)
    first = (await free(concierge))[0]
    people = [await ambassador(concierge, n) for n in (1, 2)]

    async def one(member: Member) -> str:
        for _ in range(20):  # a writer that lost a race tries again, as the chat would
            try:
                await take(concierge, member, first)
                return "taken"
            except BookingError:
                return "gone"
            except Conflict:
                continue
        raise AssertionError("never answered")

    answered = await asyncio.gather(*(one(member) for member in people))

    assert sorted(answered) == ["gone", "taken"]
    assert sorted([await balance(concierge, m) for m in people]) == [500, 3000]
    assert await counted(concierge, Appointment) == 1
    assert await stock_out(concierge) == 1


async def test_the_booking_cancelled_by_the_member_gives_the_points_back_once(
    concierge: Concierge,
) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    voucher = await take(concierge, member, (await free(concierge))[0])
    assert voucher.appointment_id is not None

    async def cancel() -> None:
        async with concierge.db.unit_of_work() as uow:
            found = await appointments.of_member(uow, member.id, voucher.appointment_id or 0)
            if found is not None:
                await appointments.cancel(uow, found, concierge.clock())
            await uow.commit()

    await cancel()
    await cancel()

    assert await balance(concierge, member) == 3000
    assert await returns(concierge) == 1
    ended = await voucher_of(concierge, member)
    assert ended is not None and ended.status is Status.CANCELLED
    assert await stock_out(concierge) == 0
    await vouchers_job(concierge)  # nothing is left to use or give back
    assert await balance(concierge, member) == 3000 and await returns(concierge) == 1


async def test_staff_cancelling_the_voucher_cancel_its_booking_and_give_the_points_back(
    concierge: Concierge,
) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    voucher = await take(concierge, member, (await free(concierge))[0])

    async with concierge.db.unit_of_work() as uow:
        ended = await rewards.cancel(uow, "V00001", concierge.clock(), concierge.program, key)
        await uow.commit()

    assert ended.status is Status.CANCELLED
    assert (await booking(concierge, voucher.appointment_id)).status == appointments.CANCELLED
    assert await balance(concierge, member) == 3000
    async with concierge.db.unit_of_work() as uow:
        with pytest.raises(RewardError, match="voucher V00001 was cancelled"):
            await rewards.cancel(uow, "V00001", concierge.clock(), concierge.program, key)
    assert await returns(concierge) == 1


async def test_a_closure_over_the_booking_gives_the_points_back(concierge: Concierge) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    voucher = await take(concierge, member, (await free(concierge))[0])
    booked = await booking(concierge, voucher.appointment_id)
    day = booked.starts_at.astimezone(concierge.program.club.zone).date()

    async with concierge.db.unit_of_work() as uow:
        closed = await schedules.close(
            uow, concierge.program, day, "inventory", concierge.clock(), cancel_bookings=True
        )
        await uow.commit()

    assert [b.id for b in closed.cancelled] == [voucher.appointment_id]
    assert await balance(concierge, member) == 3000 and await returns(concierge) == 1


async def test_moving_the_booking_keeps_the_hold(concierge: Concierge) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    first, later = (await free(concierge))[:2]
    voucher = await take(concierge, member, first)

    async with concierge.db.unit_of_work() as uow:
        found = await appointments.of_member(uow, member.id, voucher.appointment_id or 0)
        assert found is not None
        await appointments.move(uow, concierge.program, found, later, concierge.clock())
        await uow.commit()

    moved = await voucher_of(concierge, member)
    assert moved is not None and moved.status is Status.HELD
    assert moved.appointment_id == voucher.appointment_id
    assert (await booking(concierge, voucher.appointment_id)).starts_at == later
    assert await balance(concierge, member) == 500


async def test_a_no_show_keeps_the_points(concierge: Concierge, clock: Clock) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    voucher = await take(concierge, member, (await free(concierge))[0])
    booked = await booking(concierge, voucher.appointment_id)
    clock.current = booked.starts_at + timedelta(minutes=20)

    async with concierge.db.unit_of_work() as uow:
        await agenda.no_show(uow, booked.id, clock())
        await uow.commit()
    await vouchers_job(concierge)

    ended = await voucher_of(concierge, member)
    assert ended is not None and ended.status is Status.USED
    assert await balance(concierge, member) == 500 and await returns(concierge) == 0


async def test_a_booking_over_counts_its_experience_as_used(
    concierge: Concierge, clock: Clock
) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    voucher = await take(concierge, member, (await free(concierge))[0])
    booked = await booking(concierge, voucher.appointment_id)
    clock.current = booked.ends_at - timedelta(minutes=1)
    await vouchers_job(concierge)
    still = await voucher_of(concierge, member)
    assert still is not None and still.status is Status.HELD  # not over yet

    clock.current = booked.ends_at
    await vouchers_job(concierge)
    await vouchers_job(concierge)  # a second run changes nothing

    used = await voucher_of(concierge, member)
    assert used is not None and (used.status, used.ended_at) == (Status.USED, booked.ends_at)
    assert await balance(concierge, member) == 500 and await returns(concierge) == 0
    assert await stock_out(concierge) == 1


async def test_an_experience_is_taken_with_its_time_and_a_voucher_without(
    concierge: Concierge,
) -> None:
    await anna(concierge)
    member = await ambassador(concierge, 1)
    first = (await free(concierge))[0]
    async with concierge.db.unit_of_work() as uow:
        now, program = concierge.clock(), concierge.program
        with pytest.raises(RewardError, match="an experience is taken with its time"):
            await rewards.take(uow, member, "private_viewing", now, program)
        with pytest.raises(RewardError, match="an experience is taken with its time"):
            await rewards.take(uow, member, "cleaning", now, program, first)
    assert await voucher_of(concierge, member) is None
    assert await balance(concierge, member) == 3000
