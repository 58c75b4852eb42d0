"""The rules a message meets at the moment it is sent, not only when it was queued.

A reply to the member goes at once. Anything else must still be allowed on that channel,
now (marketing: the member's consent; news of their own request: not turned off); waits out
the quiet hours in the member's zone; and waits while the member has had the program's most
messages in its window (news of their requests aside).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty.consent import Channel, Purpose, allows
from loyalty.occasions import QuietHours, allowed_at, under_cap


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Cancel:
    reason: str


Decision = Send | Defer | Cancel


@dataclass(frozen=True)
class Cap:
    messages: int
    days: int


def decide(
    purpose: Purpose | None,
    channel: Channel,
    consents: dict[tuple[Purpose, Channel], bool],
    now: datetime,
    zone: ZoneInfo,
    quiet: QuietHours,
    cap: Cap,
    sent: Sequence[datetime],
) -> Decision:
    """Send now, wait until a time, or never: for one message to one member."""
    if purpose is None:
        return Send()  # a reply: the member is waiting for it
    if not allows(consents, purpose, channel):
        return Cancel(f"no consent for {purpose} on {channel}")
    when, reason = now, None
    if purpose is not Purpose.SERVICE and not under_cap(sent, now, cap.messages, cap.days):
        recent = sorted(at for at in sent if now - timedelta(days=cap.days) < at <= now)
        # the moment enough of them have left the window for one more
        when = recent[len(recent) - cap.messages] + timedelta(days=cap.days, seconds=1)
        reason = "frequency cap"
    allowed = allowed_at(when, zone, quiet)
    if allowed > now:
        return Defer(allowed, reason or "quiet hours")
    return Send()
