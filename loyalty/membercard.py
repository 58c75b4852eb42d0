"""The text inside the QR codes we issue: the member card (the member number), event
tickets (event and member) and reward vouchers, signed so they cannot be forged."""

from __future__ import annotations

import hashlib
import hmac
import re

from loyalty.ids import parse_id

PREFIX = "CLUB1"
TICKET = "EVT1"
VOUCHER = "RWD1"
_PAYLOAD = re.compile(rf"{PREFIX}:(M[0-9]{{5,}}):([0-9a-f]{{20}})")
_VOUCHER = re.compile(rf"{VOUCHER}:V([0-9]{{5,}}):([0-9a-f]{{20}})")
_TICKET = re.compile(rf"{TICKET}:E([0-9]+):(M[0-9]{{5,}}):([0-9a-f]{{20}})")


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
    match = _PAYLOAD.fullmatch(payload.strip())
    return match.group(1) if match and _genuine(payload.strip(), key) else None


def ticket_payload(event_id: int, number: str, key: str) -> str:
    """What the door's scanner reads for one member at one event: ``EVT1:E7:M00042:...``."""
    return _signed(f"{TICKET}:E{event_id}:{number}", key)


def verify_ticket(payload: str, key: str) -> tuple[int, str] | None:
    """(event id, member number) of a genuine ticket; None for anything forged or garbled."""
    match = _TICKET.fullmatch(payload.strip())
    event_id = parse_id(match.group(1)) if match else None
    if match is None or event_id is None or not _genuine(payload.strip(), key):
        return None
    return event_id, match.group(2)


def voucher_payload(number: str, key: str) -> str:
    """What the till's scanner reads for one voucher: ``RWD1:V00012:...``."""
    return _signed(f"{VOUCHER}:{number}", key)


def verify_voucher(payload: str, key: str) -> int | None:
    """The voucher id a genuine voucher's text carries; None for anything forged or garbled."""
    match = _VOUCHER.fullmatch(payload.strip())
    voucher_id = parse_id(match.group(1).lstrip("0")) if match else None
    if match is None or voucher_id is None or not _genuine(payload.strip(), key):
        return None
    return voucher_id


def holder(payload: str) -> str | None:
    """The member number a card's or a ticket's text names, its signature unchecked (for
    what carries it signed already, such as a media link)."""
    card, ticket = _PAYLOAD.fullmatch(payload), _TICKET.fullmatch(payload)
    return card.group(1) if card else ticket.group(2) if ticket else None
