"""POST /api/purchases: signed first, then validated, then stored once."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from bot.web import create_app
from storage.models import LedgerEntry, Purchase
from tests.factories import POS_SECRET

SECRET = POS_SECRET


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def order(**changes: Any) -> dict[str, Any]:
    body = {
        "order_id": "POS-1",
        "phone": "+39 347 123 4567",
        "amount": "1250.50",
        "currency": "EUR",
        "purchased_at": "2026-11-20T15:30:00+01:00",
        "category": "ring",
    }
    body.update(changes)
    return body


@pytest.fixture
async def client(concierge: Concierge) -> AsyncIterator[httpx.AsyncClient]:
    settings = concierge.settings.model_copy(update={"pos_secret": SecretStr(SECRET)})
    app = create_app(replace(concierge, settings=settings), background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def post(client: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-concierge-signature"] = signature
    return await client.post("/api/purchases", content=body, headers=headers)


async def stored(concierge: Concierge) -> tuple[int, int]:
    async with concierge.db.unit_of_work() as uow:
        purchases = await uow.session.scalar(select(func.count()).select_from(Purchase))
        entries = await uow.session.scalar(select(func.count()).select_from(LedgerEntry))
    return purchases, entries


async def test_signed_purchase_is_created_then_replay_is_acknowledged(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    body = json.dumps(order()).encode()
    first = await post(client, body, sign(body))
    assert first.status_code == 201
    assert first.json() == {
        "order_id": "POS-1",
        "result": "created",
        "member": "M00001",
        "points": 1250,
    }
    replay = await post(client, body, sign(body))
    assert replay.status_code == 200
    assert replay.json()["result"] == "unchanged"
    assert await stored(concierge) == (1, 1)


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha256=" + "0" * 64, "md5=abc", sign(b"other body")],
)
async def test_wrong_or_missing_signature_is_401_and_writes_nothing(
    client: httpx.AsyncClient, concierge: Concierge, signature: str | None
) -> None:
    body = json.dumps(order()).encode()
    response = await post(client, body, signature)
    assert response.status_code == 401
    assert await stored(concierge) == (0, 0)


async def test_signature_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    response = await post(client, b"{not json", "sha256=" + "0" * 64)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (json.dumps({k: v for k, v in order().items() if k != "phone"}).encode(), "phone"),
        (json.dumps(order(amount="-5")).encode(), "amount"),
        (json.dumps(order(amount="12.345")).encode(), "amount"),
        (json.dumps(order(currency="XYZ")).encode(), "currency"),
        (json.dumps(order(purchased_at="yesterday")).encode(), "purchased_at"),
        (json.dumps(order(phone="12")).encode(), "phone"),
        (json.dumps(order(order_id="x" * 10_000)).encode(), "order_id"),
    ],
)
async def test_bad_body_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, concierge: Concierge, body: bytes, field: str
) -> None:
    response = await post(client, body, sign(body))
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == field
    assert await stored(concierge) == (0, 0)


async def test_amount_as_a_number_is_accepted(
    client: httpx.AsyncClient, concierge: Concierge
) -> None:
    body = json.dumps(order(amount=99.9)).encode()
    response = await post(client, body, sign(body))
    assert response.status_code == 201
    assert response.json()["points"] == 99


async def test_refund_reverses_the_points(client: httpx.AsyncClient, concierge: Concierge) -> None:
    paid = json.dumps(order()).encode()
    refund = json.dumps(order(status="refunded")).encode()
    await post(client, paid, sign(paid))
    response = await post(client, refund, sign(refund))
    assert response.status_code == 200
    assert response.json()["result"] == "refunded"
    async with concierge.db.unit_of_work() as uow:
        assert await uow.ledger.balance(1) == 0


async def test_webhook_is_off_without_a_secret(concierge: Concierge) -> None:
    app = create_app(concierge, background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        body = json.dumps(order()).encode()
        response = await http.post("/api/purchases", content=body)
    assert response.status_code == 404


async def test_health_answers_when_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_describes_the_purchase_body(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    body = spec["paths"]["/api/purchases"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"order_id", "phone", "amount", "currency", "purchased_at"}


async def test_start_up_says_in_one_line_each_part_that_is_off(
    concierge: Concierge, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(concierge, background=False)
    with caplog.at_level("INFO", logger="concierge.web"):
        async with app.router.lifespan_context(app):
            pass
    assert [r.getMessage() for r in caplog.records] == [
        "POS webhook off: CONCIERGE_POS_SECRET is not set",
        "Telegram off: TELEGRAM_BOT_TOKEN is not set",
        "WhatsApp off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM and "
        "CONCIERGE_PUBLIC_URL",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"name": "Giulia\u0000"}, "name", "contains a control character (U+0000)"),
        ({"order_id": "POS-\ud800"}, "order_id", "contains a lone surrogate (U+D800)"),
        ({"email": "g@example.com\u001b"}, "email", "contains a control character (U+001B)"),
        ({"category": "ring\ud83d"}, "category", "contains a lone surrogate (U+D83D)"),
        ({"store": "Milano\u0000"}, "store", "contains a control character (U+0000)"),
        ({"phone": "+39 347 123 4567\u0000"}, "phone", "contains a control character (U+0000)"),
        (
            {"purchased_at": "0001-01-01T00:00:00+14:00"},
            "purchased_at",
            "out of range: from 1900-01-01 to now",
        ),
        (
            {"purchased_at": "9999-12-31T23:59:59Z"},
            "purchased_at",
            "out of range: from 1900-01-01 to now",
        ),
        (
            {"purchased_at": "2026-11-24T10:05:01Z"},  # the clock's five minutes, and a second
            "purchased_at",
            "in the future (more than 5 minutes after the club's clock)",
        ),
    ],
)
async def test_text_or_a_date_the_club_cannot_keep_is_refused_naming_the_field(
    client: httpx.AsyncClient, concierge: Concierge, changes: dict[str, str], field: str,
    reason: str,
) -> None:  # fmt: skip
    body = json.dumps(order(**changes)).encode()  # "\ud800" travels as JSON's escape

    response = await post(client, body, sign(body))

    assert response.status_code == 422
    assert response.json() == {"detail": {"field": field, "reason": reason}}
    assert await stored(concierge) == (0, 0)
