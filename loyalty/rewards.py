"""Rewards members take with their points, pure: what the program file says of each, who
may take what, the discount a tier is worth, and a voucher's points held, spent or given
back; and what the services need of storage for it (`RewardStore`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import Field, model_validator

from loyalty.points import Entry, InsufficientPoints, Kind, Reason, balance
from loyalty.strict import Names, Strict


class Reward(Strict):
    """One reward of the program file. A voucher is used at the till; an experience is a
    private moment booked through the club's services (`service`). Who may take it: any
    of `tiers` (empty: every tier) holding every one of `badges`."""

    kind: Literal["voucher", "experience"] = "voucher"
    name: Names
    description: Names
    cost: int = Field(gt=0)  # points
    tiers: list[str] = Field(default_factory=list)
    badges: list[str] = Field(default_factory=list)
    stock: int | None = Field(default=None, ge=0)  # None: as many as members take
    valid_days: int | None = Field(default=None, gt=0)  # None: valid until used
    discount: dict[str, Decimal] = Field(default_factory=dict)  # percent off, by tier
    service: str | None = None  # an experience's appointment

    @model_validator(mode="after")
    def _kind(self) -> Reward:
        if self.kind == "experience" and self.service is None:
            raise ValueError("an experience names the service it books (service = ...)")
        if self.kind == "voucher" and self.service is not None:
            raise ValueError("only an experience books a service")
        for tier, percent in self.discount.items():
            if not 0 < percent <= 100:
                raise ValueError(f"discount.{tier}: a percentage above 0, at most 100")
        return self


def check(
    rewards: Mapping[str, Reward],
    languages: Iterable[str],
    tiers: Iterable[str],
    badges: Iterable[str],
    services: Iterable[str],
) -> None:
    """Raise ValueError naming the first reward that names what the program does not hold
    (a tier, a badge, a service) or misses a language."""
    spoken, known_tiers = set(languages), set(tiers)
    known_badges, known_services = set(badges), set(services)
    for key, reward in rewards.items():
        for part, names in (("name", reward.name), ("description", reward.description)):
            missing = spoken - names.keys()
            if missing:
                raise ValueError(f"rewards.{key}.{part}: no text in {', '.join(sorted(missing))}")
        for part, what, given, known in (
            ("tiers", "tier", reward.tiers, known_tiers),
            ("discount", "tier", reward.discount, known_tiers),
            ("badges", "badge", reward.badges, known_badges),
        ):
            unknown = sorted(set(given) - known)
            if unknown:
                raise ValueError(f"rewards.{key}.{part}: unknown {what} {unknown[0]!r}")
        if reward.service is not None and reward.service not in known_services:
            raise ValueError(f"rewards.{key}.service: unknown service {reward.service!r}")


def may_take(reward: Reward, tier: str, held: Iterable[str]) -> bool:
    """Whether a member in `tier` holding the badges `held` may take `reward` at all (the
    points aside). A tier-valued discount is for the tiers it values only."""
    if reward.tiers and tier not in reward.tiers:
        return False
    if reward.discount and tier not in reward.discount:
        return False
    return set(reward.badges) <= set(held)


def discount(reward: Reward, tier: str) -> Decimal | None:
    """The percentage off a member in `tier` is given; None for a reward without one."""
    return reward.discount.get(tier)


@dataclass(frozen=True)
class Offer:
    """A reward a member may take: now (`short` is 0), or once `short` more points come;
    `left` of its stock (None: no stock to run out)."""

    key: str
    reward: Reward
    short: int
    left: int | None = None

    @property
    def available(self) -> bool:
        """Whether one is left to take (vouchers given back put theirs back)."""
        return self.left is None or self.left > 0


def left(reward: Reward, out: int) -> int | None:
    """How many of `reward` are left when `out` are held or used; None: no stock."""
    return None if reward.stock is None else max(0, reward.stock - out)


def offers(
    rewards: Mapping[str, Reward],
    tier: str,
    held: Iterable[str],
    points: int,
    out: Mapping[str, int] | None = None,
) -> list[Offer]:
    """The rewards a member may take, cheapest first, with what is left of their stock
    (`out`: how many of each are held or used); those they may not take are left out, so
    that a reward of a hidden tier is never shown to anyone outside it."""
    held, out = set(held), out or {}
    found = [
        Offer(key, reward, max(0, reward.cost - points), left(reward, out.get(key, 0)))
        for key, reward in rewards.items()
        if may_take(reward, tier, held)
    ]
    return sorted(found, key=lambda offer: (offer.reward.cost, offer.key))


class Status(StrEnum):
    HELD = "held"  # its points held, waiting for the till
    USED = "used"  # its points spent
    CANCELLED = "cancelled"  # its points given back
    EXPIRED = "expired"  # its points given back


@dataclass(frozen=True)
class Voucher:
    """A reward taken: `points` held from the ledger until it is used (spent), cancelled or
    expired (given back). An experience's voucher names the appointment it booked: it is
    used when that time is over, given back when the booking is cancelled."""

    id: int
    member_id: int
    reward: str
    points: int
    discount: Decimal | None
    status: Status
    taken_at: datetime
    expires_at: datetime | None
    ended_at: datetime | None
    appointment_id: int | None = None
    used_by: str | None = None  # what used it: `pos`, `pos order <id>`, `staff`

    @property
    def number(self) -> str:
        return voucher_number(self.id)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def voucher_number(voucher_id: int) -> str:
    return f"V{voucher_id:05d}"


def ends(taken_at: datetime, reward: Reward) -> datetime | None:
    """When a voucher taken at `taken_at` stops being valid; None: never."""
    return taken_at + timedelta(days=reward.valid_days) if reward.valid_days else None


def hold(entries: Sequence[Entry], points: int, at: datetime, voucher_id: int) -> Entry:
    """The entry holding a voucher's points; InsufficientPoints beyond the balance."""
    available = balance(entries)
    if points > available:
        raise InsufficientPoints(points, available)
    number = voucher_number(voucher_id)
    return Entry(Kind.HOLD, -points, at, f"hold:{number}", Reason.VOUCHER, {"voucher": number})


def give_back(voucher: Voucher, at: datetime) -> Entry:
    """The entry returning a voucher's held points; its key lets it land once."""
    number = voucher.number
    return Entry(
        Kind.RETURN, voucher.points, at, f"return:{number}", Reason.VOUCHER, {"voucher": number}
    )


class RewardStore(Protocol):
    """Vouchers and the stock of rewards taken. Every change of a voucher's status is
    conditional on it being held, and says whether it took effect: of two at once, one."""

    async def add(
        self,
        member_id: int,
        reward: str,
        points: int,
        discount: Decimal | None,
        now: datetime,
        expires_at: datetime | None,
        appointment_id: int | None = None,
    ) -> Voucher: ...
    async def due(self, now: datetime, limit: int) -> Sequence[Voucher]: ...
    async def happened(self, now: datetime, limit: int) -> Sequence[Voucher]: ...
    async def of_appointment(self, appointment_id: int) -> Voucher | None: ...
    async def end(
        self,
        voucher_id: int,
        status: Status,
        now: datetime,
        valid_at: datetime | None = None,
        used_by: str | None = None,
    ) -> bool: ...
    async def get(self, voucher_id: int) -> Voucher | None: ...
    async def of_member(self, member_id: int) -> Sequence[Voucher]: ...
    async def out(self) -> dict[str, int]: ...
    async def put_back(self, reward: str) -> None: ...
    async def taken(self, member_ids: Sequence[int]) -> dict[int, dict[str, int]]: ...
    async def take_stock(self, reward: str, stock: int) -> bool: ...
