"""Which language and zone a member is spoken to in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from locales import Speaker
from loyalty.program import Program


def speaker_for(locale: str | None, timezone: str | None, program: Program) -> Speaker:
    """The member's own setting, else the club's default language and the store's zone."""
    zone = ZoneInfo(timezone) if timezone else program.club.zone
    return Speaker(program.language(locale), zone)
