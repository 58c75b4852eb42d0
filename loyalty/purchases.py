"""A purchase as it arrives (CSV row or POS webhook), checked before anything is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from loyalty.dates import EARLIEST, OutOfRange, moment_in
from loyalty.phones import InvalidPhone, normalize_phone
from loyalty.program import Program
from loyalty.text import unstorable

REQUIRED = ("order_id", "phone", "amount", "currency", "purchased_at")
OPTIONAL = ("name", "email", "category", "limited_edition", "store", "status")
MAX_FIELD = 200
AHEAD = timedelta(minutes=5)  # a till's clock a little ahead of ours: later is no sale yet
FUTURE = "in the future (more than 5 minutes after the club's clock)"
RANGE = f"out of range: from {EARLIEST:%Y-%m-%d} to now"


class Status(StrEnum):
    PAID = "paid"
    REFUNDED = "refunded"


class InvalidPurchase(ValueError):
    """One field of a purchase is wrong; `field` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class PurchaseInput:
    order_id: str
    phone: str
    amount: Decimal
    currency: str
    purchased_at: datetime
    name: str | None = None
    email: str | None = None
    category: str | None = None
    limited_edition: bool = False
    store: str | None = None
    status: Status = Status.PAID


def to_base(amount: Decimal, currency: str, program: Program) -> Decimal:
    """`amount` in the club's base currency, at the program's stated rate, to the cent."""
    return (amount * program.rate(currency)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def points_for(base_amount: Decimal, program: Program) -> int:
    """Points a purchase earns: per whole unit of base currency, rounded down."""
    return int((base_amount * program.points.per_unit).to_integral_value(rounding=ROUND_DOWN))


_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


def _text(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int | float | bool):
        raise InvalidPurchase(name, "must be text")
    text = str(value).strip()
    if len(text) > MAX_FIELD:
        raise InvalidPurchase(name, f"longer than {MAX_FIELD} characters")
    if (problem := unstorable(text)) is not None:
        raise InvalidPurchase(name, problem)
    return text or None


def _required(fields: Mapping[str, Any], name: str) -> str:
    text = _text(fields, name)
    if text is None:
        raise InvalidPurchase(name, "missing")
    return text


def _amount(fields: Mapping[str, Any]) -> Decimal:
    raw = fields.get("amount")
    if isinstance(raw, bool):
        raise InvalidPurchase("amount", "not a number")
    try:
        amount = Decimal(str(raw).strip()) if isinstance(raw, str | int | float) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidPurchase("amount", "missing" if raw in (None, "") else "not a number")
    if amount < 0:
        raise InvalidPurchase("amount", "negative (send a refund with status=refunded)")
    if amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
        raise InvalidPurchase("amount", "more than two decimals or too large")
    return amount


def _moment(fields: Mapping[str, Any], program: Program, now: datetime) -> datetime:
    text = _required(fields, "purchased_at")
    try:
        moment = moment_in(text, program.club.zone)
    except OutOfRange:
        raise InvalidPurchase("purchased_at", RANGE) from None
    except ValueError:
        raise InvalidPurchase("purchased_at", "not an ISO 8601 date and time") from None
    if moment > now + AHEAD:
        raise InvalidPurchase("purchased_at", FUTURE)
    return moment


def _flag(fields: Mapping[str, Any], name: str) -> bool:
    value = fields.get(name)
    if isinstance(value, bool):
        return value
    text = (_text(fields, name) or "").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidPurchase(name, "must be true or false")


def parse_purchase(fields: Mapping[str, Any], program: Program, now: datetime) -> PurchaseInput:
    """Check one purchase's fields (CSV strings or JSON values) against the club's rules, as
    of `now`."""
    order_id = _required(fields, "order_id")
    amount = _amount(fields)
    currency = _required(fields, "currency").upper()
    if not program.knows_currency(currency):
        raise InvalidPurchase("currency", f"unknown currency {currency!r} (no exchange rate)")
    try:
        phone = normalize_phone(_required(fields, "phone"), program.club.default_country)
    except InvalidPhone as exc:
        raise InvalidPurchase("phone", str(exc)) from None
    status_text = (_text(fields, "status") or Status.PAID).lower()
    try:
        status = Status(status_text)
    except ValueError:
        raise InvalidPurchase("status", "must be paid or refunded") from None
    category = _text(fields, "category")
    return PurchaseInput(
        order_id=order_id,
        phone=phone,
        amount=amount,
        currency=currency,
        purchased_at=_moment(fields, program, now),
        name=_text(fields, "name"),
        email=_text(fields, "email"),
        category=category.lower() if category else None,
        limited_edition=_flag(fields, "limited_edition"),
        store=_text(fields, "store"),
        status=status,
    )
