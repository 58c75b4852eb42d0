"""Tables. Times are stored in UTC; money as Decimal beside its ISO currency."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in Python, UTC in the database, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Money = Numeric(14, 2, asdecimal=True)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


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


class ConversationState(Base):
    """Where each conversation stands, so any worker can take the next message."""

    __tablename__ = "conversation_state"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[list[list[str]] | None] = mapped_column(JSON)  # numbered: [label, action]
    # messages not understood in a row (two: a person is asked to help)
    misses: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    recent: Mapped[list[list[str]] | None] = mapped_column(JSON)  # last lines: [who, text]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundReceipt(Base):
    """An inbound message id, inserted by the transaction that handles the message, before
    the webhook answers: a repeat conflicts with it and is ignored.

    A message whose handling failed is recorded open with its payload (for a restart to
    try again), kept only until it is handled or given up: after MAX_TRIES tries, or at
    once when no try could read it. `error` says why (what broke, never what the member
    wrote).
    """

    __tablename__ = "inbound_receipt"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        Index("ix_inbound_receipt_pending", "handled_at", "channel"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(120))


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


class Staff(Base):
    """Someone of the shop who may act in the staff group; removed staff are kept for the
    transcripts they wrote, but may no longer act."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))  # concierge | manager
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Handoff(Base):
    """A conversation with staff: open from the member's request until staff close it.

    At most one is open per chat (a partial UNIQUE index); its topic in the staff group is
    `thread_id`, known once Telegram has made it.
    """

    __tablename__ = "handoff"
    __table_args__ = (
        Index("ix_handoff_member", "member_id", "status"),
        Index(
            "uq_handoff_open_chat",
            "channel",
            "address",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_handoff_thread", "thread_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(16))  # asked | confused
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class TranscriptLine(Base):
    """One line of a conversation with staff, kept for the program's retention period."""

    __tablename__ = "transcript_line"
    __table_args__ = (Index("ix_transcript_line_handoff", "handoff_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoff.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(8))  # member | bot | staff | note
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(512))  # the channel's reference to it


class OutboxMessage(Base):
    """One message to send, written in the transaction that decided it; sent at most once.

    `status` moves forward only: pending -> sending -> queued -> sent -> delivered -> read
    (or failed / undelivered with the provider's error code); `awaiting_window` waits for
    the member to write again (WhatsApp's 24-hour window), `awaiting_template` for an
    approved template of its kind (or the member's next message).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_address", "channel", "address", "status"),
        Index("ix_outbox_message_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str | None] = mapped_column(String(240), unique=True)  # idempotency
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # "reply", or a template kind
    purpose: Mapped[str | None] = mapped_column(String(16))  # consent needed; None: a reply
    # why it may go: "consent: birthday" (marketing), "requested: rsvp 12" (news of a request)
    basis: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # not before; None: now
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the dispatcher holding it
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # then others may act
    body: Mapped[str] = mapped_column(Text)
    media: Mapped[str | None] = mapped_column(Text)  # what the attachment shows (a QR payload)
    photo: Mapped[str | None] = mapped_column(String(512))  # a file relayed, by reference
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoff.id", ondelete="CASCADE"))
    variables: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(24))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(Base):
    """A private preview or trunk show. `seats_taken` counts the seats held (going and
    offered), changed only with the row locked; the CHECK keeps it within capacity."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    plus_ones: Mapped[int] = mapped_column(SmallInteger, default=0)  # guests a member may bring
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)  # who may come (empty: anyone)
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)
    badges: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # published: priority runs from it
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventGuest(Base):
    """A member named on an event's guest list."""

    __tablename__ = "event_guest"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )


class Rsvp(Base):
    """A member's answer to an event: going (with guests), declined, waiting, offered a
    freed seat until `offered_until`, or cancelled. One per member and event."""

    __tablename__ = "rsvp"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        Index("ix_rsvp_event_status", "event_id", "status", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    plus_ones: Mapped[int] = mapped_column(SmallInteger, default=0)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str | None] = mapped_column(String(16))  # where it was answered: news goes


class StaffHours(Base):
    """When a staff member works, per weekday (0 Monday), in the store's zone."""

    __tablename__ = "staff_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class Closure(Base):
    """A day the store is closed (a holiday, an inventory)."""

    __tablename__ = "closure"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Appointment(Base):
    """A booking: `block_end` adds the service's buffer, the time kept free after it.

    Two bookings never share a staff member's time: bookings of one staff member are
    made with their staff row locked, after checking what overlaps."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_staff_time", "staff_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # booked | cancelled | no_show
    note: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(512))
    channel: Mapped[str | None] = mapped_column(String(16))  # where it was booked: news goes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SendBudget(Base):
    """A pace's key (a bot, a chat, a sender) and its theoretical arrival time (GCRA's TAT,
    epoch seconds): shared by every process of a bot on PostgreSQL (storage/pace.py). SQLite
    has the table, empty: its one process keeps its budgets in memory."""

    __tablename__ = "send_budget"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tat: Mapped[float] = mapped_column(Double)
