"""Consent: per purpose and per channel, each change recorded; the latest change wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Purpose(StrEnum):
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    EVENTS = "events"
    NEWS = "news"
    ACCOUNT = "account"  # news of the member's points: earned, tier, badges, expiring
    SERVICE = "service"


class Channel(StrEnum):
    """The channels consent is given on, each for its own."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


NAMES: dict[str, str] = {Channel.TELEGRAM: "Telegram", Channel.WHATSAPP: "WhatsApp"}


def channel_name(channel: str) -> str:
    """A channel as people know it ("WhatsApp"); another name as it is."""
    return NAMES.get(channel, channel)


# News of what the member asked for (their RSVP, their booking) is part of the service they
# asked for: it needs no separate yes, and goes until they turn it off (Preferences, STOP).
REQUESTED = frozenset({Purpose.SERVICE})
MARKETING = tuple(p for p in Purpose if p not in REQUESTED)  # each needs the member's yes


@dataclass(frozen=True)
class ConsentChange:
    purpose: Purpose
    channel: Channel
    granted: bool
    at: datetime
    source: str
    wording: str


def current(changes: Iterable[ConsentChange]) -> dict[tuple[Purpose, Channel], bool]:
    """Each (purpose, channel)'s last recorded change; absent means never asked."""
    state: dict[tuple[Purpose, Channel], bool] = {}
    for change in sorted(changes, key=lambda c: c.at):
        state[(change.purpose, change.channel)] = change.granted
    return state


def allows(
    standing: dict[tuple[Purpose, Channel], bool], purpose: Purpose, channel: Channel
) -> bool:
    """Whether `purpose` may go on `channel` now: marketing once agreed to, news of the
    member's own requests until turned off."""
    return standing.get((purpose, channel), purpose in REQUESTED)


STOP_SOURCE = (
    ":stop"  # the end of the source of a change written by STOP (e.g. chat:whatsapp:stop)
)


def restorable(changes: Iterable[ConsentChange], channel: Channel) -> list[Purpose]:
    """What START gives back on `channel`: granted before the last STOP there, off since."""
    here = sorted((c for c in changes if c.channel == channel), key=lambda c: c.at)  # stable
    stops = [i for i, c in enumerate(here) if c.source.endswith(STOP_SOURCE)]
    if not stops:
        return []
    first = stops[-1]
    while first > 0 and first - 1 in stops and here[first - 1].at == here[stops[-1]].at:
        first -= 1  # one STOP revokes several purposes at once
    before = current(here[:first])
    standing = current(here)
    return [p for p in Purpose if allows(before, p, channel) and not allows(standing, p, channel)]
