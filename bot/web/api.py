"""The signed APIs other systems call: purchases from the POS or the e-commerce site, and
redemptions at the till."""

from __future__ import annotations

import hashlib
import hmac
import json
from secrets import token_urlsafe
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from bot.web.bodies import MAX_BODY, read_body
from bot.web.state import App
from loyalty.points import InsufficientPoints
from loyalty.purchases import InvalidPurchase, parse_purchase
from services.members import MemberError, member_number
from services.purchases import Result, ingest
from services.redemptions import (
    OrderMismatch,
    UnknownVoucher,
    VoucherGone,
    redeem_order,
    use_voucher,
)

router = APIRouter()
ORDER_ID_MAX = 200  # its ledger keys stay within their 240 characters


class PurchaseBody(BaseModel):
    """A purchase as the POS sends it (documentation for the OpenAPI page)."""

    order_id: str
    phone: str = Field(description="E.164, or national in the club's default country")
    amount: str | float = Field(description="decimal string or number, at most two decimals")
    currency: str = Field(description="ISO 4217; the club needs a rate for it")
    purchased_at: str = Field(description="ISO 8601; without an offset, the store's time")
    name: str | None = None
    email: str | None = None
    category: str | None = None
    limited_edition: bool = False
    store: str | None = None
    status: str = Field("paid", description="paid | refunded")


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Check `sha256=<hex HMAC-SHA256 of the raw body>` in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


async def _signed_body(request: Request, app: App) -> bytes:
    """The body the POS signed; 404 when the webhook is off, 401 when unsigned."""
    if app.settings.pos_secret is None:
        raise HTTPException(404)
    body = await read_body(request, MAX_BODY)
    secret = app.settings.pos_secret.get_secret_value()
    if not signature_ok(secret, body, request.headers.get("x-concierge-signature")):
        raise HTTPException(401, "missing or invalid X-Concierge-Signature")
    return body


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        fields = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(422, {"field": "body", "reason": "not valid JSON"}) from None
    if not isinstance(fields, dict):
        raise HTTPException(422, {"field": "body", "reason": "must be a JSON object"})
    return fields


@router.post(
    "/api/purchases",
    summary="Record a purchase from the POS or the e-commerce site",
    description=(
        "Signed with `X-Concierge-Signature: sha256=<hex HMAC-SHA256 of the raw body>` "
        "using CONCIERGE_POS_SECRET. 201 created, 200 already known (no second credit) "
        "or refund applied, 401 bad signature, 413 body over 64 KiB, 422 bad body, "
        "404 when the webhook is off."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PurchaseBody.model_json_schema()}},
        }
    },
)
async def purchases(app: App, body: Annotated[bytes, Depends(_signed_body)]) -> JSONResponse:
    try:
        purchase = parse_purchase(_json_object(body), app.program, app.clock())
    except InvalidPurchase as exc:
        raise HTTPException(422, {"field": exc.field, "reason": exc.reason}) from None
    [outcome] = await ingest(app.db.unit_of_work, [purchase], "pos", app.clock(), app.program)
    return JSONResponse(
        {
            "order_id": outcome.order_id,
            "result": outcome.result,
            "member": member_number(outcome.member_id),
            "points": outcome.points,
        },
        status_code=201 if outcome.result is Result.CREATED else 200,
    )


class VoucherRedemption(BaseModel):
    """A voucher the till scanned, and the sale it is used on: with `order_id`, the same call
    again answers 200 as the first did, and the voucher on any other order 410."""

    voucher: str = Field(min_length=1, description="the QR code's text, as the scanner reads it")
    order_id: str | None = Field(
        None,
        min_length=1,
        max_length=ORDER_ID_MAX,
        description="the till's sale; makes a retry of this call safe (200, nothing twice)",
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"voucher": "RWD1:V00012:3f9a…", "order_id": "POS-1042"}]
        },
    }


class OrderRedemption(BaseModel):
    """Points taken against an order; the order id is the idempotency key."""

    order_id: str = Field(min_length=1, max_length=ORDER_ID_MAX)
    member: str = Field(description="phone (E.164 or national) or member number (M00042)")
    points: int = Field(gt=0)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"order_id": "POS-1042", "member": "M00042", "points": 500}]
        },
    }


