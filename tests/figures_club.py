"""A small club whose figures are worked out by hand (tests/storage/test_figures.py says
each), written straight into the tables: a few members, their purchases in known months,
tiers, an event, conversations with staff, appointments, messages and consents; then the
members' purchase summaries, as the repositories would have kept them.

The clock is tests.conftest.NOW (2026-11-24); the club's zone is Europe/Rome."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from storage import summaries
from storage.database import Database
from storage.models import (
    Appointment,
    Consent,
    Event,
    Handoff,
    Member,
    OutboxMessage,
    Purchase,
    Rsvp,
    Staff,
    TierStatus,
    TranscriptLine,
)


def at(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# member: joined, tier now and since (None: no tier row), erased
MEMBERS = {
    "A": (at(2025, 6, 10), ("silver", at(2025, 6, 10)), None),
    "B": (at(2026, 2, 1), ("gold", at(2026, 5, 10)), None),
    "C": (at(2026, 2, 20), ("silver", at(2026, 6, 1)), None),  # down to silver in June
    "D": (at(2026, 2, 28, 23, 30), ("platinum", at(2026, 3, 22)), None),  # March in Rome
    "E": (at(2026, 4, 1), ("gold", at(2026, 4, 2)), at(2026, 4, 3)),  # erased
    "F": (at(2024, 1, 1), None, None),
    "G": (at(2026, 7, 15), ("silver", at(2026, 7, 15)), None),
}
# member, when, amount (EUR), category, status
PURCHASES = [
    ("A", at(2025, 6, 15), "1500", "ring", "paid"),
    ("A", at(2026, 9, 10), "200", "gift", "paid"),  # back after 452 days
    ("B", at(2026, 2, 3), "300", "ring", "paid"),
    ("B", at(2026, 2, 13), "100", "resize", "paid"),  # 10 days after the first
    ("B", at(2026, 3, 5), "999", "ring", "refunded"),
    ("C", at(2026, 2, 25), "800", "earrings", "paid"),
    ("D", at(2026, 3, 2), "12000", "ring", "paid"),
    ("D", at(2026, 3, 22), "400", "bracelet", "paid"),  # 20 days after the first
    ("D", at(2026, 10, 20), "600", "bracelet", "paid"),  # after the event
    ("F", at(2025, 1, 10), "2500", "necklace", "paid"),  # dormant
]


async def fill(db: Database) -> dict[str, int]:
    """Write the club; answers the members' ids by letter, and the event's as "event"."""
    ids: dict[str, int] = {}
    async with db.unit_of_work() as uow:
        s = uow.session
        for letter, (joined, tier, erased) in MEMBERS.items():
            member = Member(name=f"Member {letter}", joined_at=joined, erased_at=erased)
            s.add(member)
            await s.flush()
            ids[letter] = member.id
            if tier is not None:
                s.add(TierStatus(member_id=member.id, tier=tier[0], since=tier[1]))
        for n, (who, when, amount, category, status) in enumerate(PURCHASES):
            s.add(
                Purchase(
                    order_id=f"o{n}",
                    member_id=ids[who],
                    amount=Decimal(amount),
                    currency="EUR",
                    base_amount=Decimal(amount),
                    points=0,
                    category=category,
                    status=status,
                    purchased_at=when,
                    source="test",
                    recorded_at=when,
                )
            )
        staff = Staff(telegram_user_id=1, name="Sara", role="concierge", added_at=at(2025, 1, 1))
        event = Event(
            title="Emerald preview",
            starts_at=at(2026, 10, 10, 18),
            ends_at=at(2026, 10, 10, 21),
            capacity=10,
            created_at=at(2026, 9, 1),
        )
        gone = Event(
            title="Called off",
            starts_at=at(2026, 10, 12, 18),
            ends_at=at(2026, 10, 12, 21),
            capacity=10,
            created_at=at(2026, 9, 1),
            cancelled_at=at(2026, 9, 20),
        )
        s.add_all([staff, event, gone])
        await s.flush()
        ids["event"] = event.id
        for letter in "ABC":  # D came from the guest list, without an invitation
            s.add(
                _message(
                    f"invitation:{event.id}:{ids[letter]}",
                    ids[letter],
                    "invitation",
                    "telegram",
                    "sent",
                    at(2026, 10, 1),
                )
            )
        for letter, status, came in [
            ("A", "going", True),
            ("B", "going", False),
            ("C", "declined", False),
            ("D", "going", True),
        ]:
            s.add(
                Rsvp(
                    event_id=event.id,
                    member_id=ids[letter],
                    status=status,
                    checked_in_at=at(2026, 10, 10, 18, 5) if came else None,
                    answered_at=at(2026, 10, 2),
                )
            )
        s.add(
            Rsvp(event_id=gone.id, member_id=ids["A"], status="going", answered_at=at(2026, 9, 2))
        )
        for asked, answers in [
            (
                at(2026, 4, 7, 9),
                [
                    ("member", at(2026, 4, 7, 9, 1)),
                    ("staff", at(2026, 4, 7, 9, 25, 30)),
                    ("staff", at(2026, 4, 7, 9, 40)),
                ],
            ),
            (at(2026, 4, 20, 10), [("staff", at(2026, 4, 20, 10, 5))]),
            (at(2026, 5, 2, 10), []),
        ]:
            talk = Handoff(
                member_id=ids["B"],
                channel="telegram",
                address="42",
                status="closed",
                requested_at=asked,
            )
            s.add(talk)
            await s.flush()
            for author, when in answers:
                s.add(
                    TranscriptLine(
                        handoff_id=talk.id,
                        at=when,
                        author=author,
                        text="…",
                        staff_id=staff.id if author == "staff" else None,
                    )
                )
        for service, made, starts, status in [
            ("design_consultation", at(2026, 6, 1), at(2026, 6, 10, 15), "no_show"),
            ("stone_matching", at(2026, 6, 1), at(2026, 6, 12, 15), "booked"),
            ("stone_matching", at(2026, 6, 2), at(2026, 6, 15, 15), "cancelled"),
            ("stone_matching", at(2026, 11, 20), at(2026, 11, 30, 15), "booked"),  # to come
        ]:
            s.add(
                Appointment(
                    member_id=ids["G"],
                    service=service,
                    staff_id=staff.id,
                    starts_at=starts,
                    ends_at=starts,
                    block_end=starts,
                    status=status,
                    created_at=made,
                    updated_at=made,
                )
            )
        for kind, channel, status in [
            ("birthday", "whatsapp", "read"),
            ("birthday", "whatsapp", "delivered"),
            ("birthday", "whatsapp", "failed"),
            ("reply", "telegram", "sent"),
        ]:
            s.add(_message(None, ids["A"], kind, channel, status, at(2026, 3, 10)))
        for letter, purpose, channel, granted, when in [
            ("A", "events", "telegram", True, at(2026, 1, 5)),
            ("A", "events", "telegram", False, at(2026, 5, 5)),
            ("A", "birthday", "whatsapp", False, at(2026, 5, 6)),
            ("C", "news", "telegram", False, at(2026, 8, 1)),
            ("C", "news", "whatsapp", False, at(2026, 8, 1)),
        ]:
            s.add(
                Consent(
                    member_id=ids[letter],
                    purpose=purpose,
                    channel=channel,
                    granted=granted,
                    at=when,
                    source="test",
                    wording="w",
                )
            )
        await s.flush()
        await summaries.refresh(s, [ids[letter] for letter in MEMBERS])  # as kept by storage
        await uow.commit()
    return ids


def _message(
    key: str | None, member_id: int, kind: str, channel: str, status: str, when: datetime
) -> OutboxMessage:
    return OutboxMessage(
        key=key,
        member_id=member_id,
        channel=channel,
        address="42",
        kind=kind,
        body="…",
        status=status,
        created_at=when,
        updated_at=when,
    )
