"""An experience taken in the chat, end to end on Telegram and WhatsApp (faked at the wire):
its day and time chosen as for an appointment, a Yes holding the points and booking the
time at once (pressed twice: once), shown in My vouchers and by `concierge rewards
vouchers` with its time rather than a code, and cancelled as an appointment: the points
back once. A time taken meanwhile, or points gone, take nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.bootstrap import Concierge
from loyalty.rewards import Status
from services import appointments, members
from services.wording import speaker_for
from tests.channel.conftest import Telegram
from tests.channel.test_rewards_chat import Phone, Seen, balance, giulia, till, vouchers
from tests.channel.twilio import WhatsApp
from tests.conftest import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # Monday: no time on notice's edge


@pytest.fixture(params=["telegram", "whatsapp"])
def app(request: pytest.FixtureRequest) -> Telegram | WhatsApp:
    found: Telegram | WhatsApp = request.getfixturevalue(request.param)
    return found


async def ambassador(concierge: Concierge, points: int = 3000) -> int:
    """Giulia, in the invite-only tier the private viewing is for; Anna shows it, Tuesday to
    Saturday 10:00 to 18:00."""
    member_id = await giulia(concierge, points)
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        await members.set_invited_tier(uow, found, "ambassador", now, concierge.program)
        anna = await uow.staff.add(6660001, "Anna Bianchi", "concierge", now)
        for weekday in range(1, 6):
            await uow.schedules.set_hours(anna.id, weekday, time(10), time(18))
        await uow.commit()
    return member_id


async def first_free(concierge: Concierge) -> datetime:
    async with concierge.db.unit_of_work() as uow:
        found = await appointments.slots(
            uow, concierge.program, "private_viewing", concierge.clock(), limit=1
        )
    return found[0].start


def when(concierge: Concierge, start: datetime) -> str:
    return speaker_for("en", None, concierge.program).day_and_time(start)


async def asked(phone: Phone, concierge: Concierge) -> Seen:
    """From the Rewards menu to the question that takes the first free time."""
    listed = await phone.say("rewards")
    assert "• A private viewing · 2,500 points" in listed.text
    days = await phone.press(listed.choose("A private viewing"))
    assert "Which day would suit you for A private viewing?" in days.text
    start = await first_free(concierge)
    day = speaker_for("en", None, concierge.program).day(start)
    times = await phone.press(days.choose(day))
    assert "Free times on" in times.text
    question = await phone.press(
        times.choose(speaker_for("en", None, concierge.program).time(start))
    )
    assert (
        f"Take A private viewing for 2,500 points, on {when(concierge, start)} (your time)?"
        in question.text
    )
    return question


async def test_an_experience_is_booked_with_its_points_held_and_cancelled_as_an_appointment(
    app: Telegram | WhatsApp,
    concierge: Concierge,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    member_id = await ambassador(concierge)
    phone = Phone(app)
    start = await first_free(concierge)
    question = await asked(phone, concierge)
    assert await vouchers(concierge, member_id) == []  # nothing taken before the Yes

    done = await phone.press(question.choose("Yes"))

    assert "Done: your points are held for it.\nV00001 · A private viewing" in done.text
    at = when(concierge, start)
    assert f"Booked: Private viewing, {at}. We look forward to seeing you." in done.text
    assert done.qr is None  # an experience has its time, not a code
    assert await balance(concierge, member_id) == 500
    assert await vouchers(concierge, member_id) == [("V00001", "private_viewing", Status.HELD)]
    async with concierge.db.unit_of_work() as uow:
        [booked] = await appointments.upcoming(uow, member_id, concierge.clock())
    assert (booked.service, booked.starts_at) == ("private_viewing", start)
    if isinstance(app, Telegram):  # the same Yes pressed again takes nothing more
        twice = await phone.press(question.choose("Yes"))
        assert "This was answered already: nothing more was taken." in twice.text
        assert await balance(concierge, member_id) == 500

    mine = await phone.say("my vouchers")
    assert f"• V00001 · A private viewing · {at} (your time)" in mine.text
    assert "Show V00001" not in mine.labels and mine.qr is None
    listed = await till(monkeypatch, tmp_path, concierge, "rewards", "vouchers", "+393471234567")
    assert listed.exit_code == 0, listed.output
    local = start.astimezone(concierge.program.club.zone).strftime("%Y-%m-%d %H:%M")
    assert f"  appointment {booked.id} · {local} (Europe/Rome)" in listed.output
    assert "RWD1:" not in listed.output

    shown = await phone.press(mine.choose("Change or cancel V00001"))
    cancelled = await phone.press(shown.choose("Cancel it"))

    assert "Your appointment is cancelled. Thank you for telling us." in cancelled.text
    assert "V00001 is cancelled: its 2,500 points are back on your card." in cancelled.text
    assert await balance(concierge, member_id) == 3000
    assert await vouchers(concierge, member_id) == [
        ("V00001", "private_viewing", Status.CANCELLED)
    ]
    if isinstance(app, Telegram):  # pressed again: nothing more comes back
        again = await phone.press(f"cx:{booked.id}")
        assert "This appointment is no longer booked." in again.text
        assert await balance(concierge, member_id) == 3000
    mine = await phone.say("my vouchers")
    assert "• V00001 · A private viewing · cancelled on" in mine.text


async def test_a_time_taken_meanwhile_or_points_gone_take_nothing(
    app: Telegram | WhatsApp, concierge: Concierge
) -> None:
    member_id = await ambassador(concierge)
    phone = Phone(app)
    start = await first_free(concierge)
    question = await asked(phone, concierge)
    now, program = concierge.clock(), concierge.program
    async with concierge.db.unit_of_work() as uow:  # someone else books that time meanwhile
        other = await members.add(uow, program, now, "+393479999999", locale="en")
        await members.set_invited_tier(uow, other, "ambassador", now, program)
        await appointments.book(uow, program, other, "private_viewing", start, now)
        await uow.commit()

    gone = await phone.press(question.choose("Yes"))

    assert "That time was just taken. Here are the next free times:" in gone.text
    assert await vouchers(concierge, member_id) == []
    assert await balance(concierge, member_id) == 3000
    async with concierge.db.unit_of_work() as uow:
        assert await appointments.upcoming(uow, member_id, now) == []
    question = await asked(phone, concierge)
    async with concierge.db.unit_of_work() as uow:  # points spent meanwhile, at the till
        found = await uow.members.get(member_id)
        assert found is not None
        await members.adjust(uow, found, -1000, "spent", "staff", now, program)
        await uow.commit()

    short = await phone.press(question.choose("Yes"))

    assert "Not enough points for this reward: you have 2,000, it needs 2,500." in short.text
    assert await vouchers(concierge, member_id) == []
    assert await balance(concierge, member_id) == 2000


async def test_a_rewards_list_from_before_leads_an_experience_to_its_time(
    telegram: Telegram, concierge: Concierge
) -> None:
    """A list shown before experiences booked themselves offered `reward:<key>` for them:
    its Yes leads to the days, and nothing is taken until a time is."""
    member_id = await ambassador(concierge)
    phone = Phone(telegram)
    asked = await phone.press("reward:private_viewing")
    assert "Take A private viewing for 2,500 points?" in asked.text
    days = await phone.press(asked.choose("Yes"))
    assert "Which day would suit you for A private viewing?" in days.text
    assert await vouchers(concierge, member_id) == []
    assert await balance(concierge, member_id) == 3000
