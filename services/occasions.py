"""The occasion scan: who is written to for a birthday or an anniversary, on which channel.

`plan` is the dry run (`concierge occasions preview`); `queue` writes what `plan` found to
the outbox, each message under its idempotency key, with the birthday gift in the same
transaction, so running it twice queues nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty.consent import Channel, current
from loyalty.occasions import BIRTHDAY, Occasion, allowed_at, month_days, occasions_on
from loyalty.points import gift_entry
from loyalty.program import Program
from loyalty.reach import addresses, reach
from loyalty.records import Member
from loyalty.stores import UnitOfWork

QUEUED = "already queued"


@dataclass(frozen=True)
class Planned:
    occasion: Occasion
    member: Member
    channel: Channel | None  # None: not sent, `skip` says why
    address: str | None
    due: datetime  # the occasion's send hour, moved out of the quiet hours
    skip: str | None = None


def _local_days(day: date | None, now: datetime) -> list[date]:
    """The days to look up: `day`, or every date it is somewhere on Earth right now."""
    if day is not None:
        return [day]
    return sorted({(now + timedelta(hours=h)).date() for h in (-12, 0, 14)})


async def plan(
    uow: UnitOfWork, program: Program, now: datetime, day: date | None = None
) -> list[Planned]:
    """The occasions of `day` in each member's own zone (default: today there)."""
    pairs = sorted({pair for local in _local_days(day, now) for pair in month_days(local)})
    dates = await uow.occasion_dates.on(pairs)
    members = await uow.members.many(list(dates))
    histories = await uow.consents.histories(list(members))
    identities = await uow.identities.of_members(list(members))
    settings = program.occasions
    found: list[tuple[Occasion, Member, ZoneInfo]] = []
    for member_id, member in members.items():
        zone = ZoneInfo(member.timezone) if member.timezone else program.club.zone
        local = day or now.astimezone(zone).date()
        for occasion in occasions_on(local, member_id, zone, dates[member_id], settings.send_hour):
            found.append((occasion, member, zone))
    queued = await uow.outbox.existing([occasion.key for occasion, _, _ in found])
    planned = []
    for occasion, member, zone in found:
        due = allowed_at(occasion.due, zone, settings.quiet)
        standing = current(histories.get(member.id, []))
        chats = addresses(member.phone, identities.get(member.id, []))
        channel, skip = reach(member.preferred_channel, standing, chats, occasion.purpose)
        if occasion.key in queued:
            skip = QUEUED
        address = chats.get(channel) if channel is not None and skip is None else None
        planned.append(Planned(occasion, member, None if skip else channel, address, due, skip))
    return sorted(planned, key=lambda p: (p.due, p.member.id, p.occasion.kind))


async def queue(uow: UnitOfWork, program: Program, now: datetime, planned: list[Planned]) -> int:
    """Write the planned messages (and birthday gifts) to the outbox; returns how many.

    In bulk: the messages whose key is new are added, and only those earn the gift.
    """
    going = [p for p in planned if p.skip is None and p.channel and p.address]
    added = await uow.outbox.add_many_once(
        now,
        [
            {
                "key": p.occasion.key, "member_id": p.member.id, "channel": p.channel,
                "address": p.address, "kind": p.occasion.kind, "purpose": p.occasion.purpose,
                "basis": f"consent: {p.occasion.purpose}", "due_at": p.due, "variables": {
                    "years": str(p.occasion.years or ""), "on": p.occasion.on.isoformat()
                },
            }
            for p in going
        ],
    )  # fmt: skip
    gift = program.occasions.birthday_points
    if gift:
        gifts = [
            (p.member.id, gift_entry(p.occasion.key, gift, now, BIRTHDAY))
            for p in going
            if p.occasion.kind == BIRTHDAY and p.occasion.key in added
        ]  # fmt: skip
        await uow.ledger.add_many(gifts, "occasions", now)
    return len(added)


async def scan(
    uow: UnitOfWork, program: Program, now: datetime, day: date | None = None
) -> tuple[list[Planned], int]:
    """Plan and queue in one transaction (the worker's job, `occasions run`); what was
    planned, and how many messages were added."""
    planned = await plan(uow, program, now, day)
    added = await queue(uow, program, now, planned)
    await uow.commit()
    return planned, added
