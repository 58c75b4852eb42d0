"""The back office: staff's web accounts, their one-time links and sessions (tokens kept as
SHA-256 digests only), failed sign-ins and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class OfficeAccount(Base):
    """Someone who signs in to the back office; no password until their link is used."""

    __tablename__ = "office_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # owner | staff
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no sign-in, no link


class OfficeLink(Base):
    """A one-time link to set a password."""

    __tablename__ = "office_link"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("office_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OfficeSession(Base):
    """A signed-in browser, found by its cookie's digest."""

    __tablename__ = "office_session"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("office_account.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfficeFailure(Base):
    """A failed sign-in, counted per e-mail and address to lock out guessing."""

    __tablename__ = "office_failure"
    __table_args__ = (Index("ix_office_failure_who", "email", "address", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfficeAudit(Base):
    """What was done in the back office, by whom (their e-mail, kept if the account goes)."""

    __tablename__ = "office_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(320))  # "<verb-noun> <subject> <detail>"
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
