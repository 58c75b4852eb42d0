"""A day, and perhaps a time, typed in words in the member's language ("Wednesday at 3pm",
"mercredi 15h", "domani alle 11"), read against an injected "now" (pure).

dateparser reads the days and the clock times; it misses the hours people write bare after
"at", "à" or "alle" and the French "15h", so these are first written as "15:00". Reading is
strict: the whole message must be a date, a bare number is never one (it is an option or a
ring size), and months, years or weeks alone are not a day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from dateparser.date import DateDataParser

_FRENCH_HOUR = re.compile(r"\b([01]?\d|2[0-3])\s?h\s?([0-5]\d)?\b", re.IGNORECASE)
_BARE_HOUR = re.compile(
    r"\b(at|around|à|a|vers|alle|all'|verso le|verso|ore)\s+(?:ore\s+)?([01]?\d|2[0-3])"
    r"(?![\d:.h])(?!\s*(?:am|pm|a\.m|p\.m)\b)",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]")  # a letter of any script
_TIME_ONLY = re.compile(
    r"^(?:(?:at|around|à|a|vers|alle|all'|verso le|verso|ore)\s+)?\d{1,2}(?::\d{2})?"
    r"\s*(?:am|pm|a\.m\.|p\.m\.)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Wanted:
    """What the member asked for: a day, and the time on it when they said one."""

    day: date
    at: time | None = None


def _clock_times(text: str) -> str:
    """Bare hours written as clock times: "15h" and "alle 11" as "15:00" and "alle 11:00"."""
    text = _FRENCH_HOUR.sub(lambda m: f"{m[1]}:{m[2] or '00'}", text)
    return _BARE_HOUR.sub(lambda m: f"{m[1]} {m[2]}:00", text)


def read_when(
    text: str, language: str, now: datetime, zone: tzinfo, day: date | None = None
) -> Wanted | None:
    """The day (and time) `text` names in the member's `zone` and `language` (else English),
    the nearest such in the future from `now`; a time alone is on `day`, the day the member
    is looking at, when there is one. None when the whole of it is not a day and time."""
    said = _clock_times(" ".join(text.split()))
    if not said or len(said) > 80:
        return None
    if not _WORDS.search(said) and not re.search(r"\d[:/]\d", said):
        return None  # "3", "52", "2026": an option's number or a size, never a day
    # dateparser takes a time equal to its base's for no time said: no one types seconds
    base = now.astimezone(zone).replace(tzinfo=None, second=59, microsecond=0)
    if day is not None and _TIME_ONLY.match(said):
        base = datetime.combine(day, time(0, 0, 59))
    for reading in dict.fromkeys((language, "en")):
        parser = DateDataParser(
            languages=[reading],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": base,
                "RETURN_TIME_AS_PERIOD": True,
                "PARSERS": ["relative-time", "absolute-time"],  # no timestamps, no "20261125"
            },
        )
        found = parser.get_date_data(said)
        moment = found.date_obj
        if moment is not None and found.period == "time":
            return Wanted(moment.date(), moment.time().replace(second=0, microsecond=0))
        if moment is not None and found.period == "day":
            return Wanted(moment.date())
    return None
