"""The moments the club writes for: which fall on a member's day, and when they may go.

Pure rules: a member's dates in, occasions with their idempotency keys and due times out.
The scan (scheduler) stores them in the outbox; the dispatcher asks `allowed_at` again
when it sends, because quiet hours and the cap are judged at send time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from loyalty.consent import Purpose
from loyalty.dates import Birthday, occurrence_in, wall_clock

BIRTHDAY = "birthday"
CLUB_ANNIVERSARY = "club_anniversary"  # a year (or more) in the club
FIRST_PURCHASE = "first_purchase_anniversary"


@dataclass(frozen=True)
class MemberDates:
    """What the club knows of a member's calendar (declared: wedding, engagement...)."""

    member_id: int
    zone: ZoneInfo
    birthday: Birthday | None = None
    joined: date | None = None
    first_purchase: date | None = None
    declared: dict[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Occasion:
    kind: str  # birthday, club_anniversary, first_purchase_anniversary, or a declared kind
    member_id: int
    on: date  # the day, in the member's zone
    years: int | None  # how many years it marks, when known
    purpose: Purpose
    due: datetime  # the send hour on that day in the member's zone, as an aware datetime

    @property
    def key(self) -> str:
        """The idempotency key: one message per occasion, member and year, ever."""
        return f"{self.kind}:{self.member_id}:{self.on.year}"


@dataclass(frozen=True)
class Yearly:
    """A date that comes back every year: its month and day, and the first one if known."""

    kind: str
    month: int
    day: int
    since: date | None


def yearly(member: MemberDates) -> list[Yearly]:
    """The member's yearly dates; a first purchase on the day they joined counts once."""
    dates = []
    if member.birthday is not None:
        born = member.birthday
        since = date(born.year, born.month, born.day) if born.year else None
        dates.append(Yearly(BIRTHDAY, born.month, born.day, since))
    first = member.first_purchase if member.first_purchase != member.joined else None
    for kind, since in (
        (CLUB_ANNIVERSARY, member.joined),
        (FIRST_PURCHASE, first),
        *sorted(member.declared.items()),
    ):
        if since is not None:
            dates.append(Yearly(kind, since.month, since.day, since))
    return dates


def month_days(day: date) -> list[tuple[int, int]]:
    """The (month, day) pairs whose occasions fall on `day`: 28 February also holds the 29th."""
    pairs = [(day.month, day.day)]
    if occurrence_in(2, 29, day.year) == day and day.day == 28:
        pairs.append((2, 29))
    return pairs


def occasions_on(
    day: date, member_id: int, zone: ZoneInfo, dates: Iterable[Yearly], send_hour: int
) -> list[Occasion]:
    """The occasions falling on `day` (a date in the member's own zone)."""
    found = []
    for when in dates:
        if occurrence_in(when.month, when.day, day.year) != day:
            continue
        years = day.year - when.since.year if when.since is not None else None
        if years is not None and years < 1 and when.kind != BIRTHDAY:
            continue  # the first anniversary is a year after, not the day itself
        purpose = Purpose.BIRTHDAY if when.kind == BIRTHDAY else Purpose.ANNIVERSARY
        due = wall_clock(day, time(send_hour), zone)
        found.append(Occasion(when.kind, member_id, day, years, purpose, due))
    return found


@dataclass(frozen=True)
class QuietHours:
    """Local times between which nothing is sent (start after end: the span crosses midnight)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def allowed_at(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`moment`, or the end of the quiet hours it falls in, in the member's zone."""
    local = moment.astimezone(zone)
    if quiet is None or not quiet.contains(local.time()):
        return moment
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # late evening: quiet until tomorrow morning
    return datetime.combine(day, quiet.end).replace(tzinfo=zone).astimezone(moment.tzinfo)


def under_cap(sent: Iterable[datetime], now: datetime, messages: int, days: int) -> bool:
    """Whether one more message keeps the member within `messages` per `days` days."""
    since = now - timedelta(days=days)
    return sum(1 for at in sent if since < at <= now) < messages