class VoucherUsed(BaseModel):
    voucher: str = Field(examples=["V00012"])
    result: str = Field(examples=["used"])
    member: str = Field(examples=["M00042"])
    reward: str = Field(examples=["care_kit"])
    points: int = Field(examples=[300])
    discount: str | None = Field(None, description="a tier-valued discount, if the reward is one")
    order_id: str | None = Field(None, examples=["POS-1042"])


class OrderRedeemed(BaseModel):
    order_id: str = Field(examples=["POS-1042"])
    result: str = Field(description="created | unchanged", examples=["created"])
    member: str = Field(examples=["M00042"])
    points: int = Field(examples=[500])
    balance: int = Field(description="the member's points after it", examples=[740])


class Refused(BaseModel):
    error: str
    balance: int | None = Field(None, description="with 409 when the points are not there")


def _redemption(body: bytes) -> VoucherRedemption | OrderRedemption:
    """The body as one of the two forms, or 422 naming the field."""
    fields = _json_object(body)
    form: type[VoucherRedemption] | type[OrderRedemption]
    form = VoucherRedemption if "voucher" in fields else OrderRedemption
    try:
        return form.model_validate(fields, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise HTTPException(422, {"field": field, "reason": first["msg"]}) from None


def _refused(status: int, error: str, **more: int) -> JSONResponse:
    return JSONResponse({"error": error, **more}, status_code=status)


@router.post(
    "/api/redemptions",
    summary="Use a voucher, or redeem points against an order, at the till",
    description=(
        "Signed like /api/purchases (`X-Concierge-Signature`, CONCIERGE_POS_SECRET). Either "
        '`{"voucher": "<QR text>", "order_id"?}` or `{"order_id", "member", "points"}`. 201 '
        "done; 200 the same call again (the same voucher on the same order_id, or the same "
        "order redeemed before): the first answer, nothing taken twice; 409 with `balance` "
        "when the points are not there, or the order was redeemed for another member or "
        "amount; 404 unknown voucher or member; 410 voucher used (otherwise, or without "
        "order_id), cancelled or expired; 401 bad signature; "
        "422 bad body. A refund of the order through /api/purchases or the CSV gives the "
        "points back once."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            VoucherRedemption.model_json_schema(),
                            OrderRedemption.model_json_schema(),
                        ]
                    }
                }
            },
        }
    },
    status_code=201,
    responses={
        200: {
            "model": VoucherUsed | OrderRedeemed,
            "description": "the same call again: the voucher used on this order, the order "
            "redeemed before",
        },
        201: {"model": VoucherUsed | OrderRedeemed, "description": "used, or redeemed"},
        404: {"model": Refused, "description": "unknown voucher or member"},
        409: {"model": Refused, "description": "not enough points, or another redemption"},
        410: {"model": Refused, "description": "voucher used, cancelled or expired"},
    },
)
async def redemptions(app: App, body: Annotated[bytes, Depends(_signed_body)]) -> JSONResponse:
    asked = _redemption(body)
    if isinstance(asked, VoucherRedemption):
        return await _use_voucher(app, asked.voucher, asked.order_id)
    try:
        done = await redeem_order(
            app.db.unit_of_work, asked.order_id, asked.member, asked.points, app.clock(),
            app.program,
        )  # fmt: skip
    except MemberError as exc:
        return _refused(404, str(exc))
    except InsufficientPoints as exc:
        return _refused(409, "not enough points", balance=exc.balance)
    except OrderMismatch as exc:
        return _refused(409, str(exc))
    return JSONResponse(
        OrderRedeemed(
            order_id=asked.order_id,
            result="created" if done.created else "unchanged",
            member=member_number(done.member_id),
            points=done.points,
            balance=done.balance,
        ).model_dump(),
        status_code=201 if done.created else 200,
    )


async def _use_voucher(app: App, payload: str, order_id: str | None) -> JSONResponse:
    try:
        done = await use_voucher(
            app.db.unit_of_work, payload, app.clock(), app.program, lambda: token_urlsafe(32),
            order_id,
        )  # fmt: skip
    except UnknownVoucher as exc:
        return _refused(404, str(exc))
    except VoucherGone as exc:
        return _refused(410, str(exc))
    used = done.voucher
    return JSONResponse(
        VoucherUsed(
            voucher=used.number,
            result="used",
            member=member_number(used.member_id),
            reward=used.reward,
            points=used.points,
            discount=None if used.discount is None else str(used.discount),
            order_id=order_id,
        ).model_dump(),
        status_code=201 if done.created else 200,
    )
