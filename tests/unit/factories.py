"""Small builders for the facts the rules take: moments, purchases, ledger entries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from loyalty.badges import PurchaseFact
from loyalty.points import Entry, Kind, Reason, earn_entry


def utc(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC moment; noon unless told otherwise."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fact(
    order_id: str,
    at: datetime,
    spend: str | int = 100,
    *,
    points: int | None = None,
    category: str | None = "ring",
    limited_edition: bool = False,
    refunded: bool = False,
) -> PurchaseFact:
    """A stored purchase; points default to the spend at the demo's one point per euro."""
    amount = Decimal(spend)
    return PurchaseFact(
        order_id=order_id,
        at=at,
        spend=amount,
        points=int(amount) if points is None else points,
        category=category,
        limited_edition=limited_edition,
        refunded=refunded,
    )


def earn(order_id: str, points: int, at: datetime) -> Entry:
    return earn_entry(order_id, points, at, "milano")


def redeem(points: int, at: datetime, key: str = "r1") -> Entry:
    """A redeem written straight into a ledger (no balance check): for building histories."""
    return Entry(Kind.REDEEM, -points, at, f"redeem:{key}", Reason.REWARD, {"note": "gift"})
