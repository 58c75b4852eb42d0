"""Text the edge accepts is text the database keeps: for any text, NUL and lone surrogates
included, what parse_purchase or the chat's check lets in comes back from SQLite and
PostgreSQL exactly as it went in, and what they refuse never reaches them."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from loyalty.program import Program
from loyalty.purchases import MAX_FIELD, InvalidPurchase, parse_purchase
from loyalty.text import unstorable
from services.purchases import ingest
from storage.database import Database
from storage.models import Member, OutboxMessage, Purchase
from tests.conftest import NOW
from tests.unit.test_text import ANY_TEXT

ROUND_TRIPS = settings(
    max_examples=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one database, many texts
)  # fmt: skip
_orders = itertools.count(1)


@ROUND_TRIPS
@given(text=ANY_TEXT)
async def test_a_purchases_text_comes_back_as_the_edge_read_it(
    database: Database, program: Program, text: str
) -> None:
    n = next(_orders)
    fields = {
        "order_id": f"POS-{n}{text}", "phone": f"+39347{n:07d}", "amount": "10",
        "currency": "EUR", "purchased_at": "2026-11-20T15:30:00", "name": text,
        "email": text, "category": text, "store": text,
    }  # fmt: skip
    try:
        parsed = parse_purchase(fields, program, NOW)
    except InvalidPurchase as refused:  # refused at the edge: for what it holds, or its length
        too_long = refused.reason.endswith(f"longer than {MAX_FIELD} characters")
        assert (too_long and len(fields["order_id"].strip()) > MAX_FIELD) or (
            refused.reason.startswith("contains ") and unstorable(text) is not None
        )
        return

    await ingest(database.unit_of_work, [parsed], "pos", NOW, program)

    async with database.unit_of_work() as uow:
        member = await uow.session.scalar(select(Member).where(Member.phone == parsed.phone))
        assert member is not None
        stored = await uow.session.scalar(select(Purchase).where(Purchase.member_id == member.id))
    assert stored is not None
    assert (stored.order_id, stored.category, stored.store) == (
        parsed.order_id, parsed.category, parsed.store,
    )  # fmt: skip
    assert (member.name, member.email) == (parsed.name, parsed.email)


@ROUND_TRIPS
@given(text=ANY_TEXT)
async def test_a_message_the_chat_accepts_comes_back_as_it_was_written(
    database: Database, text: str
) -> None:
    if unstorable(text, lines=True) is not None:  # asked again: never stored
        return
    async with database.unit_of_work() as uow:
        row = await uow.outbox.add(
            NOW, channel="telegram", address="5550001", kind="reply", body=text, variables={}
        )
        await uow.commit()

    async with database.unit_of_work() as uow:
        body = await uow.session.scalar(
            select(OutboxMessage.body).where(OutboxMessage.id == row.id)
        )
    assert body == text
