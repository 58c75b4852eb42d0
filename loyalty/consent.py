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
