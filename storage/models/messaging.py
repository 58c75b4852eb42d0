"""Messages in and out: conversations, receipts, the staff desk, the outbox and its paces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


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
        # a chat handed back lately (where a sender stands: bot/channels/aiogram.py)
        Index("ix_handoff_chat_closed", "channel", "address", "closed_at"),
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
        Index("ix_outbox_message_created_at", "created_at"),
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


class SendBudget(Base):
    """A pace's key (a bot, a chat, a sender) and its theoretical arrival time (GCRA's TAT,
    epoch seconds): shared by every process of a bot on PostgreSQL (storage/pace.py). SQLite
    has the table, empty: its one process keeps its budgets in memory."""

    __tablename__ = "send_budget"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tat: Mapped[float] = mapped_column(Double)
