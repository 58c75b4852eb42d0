"""Member services on a real database: enrol, consent, redeem, tiers (export and erasure:
test_erasure.py)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from loyalty.consent import Channel, Purpose
from loyalty.points import InsufficientPoints
from loyalty.ports import Conflict
from loyalty.program import Program
from services import members
from services.purchases import ingest
from services.reviews import settle_all
from storage.database import Database
from storage.models import ClubSecret, Consent, LedgerEntry, Member
from tests.conftest import NOW
from tests.factories import PHONE, purchase


async def _enrol(db: Database, program: Program, now: datetime, **profile: str) -> Member:
    async with db.unit_of_work() as uow:
        member = await members.add(uow, program, now, "347 123 4567", **profile)
        await uow.commit()
        return member


async def test_add_stores_e164_phone_profile_and_birthday(
    database: Database, program: Program, now: datetime
) -> None:
    member = await _enrol(
        database,
        program,
        now,
        name="Giulia",
        birthday="02-29",
        timezone="Europe/Paris",
        locale="fr",
    )
    async with database.unit_of_work() as uow:
        found = await members.find(uow, members.member_number(member.id), program)
        by_phone = await members.find(uow, "+39 347 123 4567", program)
    assert found.id == by_phone.id == member.id
    assert (found.phone, found.name, found.locale, found.timezone) == (
        PHONE,
        "Giulia",
        "fr",
        "Europe/Paris",
    )
    assert (found.birthday_month, found.birthday_day, found.birthday_year) == (2, 29, None)


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"birthday": "1990-02-30"}, "no such day"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"locale": "de"}, "does not speak"),
    ],
)
async def test_add_rejects_bad_profile_and_writes_nothing(
    database: Database, program: Program, now: datetime, profile: dict[str, str], message: str
) -> None:
    with pytest.raises(members.MemberError, match=message):
        await _enrol(database, program, now, **profile)
    async with database.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Member)) == 0


async def test_add_refuses_a_phone_already_enrolled(
    database: Database, program: Program, now: datetime
) -> None:
    await _enrol(database, program, now)
    with pytest.raises(members.MemberError, match="already exists"):
        await _enrol(database, program, now)


async def test_find_unknown_member_says_so(database: Database, program: Program) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(members.MemberError, match="no member"):
            await members.find(uow, "M00999", program)
        with pytest.raises(members.MemberError, match="not a member number or phone"):
            await members.find(uow, "hello", program)


async def test_consent_changes_are_recorded_with_source_and_wording(
    database: Database, program: Program, now: datetime
) -> None:
    member = await _enrol(database, program, now)
    async with database.unit_of_work() as uow:
        granted = await members.set_consent(
            uow, member, Purpose.BIRTHDAY, Channel.WHATSAPP, True, now, "staff-cli", "v1"
        )
        again = await members.set_consent(
            uow, member, Purpose.BIRTHDAY, Channel.WHATSAPP, True, now, "staff-cli", "v1"
        )
        revoked = await members.set_consent(
            uow,
            member,
            Purpose.BIRTHDAY,
            Channel.WHATSAPP,
            False,
            now + timedelta(1),
            "chat",
            "v1",
        )
        await uow.commit()
    assert (granted, again, revoked) == (True, False, True)
    async with database.unit_of_work() as uow:
        rows = (await uow.session.scalars(select(Consent).order_by(Consent.at))).all()
    assert [(r.granted, r.source, r.wording) for r in rows] == [
        (True, "staff-cli", "v1"),
        (False, "chat", "v1"),
    ]


async def _member_with_points(
    db: Database, program: Program, now: datetime, amount: str
) -> Member:
    await ingest(db.unit_of_work, [purchase(now, amount)], "pos", now, program)
    async with db.unit_of_work() as uow:
        return await members.find(uow, PHONE, program)


async def test_redeem_beyond_the_balance_fails_and_writes_nothing(
    database: Database, program: Program, now: datetime
) -> None:
    member = await _member_with_points(database, program, now, "100.00")
    async with database.unit_of_work() as uow:
        with pytest.raises(InsufficientPoints):
            await members.redeem(uow, member, 101, "k1", "gift box", now, program)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.ledger.balance(member.id) == 100
        assert await uow.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


async def test_twenty_concurrent_redeems_never_take_the_balance_below_zero(
    database: Database, program: Program, now: datetime
) -> None:
    member = await _member_with_points(database, program, now, "100.00")

    async def redeem(index: int) -> bool:
        async with database.unit_of_work() as uow:
            try:
                await members.redeem(uow, member, 30, f"r{index}", "", now, program)
            except InsufficientPoints:
                return False
            await uow.commit()
            return True

    done = await asyncio.gather(*(redeem(i) for i in range(20)))
    assert sum(done) == 3
    async with database.unit_of_work() as uow:
        assert await uow.ledger.balance(member.id) == 10


async def test_invite_only_tier_is_given_and_cleared(
    database: Database, program: Program, now: datetime
) -> None:
    member = await _member_with_points(database, program, now, "2000.00")
    async with database.unit_of_work() as uow:
        state = await members.set_invited_tier(uow, member, "ambassador", now, program)
        with pytest.raises(members.MemberError, match="earned, not given"):
            await members.set_invited_tier(uow, member, "platinum", now, program)
        await uow.commit()
    assert state.tier == "ambassador" and state.invited
    async with database.unit_of_work() as uow:
        card = await members.card(uow, member, now, program)
        assert card.tier.tier == "ambassador" and card.progress is None
        cleared = await members.set_invited_tier(uow, member, None, now, program)
        await uow.commit()
    assert cleared.tier == "gold" and not cleared.invited


async def test_card_shows_progress_badges_segments_and_expiring_points(
    database: Database, program: Program, now: datetime
) -> None:
    old = now - timedelta(days=365 * 2 - 30)  # expires in about 30 days
    await ingest(database.unit_of_work, [purchase(old, "300.00")], "import", now, program)
    await ingest(database.unit_of_work, [purchase(now, "1000.00")], "pos", now, program)
    async with database.unit_of_work() as uow:
        member = await members.find(uow, PHONE, program)
        card = await members.card(uow, member, now, program)
    assert card.points == 1300
    assert card.tier.tier == "silver"
    assert card.progress is not None and card.progress.next_tier.key == "gold"
    assert card.progress.remaining == 500  # only the last 12 months count
    assert card.remaining_in_currency(program) == 500
    assert "first_purchase" in card.badges and "anniversary" in card.badges
    assert card.expiring == [(old.replace(year=old.year + 2), 300)]


async def test_settle_all_expires_due_points_and_reviews_tiers(
    database: Database, program: Program, now: datetime
) -> None:
    await ingest(database.unit_of_work, [purchase(now, "2000.00")], "pos", now, program)
    later = now + timedelta(days=365 * 2 + 1)
    assert await settle_all(database.unit_of_work, later, program, batch=1) == 1
    assert await settle_all(database.unit_of_work, later, program, batch=1) == 0
    async with database.unit_of_work() as uow:
        member = await members.find(uow, PHONE, program)
        card = await members.card(uow, member, later, program)
    assert card.points == 0
    assert card.tier.tier == "silver"


async def test_the_first_cards_asked_for_at_once_agree_on_one_qr_key(database: Database) -> None:
    made = itertools.count(1)

    async def first_card() -> str:
        async with database.unit_of_work() as uow:
            key = await members.qr_key(uow, lambda: f"key-{next(made)}")
            await uow.commit()
            return key

    keys = await asyncio.gather(*(first_card() for _ in range(20)))

    assert len(set(keys)) == 1
    async with database.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ClubSecret)) == 1
        assert await uow.session.scalar(select(ClubSecret.value)) == keys[0]


async def test_a_database_error_never_shows_the_values_it_was_given(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.members.add(phone="+393471234567", name="Giulia Rossi", joined_at=NOW)
        await uow.commit()

    with pytest.raises(Conflict) as refused:
        async with database.unit_of_work() as uow:
            await uow.members.add(phone="+393471234567", name="Giulia Rossi", joined_at=NOW)
            await uow.commit()

    shown = f"{refused.value} {refused.value.__cause__}"
    assert "hide_parameters" in shown  # the statement is named, its values withheld
    assert "Giulia" not in shown and "471234567" not in shown.split("DETAIL")[0]
