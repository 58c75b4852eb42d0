"""Erasure on a real database (SQLite and PostgreSQL): a member with everything the club can
hold about a person; the export holds all of it, and after erasure no column of any table
(walked from the metadata, so a table added later is walked too) names them, while the
ledger's sums, the waitlist and the freed booking time are as the books and others need."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from bot.settings import Settings
from loyalty.consent import Channel, Purpose
from loyalty.program import Program
from services import appointments, desk, events, handoffs, hosting, members, privacy
from services.desk import tell_staff
from services.purchases import ingest
from services.reviews import settle_all
from storage.conversations import Saved
from storage.database import Database
from storage.models import Base, Rsvp
from tests.conftest import Clock
from tests.factories import purchase

# Distinctive values, so that finding one anywhere means it survived.
NAME = "Ottavia Quercetti"
PHONE = "+393479876543"
EMAIL = "ottavia.quercetti@example.org"
BIRTHDAY = "1987-03-19"
WEDDING = "1999-07-23"
TELEGRAM = "7355608123"
NOTE = "engagement ring Zaffiro-7731, size 52 to 50"
PAST_NOTE = "clasp repair Qx-5512"
PHOTO = "tg:AgACAgQ-ottavia-ring-photo"
TRANSCRIPT = "my mother's heirloom sapphire Kv-9034"
TRANSCRIPT_PHOTO = "tg:AgACAgQ-ottavia-heirloom"
STAFF_NOTE = "prefers white gold Wg-2290"
RECENT = "do you resize heirlooms Rz-6608"
DRAFT = "a draft note Df-4417"
REDEEM_NOTE = "cleaning for Quercetti Cl-3355"
RECEIVED = "arriving late today Lt-8821"
SENTINELS = (
    NAME, PHONE, PHONE.removeprefix("+"), EMAIL, BIRTHDAY, WEDDING, TELEGRAM, NOTE, PAST_NOTE,
    PHOTO, TRANSCRIPT, TRANSCRIPT_PHOTO, STAFF_NOTE, RECENT, DRAFT, REDEEM_NOTE, RECEIVED,
)  # fmt: skip
TOKEN = "link-token-Tk-1187"  # secret, never exported; gone after erasure all the same
LUCA_PHONE = "+393470001111"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # Tuesday 09:00 in Rome


@dataclass(frozen=True)
class Everything:
    """What the tests look for afterwards."""

    member_id: int
    luca_id: int
    event_id: int
    booking_id: int
    booking_start: datetime
    balance: int


async def everything(concierge: Concierge) -> Everything:
    """Ottavia, with all the club can hold about a person; Luca waits for her seat."""
    program, now = concierge.program, concierge.clock()
    week_ago = now - timedelta(days=7)
    await ingest(
        concierge.db.unit_of_work,
        [purchase(week_ago, "1800.00", phone=PHONE, name=NAME, category="bespoke")],
        "pos", week_ago, program,
    )  # fmt: skip
    async with concierge.db.unit_of_work() as uow:
        member = await members.find(uow, PHONE, program)
        member.email, member.birthday_year = EMAIL, 1987
        member.birthday_month, member.birthday_day = 3, 19
        await members.add_anniversary(uow, member, "wedding", WEDDING, program)
        await uow.identities.link(member.id, "telegram", TELEGRAM, "it", week_ago)
        await uow.identities.link(member.id, "whatsapp", PHONE, "it", week_ago)
        for channel in Channel:
            await members.set_consent(
                uow, member, Purpose.SERVICE, channel, True, week_ago, "chat", "v1"
            )
        await members.set_consent(
            uow, member, Purpose.BIRTHDAY, Channel.WHATSAPP, True, week_ago, "chat", "v1"
        )
        await members.redeem(uow, member, 300, "redeem-1", REDEEM_NOTE, week_ago, program)
        await members.invite(uow, member, TOKEN, week_ago)
        await uow.conversations.save(
            "telegram", TELEGRAM, Saved("appt:note", {"note": DRAFT}, recent=[["member", RECENT]]),
            now + timedelta(hours=24),
        )  # fmt: skip
        anna = await uow.staff.add(6660001, "Anna Bianchi", "concierge", week_ago)
        for weekday in range(1, 6):
            await uow.schedules.set_hours(anna.id, weekday, time(10), time(18))
        luca = await members.add(uow, program, week_ago, LUCA_PHONE, name="Luca")
        await uow.identities.link(luca.id, "telegram", "5550002", "en", week_ago)
        await members.set_consent(
            uow, luca, Purpose.SERVICE, Channel.TELEGRAM, True, week_ago, "chat", "v1"
        )
        await uow.commit()
    async with concierge.db.unit_of_work() as uow:
        [past] = await appointments.slots(uow, program, "resize", week_ago, limit=1)
        await appointments.book(uow, program, member, "resize", past.start, week_ago, PAST_NOTE)
        [future] = await appointments.slots(uow, program, "resize", now, limit=1)
        booking = await appointments.book(
            uow, program, member, "resize", future.start, now, NOTE, PHOTO
        )
        await tell_staff(uow, program, now, booking, member, "new")  # "New booking: … Ottavia"
        show = await events.create(
            uow, program, week_ago, title="Sapphire trunk show", capacity=1,
            starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=10, hours=2),
        )  # fmt: skip
        await events.answer(uow, program, member, show.id, now, True)
        await events.answer(uow, program, luca, show.id, now, True, waitlist=True)
        talk, _ = await uow.handoffs.open(member.id, "telegram", TELEGRAM, "asked", now)
        talk.thread_id = 501
        await uow.transcripts.add(talk.id, "member", TRANSCRIPT, now, photo=TRANSCRIPT_PHOTO)
        await uow.transcripts.add(talk.id, "note", STAFF_NOTE, now, staff_id=anna.id)
        await desk.post(uow, now, talk, f"Ottavia: {TRANSCRIPT}", photo=TRANSCRIPT_PHOTO)
        await uow.outbox.add(
            now, member_id=member.id, channel="whatsapp", address=PHONE, kind="birthday",
            purpose="birthday", basis="consent: birthday", body=f"Happy birthday, {NAME}!",
            variables={"first_name": "Ottavia"}, key=f"birthday:{member.id}:2027",
        )  # fmt: skip
        await uow.outbox.add(  # a reply from before she joined: no member id, her number
            week_ago, channel="whatsapp", address=PHONE, kind="reply", body="Welcome, Ottavia",
        )  # fmt: skip
        await uow.receipts.record(
            "whatsapp", "SM0123456789abcdef0123456789abcdef",
            {"From": f"whatsapp:{PHONE}", "Body": RECEIVED, "ProfileName": NAME}, now,
        )  # fmt: skip
        balance = await uow.ledger.balance(member.id)
        await uow.commit()
    return Everything(member.id, luca.id, show.id, booking.id, booking.starts_at, balance)


def stringify(value: Any) -> str:
    """A column's value as text; JSON values (dicts, lists) all the way down."""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


