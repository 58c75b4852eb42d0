"""Pictures the channels attach: the member card's QR code, and signed links to it.

WhatsApp fetches media from a URL; the link carries the QR text, an expiry and an
HMAC signature, so the web app draws only codes we issued, and only for a while.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from datetime import datetime, timedelta
from urllib.parse import urlencode

import qrcode
from qrcode.image.pure import PyPNGImage

MEDIA_TTL = timedelta(hours=2)  # Twilio fetches at once; WhatsApp keeps its own copy
QR_PATH = "/media/qr.png"


def qr_png(payload: str) -> bytes:
    """The QR code a till scanner reads, as a PNG."""
    image = qrcode.make(payload, image_factory=PyPNGImage, box_size=8, border=3)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def _signature(key: str, payload: str, expires: int) -> str:
    message = f"{payload}\n{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def qr_url(public_url: str, key: str, payload: str, now: datetime) -> str:
    """A link to the PNG of `payload` that works until MEDIA_TTL from now."""
    expires = int((now + MEDIA_TTL).timestamp())
    query = urlencode({"d": payload, "e": expires, "s": _signature(key, payload, expires)})
    return f"{public_url}{QR_PATH}?{query}"


def qr_link_ok(key: str, payload: str, expires: str, signature: str, now: datetime) -> bool:
    """Whether a link's signature is ours and it has not expired (constant-time compare)."""
    if not expires.isdigit() or int(expires) < now.timestamp():
        return False
    return hmac.compare_digest(_signature(key, payload, int(expires)), signature)
