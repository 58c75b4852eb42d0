"""Fourteen months of the demo club, for the back office's pages and charts to show a club
that has lived: members joining, buying and coming back, tiers and badges earned, previews
with their answers, waitlists and check-ins, appointments kept, missed and cancelled, a
closure, conversations with staff, messages delivered, read or refused, a few STOPs.

Everything is written through the services, each step at its own moment of the past (the
services take the time they are told), in the order it happened; the same clock and seed
give the same club."""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bot import demo_messages, demo_people
from bot.bootstrap import Concierge
from bot.demo_people import SPAN, Person, people
from loyalty.consent import Channel, Purpose
from loyalty.hours import Opening
from loyalty.purchases import PurchaseInput
from loyalty.stores import UnitOfWork
from services import (
    agenda,
    appointments,
    events,
    hosting,
    members,
    reviews,
    schedules,
    staff,
)
from services.purchases import ingest

INTAKE = timedelta(days=7)  # purchases come in each week, as from a till's export
TEAM = [  # (Telegram user id, name, weekdays worked from Monday = 0); Anna is the demo's
    (100_000_002, "Luca Ferri", (1, 2, 3, 4)),
    (100_000_003, "Sofia Marchetti", (2, 3, 4, 5)),
]
EVENTS = [  # (days before now, title, capacity, tiers it is open to)
    (330, "Spring high-jewellery preview", 30, []),
    (240, "Pearls by the sea: trunk show", 24, []),
    (150, "Gold and platinum private evening", 16, ["gold", "platinum"]),
    (45, "Holiday collection preview", 40, []),
    (-12, "Sapphire atelier evening", 30, []),  # still to come
]
SERVICES = ["design_consultation", "resize", "stone_matching"]


@dataclass
class Seeded:
    """What the history added, by kind: two seeds of the same moment give the same."""

    counts: Counter[str] = field(default_factory=Counter)


Step = tuple[datetime, int, Callable[[UnitOfWork], Awaitable[None]]]


