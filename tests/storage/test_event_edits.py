"""Editing an event and checking a guest in at one event's door, on a real database
(SQLite and PostgreSQL): answers kept whole, the waitlist served by a larger capacity, the
guest list replaced, a ticket for another event or day refused."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import Concierge
from locales import Speaker
from loyalty.events import GOING, OFFERED, WAITING
from loyalty.membercard import ticket_payload
from services import events, hosting, members
from services.events import EventError
from services.outgoing import Report, prepare
from storage.models import OutboxMessage
from tests.storage.test_events import answer, concierge, create, enrol, outbox, statuses

__all__ = ["concierge"]
ROME = ZoneInfo("Europe/Rome")  # the demo store's zone, which members without their own read


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


async def moved_news(concierge: Concierge) -> list[tuple[int | None, str | None, list[str]]]:
    """Each "event moved" message queued (by member): to whom, why, and its words as they
    would go now."""
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == events.EVENT_MOVED)
            .order_by(OutboxMessage.id)
        )  # fmt: skip
        news = []
        for row in rows:
            said = await prepare(uow, concierge.program, row, concierge.clock(), Report())
            news.append((row.member_id, row.basis, said.text.splitlines() if said else []))
        return sorted(news, key=lambda told: told[0] or 0)


async def test_a_new_time_or_place_is_told_once_to_those_coming_or_waiting_in_their_language(
    concierge: Concierge,
) -> None:
    coming, waiting, declined, silent = [await enrol(concierge, n) for n in range(4)]
    async with concierge.db.unit_of_work() as uow:
        for member, locale, zone in ((waiting, "fr", None), (coming, "en", "Europe/London")):
            row = await uow.members.get(member.id)
            assert row is not None
            row.locale, row.timezone = locale, zone
        await uow.commit()
    event_id = await create(concierge, capacity=1)
    await answer(concierge, coming, event_id)
    await answer(concierge, waiting, event_id, waitlist=True)
    await answer(concierge, declined, event_id, going=False)
    async with concierge.db.unit_of_work() as uow:
        rsvps = {r.member_id: r.id for r in await uow.rsvps.for_event(event_id)}

    await edit(concierge, event_id, [], description="Champagne at the door")
    assert await moved_news(concierge) == []  # the words changed, not the time or place

    start = concierge.clock() + timedelta(days=15, hours=8)
    moved = {"starts_at": start, "ends_at": start + timedelta(hours=3), "place": "Via Verri 4"}
    await edit(concierge, event_id, [], **moved)
    news = await moved_news(concierge)
    english = Speaker("en", ZoneInfo("Europe/London"))
    french = Speaker("fr", ROME)
    assert [(who, why) for who, why, _ in news] == [
        (coming.id, f"requested: rsvp {rsvps[coming.id]}"),
        (waiting.id, f"requested: rsvp {rsvps[waiting.id]}"),
    ]
    assert [words[1] for _, _, words in news] == [
        f"Please note a change to Emerald preview: it is now {english.day_and_time(start)}, "
        f"until {english.time(start + timedelta(hours=3))}, at Via Verri 4. Your answer "
        'stands; to change it, write "previews".',
        "Veuillez noter un changement concernant Emerald preview : l'événement aura désormais "
        f"lieu le {french.day_and_time(start)}, jusqu'à "
        f"{french.time(start + timedelta(hours=3))}, au lieu suivant : Via Verri 4. Votre "
        "réponse reste valable ; pour la modifier, écrivez « avant-premières ».",
    ]
    assert "déc." in news[1][2][1] and silent.id not in {who for who, _, _ in news}

    await edit(concierge, event_id, [], **moved, capacity=3)  # the same time and place
    assert len(await moved_news(concierge)) == 2
    await edit(concierge, event_id, [], **{**moved, "place": "Via Manzoni 1"})
    assert [who for who, _, _ in await moved_news(concierge)] == [
        coming.id, coming.id, waiting.id, waiting.id,
    ]  # fmt: skip  # each edit that moves it is news once more


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
