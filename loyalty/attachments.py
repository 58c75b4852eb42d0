"""What a message may carry besides words, said the same for every platform.

Files (photo to sticker) are passed on by the channel's reference; a place and a contact
card are read out; OTHER cannot be passed on.
"""

from __future__ import annotations

from dataclasses import dataclass

PHOTO, VOICE, AUDIO, VIDEO, DOCUMENT, STICKER = (
    "photo", "voice", "audio", "video", "document", "sticker",
)  # fmt: skip
LOCATION, CONTACT, OTHER = "location", "contact", "other"
FILES = frozenset({PHOTO, VOICE, AUDIO, VIDEO, DOCUMENT, STICKER})


@dataclass(frozen=True)
class Attachment:
    """Something sent that is not words: a file by the channel's reference, a place, a card."""

    kind: str  # PHOTO ... OTHER
    ref: str | None = None  # where the channel keeps the file (a contact card too, on WhatsApp)
    caption: str | None = None  # a place's name and address, a contact's or file's name
    coordinates: tuple[float, float] | None = None  # a place: latitude, longitude
    phone: str | None = None  # a contact card's number, when the channel gives it
