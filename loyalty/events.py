"""Private previews and trunk shows: who is invited, when they may answer, who gets a seat.

Pure: the caller passes the member's standing, the event's rules and the time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

GOING, DECLINED, WAITING, OFFERED, CANCELLED = (
    "going",
    "declined",
    "waiting",
    "offered",
    "cancelled",
)
HOLDING = (GOING, OFFERED)  # answers that hold seats
KINDS = ("preview", "trunk_show", "launch", "dinner")  # what an event is, as staff file it


@dataclass(frozen=True)
class Eligibility:
    """Who an event is for. Each kind given must match (any of its values); a member named
    on the guest list is always in. Nothing given: every member."""

    tiers: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    badges: frozenset[str] = frozenset()
    guests: frozenset[int] = frozenset()

    def admits(
        self, member_id: int, tier: str, segments: Collection[str], badges: Collection[str]
    ) -> bool:
        if member_id in self.guests:
            return True
        if not (self.tiers or self.segments or self.badges):
            return not self.guests  # a guest list alone names everyone invited
        return (
            (not self.tiers or tier in self.tiers)
            and (not self.segments or bool(self.segments.intersection(segments)))
            and (not self.badges or bool(self.badges.intersection(badges)))
        )


@dataclass(frozen=True)
class Priority:
    """The program may open events to some tiers first, and to everyone else `hours` later."""

    tiers: frozenset[str] = frozenset()
    hours: int = 0

    def opens_for(self, tier: str, published: datetime) -> datetime:
        if not self.tiers or tier in self.tiers:
            return published
        return published + timedelta(hours=self.hours)


def timing_problem(
    starts_at: datetime, ends_at: datetime, deadline: datetime | None, now: datetime
) -> str | None:
    """What is wrong with an event's times, None when nothing is: members cannot be invited
    to what has begun, nor answer after the doors open."""
    if starts_at <= now:
        return "it starts in the past: give a start after now"
    if ends_at <= starts_at:
        return "it must end after it starts"
    if deadline is not None and deadline > starts_at:
        return "the RSVP deadline must be before the start"
    return None


def edit_problem(capacity: int, plus_ones: int, held: int, parties: Iterable[int]) -> str | None:
    """What is wrong with new seats for an event already answered, None when nothing is:
    `held` seats are promised (going, offered) and each of `parties` is the guests an answer
    brings (going, offered, waiting); no one loses the place or the guests already given."""
    if capacity < held:
        return f"capacity cannot go below the {held} seat(s) already held"
    if plus_ones < max(parties, default=0):
        return "guests allowed cannot go below what members already bring"
    return None


def on_the_day(starts_at: datetime, ends_at: datetime, now: datetime, zone: tzinfo) -> bool:
    """Whether a ticket may be checked in now: from the morning of the event's day to the
    end of the day it ends, in the store's zone (a scan days before or after is a mistake)."""
    today = now.astimezone(zone).date()
    return starts_at.astimezone(zone).date() <= today <= ends_at.astimezone(zone).date()


def answers_until(starts_at: datetime, deadline: datetime | None) -> datetime:
    """The last moment an RSVP is taken: the deadline, else the start."""
    return min(deadline, starts_at) if deadline else starts_at


def seats(plus_ones: int) -> int:
    """The seats an answer takes: the member and their guests."""
    return 1 + plus_ones


def fits(taken: int, capacity: int, wanted: int) -> bool:
    return taken + wanted <= capacity


def rate(part: int, whole: int) -> float | None:
    """A share, None when there is nothing to share (no invitation, no guest)."""
    return part / whole if whole else None


def tally(answers: Iterable[str]) -> dict[str, int]:
    """How many answers of each status, the statuses in alphabetical order."""
    return dict(sorted(Counter(answers).items()))
