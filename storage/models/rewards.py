"""Rewards taken: vouchers, and how many of each reward with a stock are out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Voucher(Base):
    """A reward a member took; its status changes once, from held (UPDATE ... WHERE)."""

    __tablename__ = "voucher"
    __table_args__ = (Index("ix_voucher_status_expires", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    reward: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Integer)
    discount: Mapped[Decimal | None] = mapped_column(Numeric(5, 2, asdecimal=True))
    status: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # an experience's booking: cancelled, its points come back; over, they are spent
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True, unique=True
    )
    # what used it (`pos order POS-1042`, `staff`): the till's same call again is told 200
    used_by: Mapped[str | None] = mapped_column(String(240))


class RewardStock(Base):
    """How many of a reward are out (held or used): the program file says how many there
    are, so that a new stock there needs no change here."""

    __tablename__ = "reward_stock"

    reward: Mapped[str] = mapped_column(String(64), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer)
