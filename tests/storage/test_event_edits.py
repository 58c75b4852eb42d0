"""Editing an event and checking a guest in at one event's door, on a real database
(SQLite and PostgreSQL): answers kept whole, the waitlist served by a larger capacity, the
guest list replaced, a ticket for another event or day refused."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest

from bot.bootstrap import Concierge
from loyalty.events import GOING, OFFERED, WAITING
from loyalty.membercard import ticket_payload
from services import events, hosting, members
from services.events import EventError
from tests.storage.test_events import answer, concierge, create, enrol, outbox, statuses

__all__ = ["concierge"]


async def edit(concierge: Concierge, event_id: int, guests: list[int], **change: Any) -> None:
    now = concierge.clock()
    given: dict[str, Any] = {
        "title": "Emerald preview", "kind": "preview", "starts_at": now + timedelta(days=14),
        "ends_at": now + timedelta(days=14, hours=3), "capacity": 2, "plus_ones": 0,
        "tiers": None, "segments": None, "badges": None, "deadline": None, "description": "",
        "place": "", **change,
    }  # fmt: skip
    async with concierge.db.unit_of_work() as uow:
        await hosting.edit(uow, concierge.program, event_id, now, guests, **given)
        await uow.commit()


async def test_a_larger_capacity_offers_the_seats_to_the_waitlist_and_tells_them(
    concierge: Concierge,
) -> None:
    people = [await enrol(concierge, n) for n in range(3)]
    event_id = await create(concierge, capacity=1)
    await answer(concierge, people[0], event_id)
    await answer(concierge, people[1], event_id, waitlist=True)
    await answer(concierge, people[2], event_id, waitlist=True)
    await edit(concierge, event_id, [], capacity=2, title="Sapphire night", kind="trunk_show")
    assert await statuses(concierge, event_id) == {
        people[0].id: GOING, people[1].id: OFFERED, people[2].id: WAITING,
    }  # fmt: skip
    assert ("seat_offered", people[1].id, "service") in await outbox(concierge)
    async with concierge.db.unit_of_work() as uow:
        event = await events.get(uow, event_id)
        assert event is not None
        assert (event.title, event.kind, event.seats_taken) == ("Sapphire night", "trunk_show", 2)


async def test_an_edit_keeps_seats_and_guests_given_and_replaces_the_guest_list(
    concierge: Concierge,
) -> None:
    giulia, marc = await enrol(concierge, 1), await enrol(concierge, 2)
    event_id = await create(concierge, capacity=4, plus_ones=1, guests=[giulia.id])
    await answer(concierge, giulia, event_id, plus_ones=1)
    for change in ({"capacity": 1, "plus_ones": 1}, {"capacity": 4, "plus_ones": 0}):
        with pytest.raises(EventError) as refused:
            await edit(concierge, event_id, [giulia.id], **change)
        assert refused.value.code == "held"
    await edit(concierge, event_id, [marc.id], capacity=2, plus_ones=1)
    async with concierge.db.unit_of_work() as uow:
        assert await uow.events.guests(event_id) == {marc.id}
        seen = await events.for_member(uow, giulia, concierge.clock(), concierge.program)
    assert seen == []  # no longer invited: her answer stays, the event no longer shows
    assert await statuses(concierge, event_id) == {giulia.id: GOING}


async def test_an_event_cancelled_or_begun_cannot_be_edited(
    concierge: Concierge, clock: object
) -> None:
    cancelled, begun = await create(concierge), await create(concierge)
    async with concierge.db.unit_of_work() as uow:
        await hosting.cancel(uow, concierge.program, cancelled, concierge.clock())
        await uow.commit()
    clock.current += timedelta(days=14, hours=1)  # type: ignore[attr-defined]
    for event_id in (cancelled, begun, 99):
        with pytest.raises(EventError) as refused:
            await edit(concierge, event_id, [], starts_at=concierge.clock() + timedelta(days=1),
                       ends_at=concierge.clock() + timedelta(days=2))  # fmt: skip
        assert refused.value.code == events.GONE


async def test_the_door_takes_its_own_events_tickets_on_the_day_once(
    concierge: Concierge, clock: object
) -> None:
    giulia = await enrol(concierge, 1)
    here, there = await create(concierge), await create(concierge)
    for event_id in (here, there):
        await answer(concierge, giulia, event_id)

    async def door(event_id: int, ticket_for: int) -> hosting.Admitted:
        async with concierge.db.unit_of_work() as uow:
            key = await members.qr_key(uow, lambda: secrets.token_urlsafe(32))
            came = await hosting.check_in(
                uow, concierge.program, ticket_payload(ticket_for, "M00001", key),
                concierge.clock(), lambda: "unused", event_id,
            )  # fmt: skip
            await uow.commit()
            return came

    with pytest.raises(EventError) as early:
        await door(here, here)
    assert early.value.code == hosting.NOT_TODAY
    clock.current += timedelta(days=14)  # type: ignore[attr-defined]
    with pytest.raises(EventError) as wrong_door:
        await door(here, there)
    assert wrong_door.value.code == events.NOT_FOR_YOU
    first, second = await door(here, here), await door(here, here)
    assert (first.again, second.again) == (False, True)
    assert first.rsvp.checked_in_at == second.rsvp.checked_in_at