class History:
    """The club's past, told step by step in time order; purchases are taken in weekly,
    before the step that finds them a week old (tiers, badges and segments are then about as
    they were at that moment)."""

    def __init__(self, app: Concierge, crowd: list[Person], seed: int) -> None:
        self.app, self.program, self.now = app, app.program, app.clock()
        self.rng = random.Random(seed + 1)  # another stream than the one that drew the people
        self.crowd = crowd
        self.buys = sorted((b for p in crowd for b in p.buys), key=lambda b: b.purchased_at)
        self.steps: list[Step] = []  # a heap: the soonest first, then in the order planned
        self.counter = itertools.count()
        self.seeded = Seeded()

    def at(self, when: datetime, work: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        heapq.heappush(self.steps, (when, next(self.counter), work))

    def buy_later(self, buy: PurchaseInput) -> None:
        bisect.insort(self.buys, buy, key=lambda b: b.purchased_at)

    async def run(self) -> Seeded:
        while self.steps:  # a step may plan others (a cancellation, a purchase after)
            when, _, work = heapq.heappop(self.steps)
            if self.buys and when - self.buys[0].purchased_at >= INTAKE:
                await self._take_in(when)
            async with self.app.db.unit_of_work() as uow:
                await work(uow)
                await uow.commit()
        await self._take_in(self.now)
        return self.seeded

    async def _take_in(self, until: datetime) -> None:
        cut = bisect.bisect_right([b.purchased_at for b in self.buys], until)
        if cut:
            batch, self.buys = self.buys[:cut], self.buys[cut:]
            await ingest(self.app.db.unit_of_work, batch, "demo", until, self.program)
            self.seeded.counts["purchases"] += len(batch)

    def member(self, uow: UnitOfWork, person: Person) -> Awaitable[members.Member]:
        return members.find(uow, person.phone, self.program)


async def _enrol(history: History) -> None:
    """The members, each joined on their day, with their chats and what they agreed to."""
    program = history.program
    async with history.app.db.unit_of_work() as uow:
        for person in history.crowd:
            member = await members.add(
                uow, program, person.joined, person.phone, name=person.name,
                birthday=person.birthday, timezone=person.zone, locale=person.locale,
            )  # fmt: skip
            channel = Channel.WHATSAPP
            if person.telegram is not None:  # they chat on Telegram, and hear from us there
                address = str(person.telegram)
                await members.link(uow, member, "telegram", address, person.locale, person.joined)
                channel = Channel.TELEGRAM
                members.set_profile(member, program, preferred_channel=channel)
            for purpose in (Purpose.BIRTHDAY, Purpose.EVENTS) if person.consents else ():
                await members.set_consent(
                    uow, member, purpose, channel, True, person.joined, "till", "demo history"
                )
        for user_id, name, days in TEAM:
            if user_id not in {s.telegram_user_id for s in await staff.roster(uow)}:
                await staff.register(uow, user_id, name, "concierge", history.now - SPAN)
            for weekday in days:
                await schedules.set_hours(uow, str(user_id), weekday, Opening(time(10), time(18)))
        await uow.commit()
    history.seeded.counts["members"] += len(history.crowd)


def _reviews(history: History) -> None:
    """The monthly review the worker does, from the first member's joining: tiers kept,
    raised or dropped (a dormant member's, a window and a grace after they bought), badges
    given."""
    when = min(person.joined for person in history.crowd) + timedelta(days=30)
    while when < history.now:

        async def review(uow: UnitOfWork, when: datetime = when) -> None:
            await reviews.settle_all(history.app.db.unit_of_work, when, history.program)

        history.at(when, review)
        when += timedelta(days=30)


def _evening(history: History, days_before: int) -> datetime:
    day = (history.now - timedelta(days=days_before)).astimezone(history.program.club.zone)
    return day.replace(hour=18, minute=30, second=0, microsecond=0)


def _events(history: History) -> None:
    """Each preview: made and invited three weeks before; answers over the next weeks (a
    seat, no thanks, the waitlist once full); check-ins at the door; purchases after."""
    rng, program = history.rng, history.program
    for days_before, title, capacity, tiers in EVENTS:
        starts = _evening(history, days_before)
        made = min(starts - timedelta(days=21), history.now - timedelta(days=5))
        ids: list[int] = []

        async def create(uow: UnitOfWork, title: str = title, starts: datetime = starts,
                         made: datetime = made, capacity: int = capacity,
                         tiers: list[str] = tiers, ids: list[int] = ids) -> None:  # fmt: skip
            event = await events.create(
                uow, program, made, title=title, starts_at=starts,
                ends_at=starts + timedelta(hours=3), capacity=capacity, plus_ones=1,
                tiers=tiers, place="Milano Brera, the salon upstairs",
                description="An evening with the atelier's designers.",
            )  # fmt: skip
            ids.append(event.id)
            invited = await hosting.invite(uow, program, event.id, made)
            history.seeded.counts["events"] += 1
            history.seeded.counts["invitations"] += invited.queued

        history.at(made, create)
        latest = min(starts - timedelta(days=1), history.now - timedelta(hours=1))
        room = (latest - made - timedelta(days=3)).total_seconds()
        going: list[Person] = []
        for person in history.crowd:
            if not person.consents or person.joined > made or rng.random() > 0.4:
                continue
            when = made + timedelta(days=3, seconds=rng.uniform(0, room))
            yes, guests = rng.random() < 0.75, int(rng.random() < 0.3)
            history.at(when, _answer(history, person, ids, when, yes, guests, going))
        if starts < history.now:
            history.at(starts + timedelta(minutes=40), _door(history, ids, starts, going))


def _answer(
    history: History, person: Person, ids: list[int], when: datetime, yes: bool, guests: int,
    going: list[Person],
) -> Callable[[UnitOfWork], Awaitable[None]]:  # fmt: skip
    async def answer(uow: UnitOfWork) -> None:
        member = await history.member(uow, person)
        try:
            said = await events.answer(
                uow, history.program, member, ids[0], when, yes, guests, waitlist=True,
                channel=Channel.TELEGRAM if person.telegram else Channel.WHATSAPP,
            )  # fmt: skip
        except events.EventError:  # not open to them, or not yet: they did not answer
            return
        history.seeded.counts[f"rsvp {said.status}"] += 1
        if said.status == "going":
            going.append(person)

    return answer


def _door(
    history: History, ids: list[int], starts: datetime, going: list[Person]
) -> Callable[[UnitOfWork], Awaitable[None]]:
    """Most of those coming came; some of them bought within the next weeks."""
    rng = history.rng

    async def door(uow: UnitOfWork) -> None:
        for person in going:
            if rng.random() < 0.2:
                continue
            member = await history.member(uow, person)
            await hosting.admit(uow, history.program, ids[0], member, starts + timedelta(hours=1))
            history.seeded.counts["check-ins"] += 1
            after = starts + timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 5))
            if rng.random() < 0.4 and after < history.now:
                order = f"EVT-{ids[0]}-{person.phone[-7:]}"
                category = rng.choice(["necklace", "earrings", "bracelet"])
                history.buy_later(PurchaseInput(
                    order, person.phone, Decimal(rng.choice([480, 920, 1450, 2300])),
                    "EUR", after, category=category, store="Milano Brera",
                ))  # fmt: skip

    return door


