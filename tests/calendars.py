"""Calendar files as strict clients read them: parsed by `icalendar` and by `vobject` (which
validates each component), with what RFC 5545 and iTIP (RFC 5546) require checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar
import vobject

REQUIRED = ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "ORGANIZER")


@dataclass(frozen=True)
class Read:
    """What a strict client keeps of a file's one entry."""

    method: str
    uid: str
    sequence: int
    stamp: datetime
    start: datetime
    end: datetime
    status: str
    location: str


def strict(text: str | bytes) -> Read:
    """The file's one entry, after both parsers took it and every requirement held; an
    AssertionError (or the parser's error) names what a strict client would refuse."""
    raw = text.decode() if isinstance(text, bytes) else text
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", ""), "CRLF line ends"
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n")), "lines folded at 75"
    calendar = icalendar.Calendar.from_ical(raw)
    for name in ("PRODID", "VERSION", "METHOD"):
        assert name in calendar, f"VCALENDAR without {name}"
    assert str(calendar["VERSION"]) == "2.0"
    [entry] = calendar.walk("VEVENT")
    for name in REQUIRED:
        assert name in entry, f"VEVENT without {name}"
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    for name in ("DTSTAMP", "DTSTART", "DTEND"):
        moment = entry.decoded(name)
        tzid = entry[name].params.get("TZID")
        assert isinstance(moment, datetime) and moment.tzinfo is not None, f"{name} floats"
        assert tzid in zones if tzid else moment.utcoffset().total_seconds() == 0, name
    method = str(calendar["METHOD"])
    status = str(entry.get("STATUS", ""))
    assert (method, status) in {("PUBLISH", "CONFIRMED"), ("CANCEL", "CANCELLED")}

    strict_copy = vobject.readOne(raw, validate=True)  # vobject's own rules for each part
    [event] = strict_copy.vevent_list
    assert event.uid.value == str(entry["UID"])
    assert event.dtstart.value == entry.decoded("DTSTART")
    assert event.dtstamp.value.astimezone(UTC) == entry.decoded("DTSTAMP")
    return Read(
        method, str(entry["UID"]), int(entry["SEQUENCE"]), entry.decoded("DTSTAMP"),
        entry.decoded("DTSTART"), entry.decoded("DTEND"), status, str(entry.get("LOCATION", "")),
    )  # fmt: skip
