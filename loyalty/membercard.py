"""The text inside the QR codes we issue: the member card (the member number) and event
tickets (event and member), signed so they cannot be forged."""

from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "CLUB1"
TICKET = "EVT1"
_PAYLOAD = re.compile(rf"^{PREFIX}:(M\d{{5,}}):([0-9a-f]{{20}})$")
_TICKET = re.compile(rf"^{TICKET}:E(\d+):(M\d{{5,}}):([0-9a-f]{{20}})$")


def _signed(body: str, key: str) -> str:
    signature = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()[:20]
    return f"{body}:{signature}"


def _genuine(payload: str, key: str) -> bool:
    body, _, signature = payload.rpartition(":")
    return hmac.compare_digest(_signed(body, key), f"{body}:{signature}")


def qr_payload(number: str, key: str) -> str:
    """What the till's scanner reads, e.g. ``CLUB1:M00042:3f9a...``."""
    return _signed(f"{PREFIX}:{number}", key)


def verify(payload: str, key: str) -> str | None:
    """The member number a genuine payload carries; None for anything forged or garbled."""
    match = _PAYLOAD.match(payload.strip())
    return match.group(1) if match and _genuine(payload.strip(), key) else None


def ticket_payload(event_id: int, number: str, key: str) -> str:
    """What the door's scanner reads for one member at one event: ``EVT1:E7:M00042:...``."""
    return _signed(f"{TICKET}:E{event_id}:{number}", key)


def verify_ticket(payload: str, key: str) -> tuple[int, str] | None:
    """(event id, member number) of a genuine ticket; None for anything forged or garbled."""
    match = _TICKET.match(payload.strip())
    if not match or not _genuine(payload.strip(), key):
        return None
    return int(match.group(1)), match.group(2)
