"""Members: who they are, what they bought and earned, what they agreed to, and how we
reach them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Money, UTCDateTime


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    birthday_month: Mapped[int | None] = mapped_column(SmallInteger)
    birthday_day: Mapped[int | None] = mapped_column(SmallInteger)
    birthday_year: Mapped[int | None] = mapped_column(SmallInteger)
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Anniversary(Base):
    __tablename__ = "anniversary"
    __table_args__ = (UniqueConstraint("member_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    on: Mapped[date] = mapped_column(Date)


class OccasionDate(Base):
    """A member's yearly dates, by month and day, so a day's occasions are an index lookup.

    Kept by `storage.repositories.OccasionDates.refresh` from the member's birthday, join
    date, first purchase and declared anniversaries (local dates in the member's zone).
    """

    __tablename__ = "occasion_date"
    __table_args__ = (Index("ix_occasion_date_month_day", "month", "day"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[int] = mapped_column(SmallInteger)
    since: Mapped[date | None] = mapped_column(
        Date
    )  # the first one; None: a birthday's year unknown


class ChannelIdentity(Base):
    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(16))  # the platform's hint
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # WhatsApp's window


class Purchase(Base):
    __tablename__ = "purchase"
    __table_args__ = (
        # a member's kept purchases in order, from the index alone (migration 0018)
        Index("ix_purchase_member_at", "member_id", "purchased_at", "status"),
        Index("ix_purchase_purchased_at", "purchased_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    base_amount: Mapped[Decimal] = mapped_column(Money)
    points: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(200))
    limited_edition: Mapped[bool] = mapped_column(Boolean, default=False)
    store: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PurchaseSummary(Base):
    """A member's kept (not refunded) purchases summed up, written with them
    (storage/summaries.py): the figures read 100,000 of these rather than aggregate a
    million purchases. No row: no kept purchase. `categories` holds each distinct category
    between line breaks (which a category cannot contain), so the segment rules, which name
    categories in the program, are a LIKE away."""

    __tablename__ = "purchase_summary"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    purchases: Mapped[int] = mapped_column(Integer)
    spend: Mapped[Decimal] = mapped_column(Money)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    second_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kinds: Mapped[int] = mapped_column(Integer)
    categories: Mapped[str] = mapped_column(Text)


class LedgerEntry(Base):
    """Append-only. `key` makes every fact (an order's earn, a lot's expiry) land once."""

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_member_at", "member_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    key: Mapped[str] = mapped_column(String(240), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TierStatus(Base):
    __tablename__ = "tier_status"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited: Mapped[bool] = mapped_column(Boolean, default=False)


class BadgeAward(Base):
    __tablename__ = "badge_award"
    __table_args__ = (UniqueConstraint("member_id", "badge"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    badge: Mapped[str] = mapped_column(String(64))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Consent(Base):
    """Every change of consent, never updated in place: the history is the record."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_member", "member_id", "purpose", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(64))
    wording: Mapped[str] = mapped_column(Text)


class LinkToken(Base):
    """A single-use invitation that links a chat account to a member."""

    __tablename__ = "link_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClubSecret(Base):
    """Keys the club generates for itself (e.g. to sign member QR codes)."""

    __tablename__ = "club_secret"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
