"""POST /api/redemptions on a real database (SQLite, then PostgreSQL), signed like the POS:
a voucher used or an order's points taken once, every refusal changing nothing, and a
refund of the order giving the points back once, by the webhook or the CSV."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from bot.importer import import_purchases
from bot.web import create_app
from loyalty.records import Member
from services import members, rewards
from storage.models import LedgerEntry
from tests.conftest import Clock
from tests.web.test_pos_webhook import order, sign

KEY = "qr-key-for-the-tests"


@pytest.fixture
async def client(concierge: Concierge) -> AsyncIterator[httpx.AsyncClient]:
    settings = concierge.settings.model_copy(update={"pos_secret": SecretStr("s3cret-pos")})
    app = create_app(replace(concierge, settings=settings), background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def call(
    client: httpx.AsyncClient, body: Any, path: str = "/api/redemptions", signed: bool = True
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if signed:
        headers["x-concierge-signature"] = sign(raw, "s3cret-pos")
    return await client.post(path, content=raw, headers=headers)


async def enrol(app: Concierge, points: int = 1000, phone: str = "+393471234567") -> Member:
    async with app.db.unit_of_work() as uow:
        member = await members.add(uow, app.program, app.clock(), phone)
        await members.adjust(
            uow, member, points, f"gift-{phone}", "welcome", app.clock(), app.program
        )
        await uow.commit()
        return member


async def balance(app: Concierge, member: Member) -> int:
    async with app.db.unit_of_work() as uow:
        return await uow.ledger.balance(member.id)


async def entries(app: Concierge) -> int:
    async with app.db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


async def voucher(app: Concierge, member: Member, reward: str = "care_kit") -> str:
    async with app.db.unit_of_work() as uow:
        taken = await rewards.take(uow, member, reward, app.clock(), app.program)
        text = await rewards.code(uow, taken, lambda: KEY)
        await uow.commit()
        return text


def redeem(points: int = 500, **changes: Any) -> dict[str, Any]:
    return {"order_id": "POS-9", "member": "M00001", "points": points, **changes}


async def test_order_redeemed_once_and_the_same_call_again_is_acknowledged(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    first = await call(client, redeem())
    assert first.status_code == 201
    assert first.json() == {
        "order_id": "POS-9",
        "result": "created",
        "member": "M00001",
        "points": 500,
        "balance": 500,
    }
    again = await call(client, redeem(member="+39 347 123 4567"))  # the same member, by phone
    assert again.status_code == 200
    assert again.json()["result"] == "unchanged"
    assert again.json()["balance"] == 500
    assert await balance(concierge, member) == 500


async def test_the_same_call_at_once_takes_effect_once(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    answers = await asyncio.gather(*(call(client, redeem(300)) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert await balance(concierge, member) == 700


async def test_the_same_order_otherwise_is_a_conflict(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    await enrol(concierge, phone="+393470000002")
    assert (await call(client, redeem())).status_code == 201
    other_points = await call(client, redeem(400))
    assert other_points.status_code == 409
    assert "already redeemed: 500 points of M00001" in other_points.json()["error"]
    assert (await call(client, redeem(member="M00002"))).status_code == 409
    assert await balance(concierge, member) == 500


async def test_not_enough_points_says_the_balance_and_takes_nothing(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge, points=120)
    before = await entries(concierge)
    refused = await call(client, redeem(500))
    assert refused.status_code == 409
    assert refused.json() == {"error": "not enough points", "balance": 120}
    assert await entries(concierge) == before
    assert (await call(client, redeem(120))).status_code == 201  # the order was not spent
    assert await balance(concierge, member) == 0


async def test_unknown_member_or_voucher_is_404(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    await enrol(concierge)
    assert (await call(client, redeem(member="M00077"))).status_code == 404
    assert (await call(client, redeem(member="+39 333 000 0000"))).status_code == 404
    assert (await call(client, redeem(member="not a phone"))).status_code == 404
    forged = await call(client, {"voucher": "RWD1:V00001:forged"})
    assert forged.status_code == 404
    assert forged.json() == {"error": "not a genuine voucher of this club"}
    assert (await call(client, {"voucher": "V00001"})).status_code == 404  # staff's name only


async def test_a_voucher_is_used_once_then_gone(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    text = await voucher(concierge, member)
    held = await balance(concierge, member)
    used = await call(client, {"voucher": text})
    assert used.status_code == 201
    assert used.json() == {
        "voucher": "V00001",
        "result": "used",
        "member": "M00001",
        "reward": "care_kit",
        "points": 1000 - held,
        "discount": None,
        "order_id": None,
    }
    again = await call(client, {"voucher": text})  # no order: a retry or shown again
    assert again.status_code == 410
    assert again.json()["error"] == "voucher V00001 was used on 2026-11-24"
    assert await balance(concierge, member) == held


async def test_the_same_voucher_call_on_an_order_again_answers_as_the_first(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    text = await voucher(concierge, member)
    held = await balance(concierge, member)
    first = await call(client, {"voucher": text, "order_id": "POS-7"})
    again = await call(client, {"voucher": text, "order_id": "POS-7"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert first.json()["order_id"] == "POS-7"
    other = await call(client, {"voucher": text, "order_id": "POS-8"})
    bare = await call(client, {"voucher": text})
    for refused in (other, bare):
        assert (refused.status_code, refused.json()["error"]) == (
            410,
            "voucher V00001 was used on 2026-11-24",
        )
    assert await balance(concierge, member) == held


async def test_a_voucher_used_by_staff_is_gone_for_the_till(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    text = await voucher(concierge, member)
    async with concierge.db.unit_of_work() as uow:
        await rewards.use(uow, text, concierge.clock(), concierge.program, lambda: KEY)
        await uow.commit()
    refused = await call(client, {"voucher": text, "order_id": "POS-7"})
    assert (refused.status_code, refused.json()["error"]) == (
        410,
        "voucher V00001 was used on 2026-11-24",
    )


async def test_five_identical_voucher_calls_at_once_use_it_once(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    text = await voucher(concierge, member)
    held = await balance(concierge, member)
    body = {"voucher": text, "order_id": "POS-7"}
    answers = await asyncio.gather(*(call(client, body) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
    assert await balance(concierge, member) == held
    async with concierge.db.unit_of_work() as uow:
        [used] = await rewards.vouchers_of(uow, member)
    assert (used.status.value, used.used_by) == ("used", "pos order POS-7")


async def test_expired_or_cancelled_vouchers_are_gone(
    client: httpx.AsyncClient, concierge: Concierge, clock: Clock
) -> None:
    member = await enrol(concierge)
    kept = await voucher(concierge, member)
    cancelled = await voucher(concierge, member)
    async with concierge.db.unit_of_work() as uow:
        await rewards.cancel(uow, cancelled, clock(), concierge.program, lambda: KEY)
        await uow.commit()
    gone = await call(client, {"voucher": cancelled})
    assert (gone.status_code, gone.json()["error"]) == (
        410,
        "voucher V00002 was cancelled on 2026-11-24",
    )
    clock.current += timedelta(days=91)
    late = await call(client, {"voucher": kept})
    assert (late.status_code, late.json()["error"]) == (410, "voucher V00001 expired")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        ({"order_id": "POS-9", "member": "M00001"}, "points"),
        ({"order_id": "POS-9", "member": "M00001", "points": 0}, "points"),
        ({"order_id": "POS-9", "member": "M00001", "points": "500"}, "points"),
        ({"order_id": "POS-9", "member": "M00001", "points": True}, "points"),
        ({"order_id": "", "member": "M00001", "points": 5}, "order_id"),
        ({"order_id": "P" * 201, "member": "M00001", "points": 5}, "order_id"),
        ({"voucher": ""}, "voucher"),
        ({"voucher": "RWD1:V1:x", "points": 5}, "points"),
        ({"voucher": "RWD1:V1:x", "order_id": ""}, "order_id"),
        ({}, "order_id"),
    ],
)
async def test_malformed_bodies_are_422_and_change_nothing(
    client: httpx.AsyncClient, concierge: Concierge, body: Any, field: str
) -> None:
    member = await enrol(concierge)
    before = await entries(concierge)
    refused = await call(client, body)
    assert refused.status_code == 422
    assert refused.json()["detail"]["field"] == field
    assert await entries(concierge) == before
    assert await balance(concierge, member) == 1000


async def test_signed_as_the_purchases_are(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    member = await enrol(concierge)
    raw = json.dumps(redeem()).encode()
    unsigned = await call(client, raw, signed=False)
    assert unsigned.status_code == 401
    wrong = await client.post(
        "/api/redemptions", content=raw, headers={"x-concierge-signature": sign(raw, "other")}
    )
    assert wrong.status_code == 401
    assert await balance(concierge, member) == 1000


async def test_off_without_the_pos_secret(concierge: Concierge) -> None:
    app = create_app(concierge, background=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        raw = json.dumps(redeem()).encode()
        response = await http.post("/api/redemptions", content=raw)
    assert response.status_code == 404


async def test_a_refund_by_the_webhook_gives_the_points_back_once(
    client: httpx.AsyncClient, concierge: Concierge, clock: Clock
) -> None:
    paid = order(order_id="POS-9", amount="800", purchased_at="2026-11-20T15:00:00+01:00")
    assert (await call(client, paid, "/api/purchases")).status_code == 201
    member = await members_by_number(concierge, "M00001")
    assert await balance(concierge, member) == 800
    assert (await call(client, redeem(500))).status_code == 201
    assert await balance(concierge, member) == 300
    clock.current += timedelta(hours=1)
    refund = {**paid, "status": "refunded"}
    assert (await call(client, refund, "/api/purchases")).json()["result"] == "refunded"
    # the order's 800 points taken back, its 500 redeemed points given back
    assert await balance(concierge, member) == 0
    replayed = await call(client, refund, "/api/purchases")
    assert replayed.json()["result"] == "unchanged"
    assert await balance(concierge, member) == 0
    async with concierge.db.unit_of_work() as uow:
        keys = {e.key: e.points for e in await uow.ledger.latest(member.id, 10)}
    assert keys["return:order:POS-9"] == 500


async def test_a_refund_told_first_by_the_csv_gives_the_points_back_once(
    client: httpx.AsyncClient, concierge: Concierge, clock: Clock, tmp_path: Path
) -> None:
    member = await enrol(concierge)
    assert (await call(client, redeem(500, order_id="WEB-3"))).status_code == 201
    clock.current += timedelta(hours=1)
    csv = tmp_path / "purchases.csv"
    csv.write_text(
        "order_id,phone,amount,currency,purchased_at,status\n"
        "WEB-3,+393471234567,500.00,EUR,2026-11-20T12:00:00+01:00,refunded\n"
    )
    rejected: list[tuple[int, str]] = []
    for _ in range(2):  # the same file imported twice: once
        await import_purchases(concierge, csv, lambda line, why: rejected.append((line, why)))
        assert rejected == []
        assert await balance(concierge, member) == 1000


async def members_by_number(app: Concierge, number: str) -> Member:
    async with app.db.unit_of_work() as uow:
        return await members.find(uow, number, app.program)


def test_openapi_documents_both_forms(concierge: Concierge) -> None:
    schema = create_app(concierge, background=False).openapi()
    post = schema["paths"]["/api/redemptions"]["post"]
    forms = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {tuple(sorted(f["properties"])) for f in forms} == {
        ("order_id", "voucher"),
        ("member", "order_id", "points"),
    }
    assert {"200", "201", "404", "409", "410"} <= set(post["responses"])