async def surviving(db: Database) -> list[str]:
    """Every place a sentinel is still found: `table.column: sentinel`."""
    found = []
    async with db.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = stringify(value)
                    found += [
                        f"{table.name}.{column}: {sentinel}"
                        for sentinel in (*SENTINELS, TOKEN)
                        if sentinel in text
                    ]
    return found


async def erase(concierge: Concierge, member_id: int) -> privacy.Erasure:
    async with concierge.db.unit_of_work() as uow:
        member = await members.find(uow, members.member_number(member_id), concierge.program)
        erasure = await privacy.erase(uow, concierge.program, member, concierge.clock())
        await uow.commit()
    return erasure


async def test_the_export_holds_every_value_that_identifies_the_member(
    concierge: Concierge,
) -> None:
    made = await everything(concierge)
    async with concierge.db.unit_of_work() as uow:
        member = await members.find(uow, PHONE, concierge.program)
        exported = await privacy.export(uow, member)
    text = json.dumps(exported, ensure_ascii=False)

    assert [s for s in SENTINELS if s not in text] == []
    assert TOKEN not in text  # an invitation's dates, never its secret
    assert await surviving(concierge.db) != []  # the sentinels are where the walk looks
    assert made.balance == 1500
    assert [(a["status"], a["note"], a["photo"]) for a in exported["appointments"]] == [
        ("booked", PAST_NOTE, None), ("booked", NOTE, PHOTO),
    ]  # fmt: skip
    assert [(e["answer"], e["waiting_since"], e["channel"]) for e in exported["events"]] == [
        ("going", None, None)
    ]
    assert [m["basis"] for m in exported["messages"]] == ["consent: birthday", None]
    assert [p["body"].split(":")[0] for p in exported["staff_group_posts"]] == [
        "New booking", "Ottavia",
    ]  # fmt: skip
    assert exported["invitations"][0]["used_at"] is None
    assert exported["tier"]["tier"] == "gold"


async def test_after_erasure_no_table_holds_a_value_that_identifies_the_member(
    concierge: Concierge,
) -> None:
    made = await everything(concierge)

    await erase(concierge, made.member_id)

    assert await surviving(concierge.db) == []
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(made.member_id)
        assert member is not None and member.erased_at == concierge.clock()
        assert (member.birthday_month, member.birthday_day, member.birthday_year) == (None,) * 3
        assert await uow.ledger.balance(made.member_id) == made.balance  # for the books


