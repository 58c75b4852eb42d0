"""Small factories for purchases and members, so tests say only what matters to them."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from loyalty.purchases import PurchaseInput, Status

PHONE = "+393471234567"
OTHER_PHONE = "+33612345678"
_orders = itertools.count(1)


def purchase(
    at: datetime,
    amount: str = "100.00",
    *,
    phone: str = PHONE,
    order_id: str | None = None,
    currency: str = "EUR",
    category: str | None = None,
    limited_edition: bool = False,
    status: Status = Status.PAID,
    name: str | None = None,
) -> PurchaseInput:
    return PurchaseInput(
        order_id=order_id or f"ORD-{next(_orders)}",
        phone=phone,
        amount=Decimal(amount),
        currency=currency,
        purchased_at=at,
        name=name,
        category=category,
        limited_edition=limited_edition,
        status=status,
    )