def _appointments(history: History) -> None:
    """Some every month (about one a week for 150 members) and some to come, with the staff
    free then; every ninth cancelled by the member, every seventh missed."""
    rng = history.rng
    past = max(12, len(history.crowd) * 2 // 5)
    every = (SPAN - timedelta(days=25)) / past
    wanted = [history.now - SPAN + timedelta(days=20) + every * n for n in range(past)]
    wanted += [history.now + timedelta(days=rng.randint(1, 20)) for _ in range(past // 5)]
    for number, desired in enumerate(wanted):
        desired = desired.replace(hour=rng.randint(8, 14), minute=0, second=0, microsecond=0)
        booked = min(desired - timedelta(days=rng.randint(2, 9)), history.now - timedelta(hours=2))
        joined = [p for p in history.crowd if p.joined < booked and p.buys]
        if joined:
            person, key = rng.choice(joined), rng.choice(SERVICES)
            history.at(booked, _book(history, person, key, desired, booked, number))


def _book(
    history: History, person: Person, key: str, desired: datetime, booked: datetime,
    number: int,
) -> Callable[[UnitOfWork], Awaitable[None]]:  # fmt: skip
    async def book(uow: UnitOfWork) -> None:
        program = history.program
        member = await history.member(uow, person)
        free = await appointments.slots(uow, program, key, booked, after=desired, limit=6)
        if not free:
            return
        slot = free[number % len(free)]  # one of the staff free then
        row = await appointments.book(
            uow, program, member, key, slot.start, booked, channel=Channel.WHATSAPP
        )
        history.seeded.counts["appointments"] += 1
        if number % 9 == 4:  # the member cancelled the next day
            cancelled = min(booked + timedelta(days=1), slot.start - timedelta(hours=1))
            history.at(cancelled, _ended(history, person, row.id, cancelled, "cancelled"))
        elif number % 7 == 5 and slot.start < history.now:
            missed = slot.start + timedelta(minutes=30)
            history.at(missed, _ended(history, person, row.id, missed, "no_show"))

    return book


def _ended(
    history: History, person: Person, appointment_id: int, when: datetime, how: str
) -> Callable[[UnitOfWork], Awaitable[None]]:
    async def ended(uow: UnitOfWork) -> None:
        if how == "no_show":
            await agenda.no_show(uow, appointment_id, when)
        else:
            member = await history.member(uow, person)
            row = await appointments.of_member(uow, member.id, appointment_id)
            if row is None:
                return
            await appointments.cancel(uow, row, when)
        history.seeded.counts[f"appointment {how}"] += 1

    return ended


def _closure(history: History) -> None:
    """The store closes a day next week for its inventory: what was booked is cancelled
    and each member told."""
    zone = history.program.club.zone
    day = (history.now + timedelta(days=8)).astimezone(zone).date()
    while day.weekday() not in (2, 3):  # a Wednesday or Thursday
        day += timedelta(days=1)
    when = history.now - timedelta(days=1)

    async def close(uow: UnitOfWork, day: date = day) -> None:
        person = next((p for p in history.crowd if p.buys and p.joined < when), None)
        eleven = datetime.combine(day, time(11), zone)
        free = await appointments.slots(uow, history.program, "resize", when, after=eleven)
        if person is not None and free and free[0].start.date() == day:
            member = await history.member(uow, person)
            await appointments.book(uow, history.program, member, "resize", free[0].start, when)
        closed = await schedules.close(
            uow, history.program, day, "Inventory day", when, cancel_bookings=True
        )
        history.seeded.counts["closures"] += 1
        history.seeded.counts["bookings cancelled by the closure"] += len(closed.cancelled)

    history.at(when, close)


async def seed_history(
    app: Concierge, seed: int = demo_people.SEED, count: int | None = None
) -> Seeded:
    """Write the club's last fourteen months, `count` members (default: about 150), into a
    database holding the demo club (see bot/demo.py), as of `app.clock()`."""
    history = History(app, people(app.clock(), seed, count or demo_people.MEMBERS), seed)
    await _enrol(history)
    for plan in (_reviews, _events, _appointments, _closure, *demo_messages.PLANS):
        plan(history)
    return await history.run()
