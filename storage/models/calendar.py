"""The club's calendar: events and their guests, staff hours, closures, appointments."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Event(Base):
    """A private preview or trunk show. `seats_taken` counts the seats held (going and
    offered), changed only with the row locked; the CHECK keeps it within capacity."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="preview", server_default="preview")
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
    # raised at each move and the cancellation: calendars replace the older copies
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
