"""The signed APIs other systems call: purchases from the POS or the e-commerce site."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.web.bodies import MAX_BODY, read_body
from bot.web.state import App
from loyalty.purchases import InvalidPurchase, parse_purchase
from services.members import member_number
from services.purchases import Result, ingest

router = APIRouter()


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
