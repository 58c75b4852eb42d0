"""The demo club's history, its messages side: conversations with staff, STOPs, birthday
wishes, and what the platforms said of each message sent (see bot/demo_history.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.demo import DEMO_STAFF
from loyalty.consent import Channel
from loyalty.stores import UnitOfWork
from services import desk, handoffs, members, occasions, outbox

if TYPE_CHECKING:
    from bot.demo_history import History
    from bot.demo_people import Person

ASKED = [
    "Could I have my ring resized before Saturday?",
    "Is the emerald pendant still available?",
    "I would like to speak to someone about an engagement ring.",
    "Can you tell me if my watch is ready?",
    "Do you engrave bracelets?",
]
ANSWERS = [
    "Of course, bring it on Thursday: it will be ready by Saturday noon.",
    "Yes, we are holding it for you until Friday.",
    "With pleasure: I have booked you a design consultation, see you soon.",
]
# what became of a message: status, and how many in a hundred (the provider's codes)
FATES = {"read": 48, "delivered": 30, "sent": 12, "failed": 7, "undelivered": 3}
CODES = ["63016", "63024", "63003"]
CHANNELS = desk.MemberChannels({"telegram": frozenset(), "whatsapp": frozenset()}, 1600)

TEAM_IDS = (DEMO_STAFF, 100_000_002, 100_000_003)  # who answers: Anna, Luca, Sofia


def _conversations(history: History) -> None:
    """A member asks for a person now and then; the team answers (within minutes in opening
    hours, the next morning otherwise) and closes; the last two are still open."""
    rng = history.rng
    talkers = [p for p in history.crowd if p.buys]
    for number in range(16):
        person = rng.choice(talkers)
        asked = max(person.joined, history.now - timedelta(days=rng.randint(1, 400)))
        asked = min(asked + timedelta(hours=rng.randint(1, 10)), history.now - timedelta(hours=3))
        answered = asked + timedelta(minutes=rng.choice([4, 9, 15, 35, 80, 300, 900]))
        who = rng.choice(TEAM_IDS)
        still_open = number >= 14
        history.at(asked, _talk(history, person, asked, min(answered, history.now), who,
                                9000 + number, still_open))  # fmt: skip


def _talk(
    history: History, person: Person, asked: datetime, answered: datetime, who: int,
    thread: int, still_open: bool,
) -> Callable[[UnitOfWork], Awaitable[None]]:  # fmt: skip
    rng, program = history.rng, history.program
    question, reply = rng.choice(ASKED), rng.choice(ANSWERS)

    async def talk(uow: UnitOfWork) -> None:
        member = await history.member(uow, person)
        found = await desk.open_for(uow, "whatsapp", person.phone)
        if found is not None:  # they are talking with the team already
            return
        handoff, _ = await desk.hand_over(uow, member.id, "whatsapp", person.phone, "asked", asked)
        await desk.from_member(uow, program, asked, handoff, question, None, person.name)
        await handoffs.made_topic(uow, handoff.id, thread)
        history.seeded.counts["conversations"] += 1
        said = desk.StaffMessage(who, thread, reply)
        await desk.from_staff(uow, program, answered, said, CHANNELS)
        if not still_open:
            done = desk.StaffMessage(who, thread, "/close")
            await desk.from_staff(uow, program, answered + timedelta(minutes=20), done, CHANNELS)

    return talk


def _stops(history: History) -> None:
    """A few members wrote STOP on WhatsApp: nothing more is sent to them there."""
    rng = history.rng
    agreed = [p for p in history.crowd if p.consents]
    for person in rng.sample(agreed, min(7, len(agreed))):
        when = person.joined + (history.now - person.joined) * rng.uniform(0.3, 0.95)

        async def stop(uow: UnitOfWork, person: Person = person, when: datetime = when) -> None:
            member = await history.member(uow, person)
            await members.stop(
                uow, member, when, "chat:whatsapp:stop", "STOP", channels=[Channel.WHATSAPP]
            )
            history.seeded.counts["opt-outs"] += 1

        history.at(when, stop)


def _birthdays(history: History) -> None:
    """The worker's daily look for birthdays, over the last two months, on the days someone
    has one."""
    zone = history.program.club.zone
    days = {person.birthday for person in history.crowd}
    for before in range(60, 0, -1):
        when = (history.now - timedelta(days=before)).replace(minute=0, second=0, microsecond=0)
        if when.astimezone(zone).strftime("%m-%d") not in days:
            continue

        async def scan(uow: UnitOfWork, when: datetime = when) -> None:
            _, added = await occasions.scan(uow, history.program, when)
            history.seeded.counts["birthday messages"] += added

        history.at(when, scan)


def _fates(history: History) -> None:
    """Every week, what the platforms said of the messages sent since: most delivered
    or read, some refused; the last day's are still on their way."""
    rng = history.rng
    for days in range(425, 1, -7):
        when = history.now - timedelta(days=days)

        async def report(uow: UnitOfWork, when: datetime = when) -> None:
            for row in await outbox.latest(uow, 10_000, "pending"):
                fate = rng.choices(list(FATES), list(FATES.values()))[0]
                fate = "sent" if row.channel == "staff" else fate
                code = rng.choice(CODES) if fate in ("failed", "undelivered") else None
                later = when + timedelta(minutes=rng.randint(1, 90))
                await outbox.reported(uow, row.id, fate, later, code)
                history.seeded.counts[f"message {fate}"] += 1

        history.at(when, report)


PLANS = (_conversations, _stops, _birthdays, _fates)
