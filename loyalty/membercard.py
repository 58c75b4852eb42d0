"""The text inside a member's QR code: the member number, signed so it cannot be forged."""

from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "CLUB1"
_PAYLOAD = re.compile(rf"^{PREFIX}:(M\d{{5,}}):([0-9a-f]{{20}})$")


def _signature(number: str, key: str) -> str:
    return hmac.new(key.encode(), f"{PREFIX}:{number}".encode(), hashlib.sha256).hexdigest()[:20]


def qr_payload(number: str, key: str) -> str:
    """What the till's scanner reads, e.g. ``CLUB1:M00042:3f9a...``."""
    return f"{PREFIX}:{number}:{_signature(number, key)}"


def verify(payload: str, key: str) -> str | None:
    """The member number a genuine payload carries; None for anything forged or garbled."""
    match = _PAYLOAD.match(payload.strip())
    if not match:
        return None
    number, signature = match.groups()
    return number if hmac.compare_digest(signature, _signature(number, key)) else None