async def test_erasure_cancels_bookings_to_come_frees_their_time_and_moves_the_waitlist(
    concierge: Concierge,
) -> None:
    made = await everything(concierge)

    erasure = await erase(concierge, made.member_id)

    assert [b.id for b in erasure.cancelled] == [made.booking_id]
    assert erasure.released == 1 and [r.member_id for r in erasure.offered] == [made.luca_id]
    async with concierge.db.unit_of_work() as uow:
        booking = await uow.appointments.get(made.booking_id)
        assert booking is not None and booking.status == appointments.CANCELLED
        [first] = await appointments.slots(
            uow, concierge.program, "resize", concierge.clock(), limit=1
        )
        assert first.start == made.booking_start  # free again
        rows = await uow.session.scalars(select(Rsvp).order_by(Rsvp.id))
        assert [(r.member_id, r.status) for r in rows] == [
            (made.member_id, "cancelled"), (made.luca_id, "offered"),
        ]  # fmt: skip
        event = await uow.events.get(made.event_id)
        assert event is not None and event.seats_taken == 1  # Luca's, held for his answer
        told = await uow.outbox.keys_like(f"{events.SEAT_OFFERED}:%")
        assert told == [f"{events.SEAT_OFFERED}:{made.event_id}:{made.luca_id}"]


async def test_erasure_queues_the_deletion_of_the_members_topic_in_a_row_holding_only_its_number(
    concierge: Concierge,
) -> None:
    made = await everything(concierge)

    erasure = await erase(concierge, made.member_id)

    async with concierge.db.unit_of_work() as uow:
        [row] = [await uow.outbox.get(row_id) for row_id in erasure.deletions]
        assert row is not None
        assert (row.channel, row.kind, row.body, row.variables, row.member_id) == (
            handoffs.CHANNEL, handoffs.DELETE, "", {"thread": "501"}, None,
        )  # fmt: skip


async def test_an_erased_member_shows_only_the_remainder_refuses_acts_and_has_no_phone(
    concierge: Concierge,
) -> None:
    made = await everything(concierge)
    number = members.member_number(made.member_id)
    await erase(concierge, made.member_id)

    async with concierge.db.unit_of_work() as uow:
        with pytest.raises(members.MemberError, match=f"^{number} was erased on 2026-11-24$"):
            await members.find(uow, number, concierge.program)
        with pytest.raises(members.MemberError, match="no member"):
            await members.find(uow, PHONE, concierge.program)
        erased = await members.look_up(uow, number, concierge.program)
        left = await privacy.remainder(uow, erased, concierge.program)
        exported = await privacy.export(uow, erased)
    assert (left.number, left.erased_on.isoformat(), left.points) == (
        number, "2026-11-24", made.balance,
    )  # fmt: skip
    assert exported["member_number"] == number and exported["points"] == made.balance
    assert exported["erased_at"] == concierge.clock().isoformat()
    assert "name" not in exported and "channels" not in exported
    assert [p["amount"] for p in exported["purchases"]] == ["1800.00"]
    assert [s for s in SENTINELS if s in json.dumps(exported)] == []


async def test_the_daily_settle_and_an_invitation_pass_an_erased_member_by(
    concierge: Concierge,
) -> None:
    made = await everything(concierge)
    await erase(concierge, made.member_id)

    await settle_all(concierge.db.unit_of_work, concierge.clock(), concierge.program)
    async with concierge.db.unit_of_work() as uow:
        invited = await hosting.invite(uow, concierge.program, made.event_id, concierge.clock())
        assert await uow.badges.for_member(made.member_id) == []
        assert await uow.tiers.current(made.member_id) is None
    assert invited.queued + invited.already + sum(invited.skipped.values()) == 1  # Luca


async def test_nothing_of_the_member_is_left_in_the_sqlite_files(
    program: Program, clock: Clock, tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "club.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    try:
        concierge = Concierge(Settings(database_url=url), program, db, clock, clock.sleep)
        made = await everything(concierge)
        await erase(concierge, made.member_id)
        assert await db.scrub()
        # read while the database is open, as it is in the web app (closing it last would
        # checkpoint and remove the log by itself)
        files = {f.name: f.read_bytes() for f in tmp_path.glob("club.db*") if f.is_file()}
    finally:
        await db.close()

    assert "club.db-wal" in files  # the log is there, emptied
    left = [f"{name}: {s}" for name, raw in files.items() for s in SENTINELS if s.encode() in raw]
    assert left == []
