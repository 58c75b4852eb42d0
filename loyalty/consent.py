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
    SERVICE = "service"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class ConsentChange:
    purpose: Purpose
    channel: Channel
    granted: bool
    at: datetime
    source: str
    wording: str


def current(changes: Iterable[ConsentChange]) -> dict[tuple[Purpose, Channel], bool]:
    """Each (purpose, channel)'s standing consent; absent means never asked, so no."""
    state: dict[tuple[Purpose, Channel], bool] = {}
    for change in sorted(changes, key=lambda c: c.at):
        state[(change.purpose, change.channel)] = change.granted
    return state


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
    return [p for p in Purpose if before.get((p, channel)) and not standing.get((p, channel))]
