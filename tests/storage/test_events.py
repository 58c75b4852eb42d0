"""Events on a real database (SQLite and PostgreSQL): seats, waitlist, priority, reminders,
cancellation, check-in and the report."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from loyalty.consent import Channel, Purpose
from loyalty.events import CANCELLED, GOING, OFFERED, WAITING
from loyalty.ports import Conflict
from loyalty.program import EventRules, Program
from services import events, hosting, members, privacy
from services.events import EventError
from services.purchases import ingest
from storage.models import Member, OutboxMessage
from tests.factories import purchase


@pytest.fixture
def concierge(concierge: Concierge) -> Concierge:
    """The demo club without its tier priority (one test puts it back)."""
    return replace(
        concierge, program=concierge.program.model_copy(update={"events": EventRules()})
    )


async def enrol(concierge: Concierge, n: int, *, tier: str | None = None) -> Member:
    """Member n (+39347100000n), reachable on Telegram, agreeing to hear of events there."""
    now = concierge.clock()
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, now, f"+39347100{n:04d}", name=f"Member {n}", locale="en"
        )
        await members.set_consent(
            uow, member, Purpose.EVENTS, Channel.TELEGRAM, True, now, "t", "w"
        )
        await uow.identities.link(member.id, "telegram", str(8000 + n), "en", now)
        if tier is not None:
            await members.set_invited_tier(uow, member, tier, now, concierge.program)
        await uow.commit()
        return member


async def create(concierge: Concierge, **fields: object) -> int:
    now = concierge.clock()
    defaults: dict[str, object] = {
        "title": "Emerald preview", "starts_at": now + timedelta(days=14),
        "ends_at": now + timedelta(days=14, hours=3), "capacity": 2,
    }  # fmt: skip
    async with concierge.db.unit_of_work() as uow:
        event = await events.create(uow, concierge.program, now, **{**defaults, **fields})
        await uow.commit()
        return event.id


async def answer(
    concierge: Concierge, member: Member, event_id: int, going: bool = True, **options: object
) -> events.Answer:
    async with concierge.db.unit_of_work() as uow:
        found = await events.answer(
            uow, concierge.program, member, event_id, concierge.clock(), going, **options
        )
        await uow.commit()
        return found


async def statuses(concierge: Concierge, event_id: int) -> dict[int, str]:
    async with concierge.db.unit_of_work() as uow:
        return {r.member_id: r.status for r in await uow.rsvps.for_event(event_id)}


async def outbox(concierge: Concierge) -> list[tuple[str, int | None, str]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.kind, r.member_id, r.purpose or "") for r in rows]


async def test_fifty_members_answering_at_once_never_take_more_than_ten_seats(
    concierge: Concierge,
) -> None:
    people = [await enrol(concierge, n) for n in range(50)]
    event_id = await create(concierge, capacity=10)

    async def one(member: Member) -> str:
        for _ in range(20):  # a writer that lost a race tries again, as the chat would
            try:
                return (await answer(concierge, member, event_id, waitlist=True)).status
            except Conflict:
                continue
        raise AssertionError("never answered")

    answered = await asyncio.gather(*(one(member) for member in people))

    assert answered.count(GOING) == 10 and answered.count(WAITING) == 40
    async with concierge.db.unit_of_work() as uow:
        event = await uow.events.get(event_id)
        assert event is not None and event.seats_taken == 10
        assert await uow.rsvps.holding(event_id) == 10


async def test_a_freed_seat_is_offered_to_the_first_waiting_then_passes_on_in_time(
    concierge: Concierge, clock: object
) -> None:
    first, second, third, fourth = [await enrol(concierge, n) for n in range(4)]
    event_id = await create(concierge, capacity=2)
    await answer(concierge, first, event_id)
    await answer(concierge, second, event_id)
    assert (await answer(concierge, third, event_id)).status == events.FULL
    assert (await answer(concierge, third, event_id, waitlist=True)).place_in_line == 1
    assert (await answer(concierge, fourth, event_id, waitlist=True)).place_in_line == 2

    cancelled = await answer(concierge, first, event_id, going=False)

    assert cancelled.status == CANCELLED
    assert [r.member_id for r in cancelled.offered or []] == [third.id]
    assert (await statuses(concierge, event_id))[third.id] == OFFERED
    clock.current += timedelta(hours=25)  # type: ignore[attr-defined]
    async with concierge.db.unit_of_work() as uow:
        offered, _ = await events.tick(uow, concierge.program, concierge.clock())
        await uow.commit()
    assert offered == 1
    now = await statuses(concierge, event_id)
    assert (now[third.id], now[fourth.id]) == (CANCELLED, OFFERED)
    assert (await answer(concierge, fourth, event_id)).status == GOING
    # the worker told the member the seat passed to (the chat tells of the offers it makes)
    assert await outbox(concierge) == [("seat_offered", fourth.id, "service")]


async def test_an_offer_taken_in_time_becomes_a_place(concierge: Concierge) -> None:
    first, second = [await enrol(concierge, n) for n in range(2)]
    event_id = await create(concierge, capacity=1)
    await answer(concierge, first, event_id)
    await answer(concierge, second, event_id, waitlist=True)
    await answer(concierge, first, event_id, going=False)

    assert (await answer(concierge, second, event_id)).status == GOING
    assert await statuses(concierge, event_id) == {first.id: CANCELLED, second.id: GOING}


async def test_guests_take_seats_and_too_many_guests_are_refused(concierge: Concierge) -> None:
    first, second = [await enrol(concierge, n) for n in range(2)]
    event_id = await create(concierge, capacity=3, plus_ones=1)
    assert (await answer(concierge, first, event_id, plus_ones=1)).status == GOING
    with pytest.raises(EventError) as refused:
        await answer(concierge, second, event_id, plus_ones=2)
    assert refused.value.code == events.GUESTS
    assert (await answer(concierge, second, event_id, plus_ones=1)).status == events.FULL
    assert (await answer(concierge, second, event_id)).status == GOING


async def test_hidden_events_are_neither_listed_nor_answerable(concierge: Concierge) -> None:
    silver = await enrol(concierge, 1)
    ambassador = await enrol(concierge, 2, tier="ambassador")
    guest = await enrol(concierge, 3)
    for_ambassadors = await create(concierge, tiers=["ambassador"])
    for_collectors = await create(concierge, segments=["high_value_collector"])
    by_name = await create(concierge, guests=[guest.id])
    async with concierge.db.unit_of_work() as uow:
        seen = {
            member.id: [
                f.event.id
                for f in await events.for_member(uow, member, concierge.clock(), concierge.program)
            ]
            for member in (silver, ambassador, guest)
        }
    assert seen == {silver.id: [], ambassador.id: [for_ambassadors], guest.id: [by_name]}
    with pytest.raises(EventError) as refused:
        await answer(concierge, silver, for_collectors)
    assert refused.value.code == events.NOT_FOR_YOU


async def test_answers_close_at_the_deadline_but_a_place_may_still_be_given_back(
    concierge: Concierge, clock: object
) -> None:
    early, late = [await enrol(concierge, n) for n in range(2)]
    event_id = await create(concierge, deadline=concierge.clock() + timedelta(days=2))
    await answer(concierge, early, event_id)
    clock.current += timedelta(days=3)  # type: ignore[attr-defined]

    with pytest.raises(EventError) as refused:
        await answer(concierge, late, event_id)
    assert refused.value.code == events.CLOSED
    assert (await answer(concierge, early, event_id, going=False)).status == CANCELLED


async def test_priority_tiers_answer_first_and_the_others_later(
    concierge: Concierge, clock: object, program: Program
) -> None:
    concierge = replace(concierge, program=program)  # the demo club: priority on
    ambassador = await enrol(concierge, 1, tier="ambassador")
    silver = await enrol(concierge, 2)
    event_id = await create(concierge)  # the demo club: platinum and ambassador first, 48 h

    assert (await answer(concierge, ambassador, event_id)).status == GOING
    with pytest.raises(EventError) as refused:
        await answer(concierge, silver, event_id)
    assert refused.value.code == events.NOT_YET
    clock.current += timedelta(hours=48)  # type: ignore[attr-defined]
    assert (await answer(concierge, silver, event_id)).status == GOING


async def test_reminders_go_once_each_to_those_coming(concierge: Concierge, clock: object) -> None:
    coming, waiting, declined = [await enrol(concierge, n) for n in range(3)]
    event_id = await create(concierge, capacity=1)
    await answer(concierge, coming, event_id)
    await answer(concierge, waiting, event_id, waitlist=True)
    await answer(concierge, declined, event_id, going=False)

    async def tick() -> int:
        async with concierge.db.unit_of_work() as uow:
            _, reminded = await events.tick(uow, concierge.program, concierge.clock())
            await uow.commit()
            return reminded

    assert await tick() == 0  # two weeks ahead
    clock.current += timedelta(days=13, hours=1)  # type: ignore[attr-defined]
    assert (await tick(), await tick()) == (1, 0)
    clock.current += timedelta(hours=22)  # type: ignore[attr-defined]
    assert (await tick(), await tick()) == (1, 0)
    reminders = [(kind, who, why) for kind, who, why in await outbox(concierge)]
    assert reminders == [("reminder", coming.id, "service")] * 2


async def test_the_club_cancelling_tells_everyone_coming_or_waiting(concierge: Concierge) -> None:
    coming, waiting, declined = [await enrol(concierge, n) for n in range(3)]
    event_id = await create(concierge, capacity=1)
    await answer(concierge, coming, event_id)
    await answer(concierge, waiting, event_id, waitlist=True)
    await answer(concierge, declined, event_id, going=False)

    async with concierge.db.unit_of_work() as uow:
        _, told = await events.cancel(uow, event_id, concierge.clock())
        queued = await events.notify(uow, concierge.program, concierge.clock(),
                                     events.EVENT_CANCELLED, told)  # fmt: skip
        await uow.commit()

    assert queued == 2
    assert sorted(who for _, who, _ in await outbox(concierge)) == [coming.id, waiting.id]
    with pytest.raises(EventError):
        await answer(concierge, declined, event_id)


async def test_news_of_an_answer_goes_where_it_was_given_until_turned_off_there(
    concierge: Concierge,
) -> None:
    on_whatsapp, on_telegram, turned_off = [await enrol(concierge, n) for n in range(3)]
    async with concierge.db.unit_of_work() as uow:  # none ever said yes to "service"
        member = await uow.members.get(turned_off.id)
        assert member is not None
        await members.set_consent(uow, member, Purpose.SERVICE, Channel.TELEGRAM, False,
                                  concierge.clock(), "chat:telegram", "Switched off")  # fmt: skip
        await uow.commit()
    event_id = await create(concierge, capacity=3)
    await answer(concierge, on_whatsapp, event_id, channel="whatsapp")
    await answer(concierge, on_telegram, event_id, channel="telegram")
    await answer(concierge, turned_off, event_id, channel="telegram")

    async with concierge.db.unit_of_work() as uow:
        _, told = await events.cancel(uow, event_id, concierge.clock())
        queued = await events.notify(uow, concierge.program, concierge.clock(),
                                     events.EVENT_CANCELLED, told)  # fmt: skip
        await uow.commit()
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        rsvps = {r.member_id: r.id for r in await uow.rsvps.for_event(event_id)}

    assert queued == 2
    assert [(r.member_id, r.channel, r.address, r.purpose, r.basis) for r in rows] == [
        (on_whatsapp.id, "whatsapp", on_whatsapp.phone, "service",
         f"requested: rsvp {rsvps[on_whatsapp.id]}"),
        (on_telegram.id, "telegram", "8001", "service",
         f"requested: rsvp {rsvps[on_telegram.id]}"),
    ]  # fmt: skip


async def test_invitations_go_once_to_eligible_members_who_agreed(concierge: Concierge) -> None:
    agreed = await enrol(concierge, 1)
    async with concierge.db.unit_of_work() as uow:
        silent = await members.add(uow, concierge.program, concierge.clock(), "+393471009999")
        await uow.commit()
    event_id = await create(concierge)

    async with concierge.db.unit_of_work() as uow:
        first = await hosting.invite(uow, concierge.program, event_id, concierge.clock())
        second = await hosting.invite(uow, concierge.program, event_id, concierge.clock())
        await uow.commit()

    assert (first.queued, first.skipped) == (1, {"no consent for this on any channel": 1})
    assert (second.queued, second.already) == (0, 1)
    assert await outbox(concierge) == [("invitation", agreed.id, "events")]
    assert silent.id != agreed.id


async def test_check_in_counts_toward_the_community_badge_and_the_report(
    concierge: Concierge, clock: object
) -> None:
    people = [await enrol(concierge, n) for n in range(4)]
    event_ids = [await create(concierge, capacity=5) for _ in range(3)]
    for event_id in event_ids:
        for member in people[:3]:
            await answer(concierge, member, event_id)
    await answer(concierge, people[3], event_ids[0], going=False)
    async with concierge.db.unit_of_work() as uow:
        await hosting.invite(uow, concierge.program, event_ids[0], concierge.clock())
        await uow.commit()
    clock.current += timedelta(days=14)  # type: ignore[attr-defined]
    for event_id in event_ids:
        async with concierge.db.unit_of_work() as uow:
            for member in people[:2]:
                await hosting.admit(uow, concierge.program, event_id, member, concierge.clock())
            await uow.commit()
    await ingest(
        concierge.db.unit_of_work, [purchase(concierge.clock() + timedelta(days=3),
                                             phone=people[0].phone or "")],
        "pos", concierge.clock(), concierge.program,
    )  # fmt: skip

    async with concierge.db.unit_of_work() as uow:
        found = await hosting.report(uow, concierge.program, event_ids[0])
        badges = {b.badge for b in await uow.badges.for_member(people[0].id)}
        exported = await privacy.export(uow, people[0])
        with pytest.raises(EventError):
            await hosting.admit(uow, concierge.program, event_ids[0], people[3],
                                  concierge.clock())  # fmt: skip
    assert (found.invited, found.answered_yes, found.declined) == (4, 3, 1)
    assert (found.attended, found.bought_after) == (2, 1)
    assert (found.rsvp_rate, found.attendance_rate, found.conversion) == (0.75, 2 / 3, 0.5)
    assert "community_builder" in badges  # three events attended
    assert [(e["event"], e["answer"], e["checked_in_at"] is not None)
            for e in exported["events"]] == [(i, "going", True) for i in event_ids]  # fmt: skip
