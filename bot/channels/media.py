"""Pictures the channels attach: the member card's QR code, staff photos, signed links.

WhatsApp fetches media from a URL; the link carries what to show (the QR text, or the
Telegram file a staff member sent), an expiry and an HMAC signature over the path too, so
the web app serves only what we issued, where we issued it, and only for a while.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
from datetime import datetime, timedelta
from urllib.parse import urlencode

import qrcode
from qrcode.image.pure import PyPNGImage

from loyalty.ids import parse_id

MEDIA_TTL = timedelta(hours=2)  # Twilio fetches at once; WhatsApp keeps its own copy
CLOCK_SLACK = timedelta(minutes=5)  # between the process that signs and the one that serves
QR_PATH = "/media/qr.png"
PHOTO_PATH = "/media/photo"
CALENDAR_PATH = "/media/event.ics"
CALENDAR_FILE = "event.ics"


def qr_png(payload: str) -> bytes:
    """The QR code a till scanner reads, as a PNG."""
    image = qrcode.make(payload, image_factory=PyPNGImage, box_size=8, border=3)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def _signature(key: str, path: str, payload: str, expires: int) -> str:
    message = f"{path}\n{payload}\n{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def media_url(public_url: str, key: str, path: str, payload: str, now: datetime) -> str:
    """A link to `path` showing `payload` that works until MEDIA_TTL from now."""
    expires = int((now + MEDIA_TTL).timestamp())
    signature = _signature(key, path, payload, expires)
    return f"{public_url}{path}?{urlencode({'d': payload, 'e': expires, 's': signature})}"


def media_link_ok(
    key: str, path: str, payload: str, expires: str, signature: str, now: datetime
) -> bool:
    """Whether a link's signature is ours and it has not expired (constant-time compare).

    An expiry further ahead than any we sign is refused too: a link never outlives MEDIA_TTL,
    whatever was signed with the key."""
    latest = int((now + MEDIA_TTL + CLOCK_SLACK).timestamp())
    seconds = parse_id(expires, high=latest, low=math.ceil(now.timestamp()))
    if seconds is None:
        return False
    return hmac.compare_digest(_signature(key, path, payload, seconds), signature)
