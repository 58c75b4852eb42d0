"""The points ledger: append-only entries, a balance that is their sum, expiry oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any

from loyalty.dates import add_months


class Kind(StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    ADJUST = "adjust"
    EXPIRE = "expire"
    REVERSE = "reverse"
    HOLD = "hold"  # a voucher's points, until it is used or given back
    RETURN = "return"  # a voucher's points given back


class Reason(StrEnum):
    """Why an entry exists; rendered for the member in their language."""

    PURCHASE = "purchase"
    REFUND = "refund"
    EXPIRY = "expiry"
    REWARD = "reward"  # points taken for a reward: a redemption
    GOODWILL = "goodwill"
    GIFT = "gift"  # points the club gives on an occasion (the birthday gift)
    VOUCHER = "voucher"  # points held by a voucher, and given back when it is not used


@dataclass(frozen=True)
class Entry:
    """One ledger line. `key` is unique in the ledger: the same fact is never written twice."""

    kind: Kind
    points: int
    occurred_at: datetime
    key: str
    reason: Reason
    detail: dict[str, Any] = field(default_factory=dict)


class InsufficientPoints(ValueError):
    """A redeem asked for more than the balance."""

    def __init__(self, wanted: int, balance: int) -> None:
        super().__init__(f"cannot redeem {wanted} points: the balance is {balance}")
        self.wanted = wanted
        self.balance = balance


def balance(entries: Iterable[Entry]) -> int:
    return sum(entry.points for entry in entries)


def earn_entry(order_id: str, points: int, at: datetime, store: str | None) -> Entry:
    return Entry(
        Kind.EARN,
        points,
        at,
        f"earn:{order_id}",
        Reason.PURCHASE,
        {"order_id": order_id, "store": store},
    )


def redeem_entry(
    entries: Sequence[Entry], points: int, at: datetime, key: str, note: str
) -> Entry:
    """A redeem of `points`, refused (InsufficientPoints) beyond the balance."""
    if points <= 0:
        raise ValueError("a redeem takes a positive number of points")
    available = balance(entries)
    if points > available:
        raise InsufficientPoints(points, available)
    return Entry(Kind.REDEEM, -points, at, f"redeem:{key}", Reason.REWARD, {"note": note})


def order_redeem_key(order_id: str) -> str:
    """The key of points redeemed against a till's order: one redemption per order, ever."""
    return f"redeem:order:{order_id}"


def order_redeem(entries: Sequence[Entry], points: int, at: datetime, order_id: str) -> Entry:
    """Points taken at the till against an order (InsufficientPoints beyond the balance)."""
    entry = redeem_entry(entries, points, at, f"order:{order_id}", f"order {order_id}")
    return replace(entry, detail={**entry.detail, "order_id": order_id})


def order_return(redeemed: Entry, order_id: str, at: datetime) -> Entry:
    """The points redeemed against an order, given back when the order is refunded; its key
    lets it land once however often the refund is told."""
    return Entry(
        Kind.RETURN,
        -redeemed.points,
        at,
        f"return:order:{order_id}",
        Reason.REFUND,
        {"order_id": order_id},
    )


def adjust_entry(
    entries: Sequence[Entry], points: int, at: datetime, key: str, note: str
) -> Entry:
    """A goodwill correction by staff, either way but never below zero; the note says why."""
    if points == 0:
        raise ValueError("an adjustment takes a non-zero number of points")
    available = balance(entries)
    if -points > available:
        raise InsufficientPoints(-points, available)
    return Entry(Kind.ADJUST, points, at, f"adjust:{key}", Reason.GOODWILL, {"note": note})


def gift_entry(occasion_key: str, points: int, at: datetime, occasion: str) -> Entry:
    """The club's gift on an occasion (`occasion`: "birthday"), once per occasion's key."""
    return Entry(Kind.ADJUST, points, at, f"gift:{occasion_key}", Reason.GIFT, {"note": occasion})


def is_gift(entry: Entry) -> bool:
    """A gift of the club, also as gifts were first recorded (a reward keyed `gift:`), so
    that ledgers written then read right without being rewritten."""
    return entry.reason is Reason.GIFT or entry.key.startswith("gift:")


@dataclass
class _Lot:
    """Points from one positive entry, spent or expired oldest first."""

    key: str
    expires_at: datetime | None
    remaining: int
    expired: int = 0


def _lots(entries: Sequence[Entry], expiry_months: int | None) -> list[_Lot]:
    """Replay the ledger in order, consuming lots first-in first-out."""
    lots: list[_Lot] = []
    by_key: dict[str, _Lot] = {}  # a long history expires many lots: no scan for each
    for entry in sorted(entries, key=attrgetter("occurred_at")):
        if entry.points > 0:
            expires = add_months(entry.occurred_at, expiry_months) if expiry_months else None
            lots.append(lot := _Lot(entry.key, expires, entry.points))
            by_key.setdefault(lot.key, lot)
            continue
        owed = -entry.points
        if entry.kind is Kind.EXPIRE:
            lot = by_key[entry.detail["lot"]]
            lot.remaining -= owed
            lot.expired += owed
            continue
        if entry.kind is Kind.REVERSE:
            own = [lot for lot in lots if lot.key == f"earn:{entry.detail['order_id']}"]
            candidates = own + [lot for lot in lots if lot not in own]
        else:
            candidates = [
                lot for lot in lots if lot.expires_at is None or lot.expires_at > entry.occurred_at
            ]
        for lot in candidates:
            take = min(owed, lot.remaining)
            lot.remaining -= take
            owed -= take
            if not owed:
                break
    return lots


def expiries_due(
    entries: Sequence[Entry], now: datetime, expiry_months: int | None
) -> list[Entry]:
    """Expire entries for every lot past its date that still holds points (none twice)."""
    return [
        Entry(
            Kind.EXPIRE,
            -lot.remaining,
            lot.expires_at,
            f"expire:{lot.key}",
            Reason.EXPIRY,
            {"lot": lot.key},
        )
        for lot in _lots(entries, expiry_months)
        if lot.expires_at is not None and lot.expires_at <= now and lot.remaining > 0
    ]


def reversal(
    entries: Sequence[Entry], order_id: str, at: datetime, expiry_months: int | None
) -> Entry | None:
    """The entry that takes back an order's points, less what already expired; None if none."""
    earned = next((e for e in entries if e.key == f"earn:{order_id}"), None)
    if earned is None or any(e.key == f"reverse:{order_id}" for e in entries):
        return None
    lot = next(lot for lot in _lots(entries, expiry_months) if lot.key == earned.key)
    points = earned.points - lot.expired
    if points <= 0:
        return None
    return Entry(
        Kind.REVERSE, -points, at, f"reverse:{order_id}", Reason.REFUND, {"order_id": order_id}
    )


def expiring_soon(
    entries: Sequence[Entry], now: datetime, until: datetime, expiry_months: int | None
) -> list[tuple[datetime, int]]:
    """(date, points) that will expire after `now` and by `until`, for the member's card."""
    return [
        (lot.expires_at, lot.remaining)
        for lot in _lots(entries, expiry_months)
        if lot.expires_at is not None and now < lot.expires_at <= until and lot.remaining > 0
    ]
