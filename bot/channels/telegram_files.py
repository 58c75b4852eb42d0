"""What Telegram messages carry besides words, read as neutral attachments, and files sent on.

A file id is valid for the same bot in any chat, so a member's voice note reaches the staff
group, and a staff member's document the member, by reference: nothing is downloaded. The
reference names how Telegram sends the file again: "tg:<file id>" for a photo (as kept since
photos were first relayed), "tg:<kind>:<file id>" for the others.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InputFile, Message

from loyalty.attachments import (
    AUDIO,
    CONTACT,
    DOCUMENT,
    FILES,
    LOCATION,
    OTHER,
    PHOTO,
    STICKER,
    VIDEO,
    VOICE,
    Attachment,
)

TELEGRAM_FILE = "tg:"
MAX_CAPTION = 1024  # Telegram's limit for a file's caption
CARRIES = FILES  # the files a member is shown: every kind
# Telegram's kinds of file, as the neutral kind each is (round videos and GIFs are videos)
KINDS = {
    "animation": VIDEO, "voice": VOICE, "audio": AUDIO, "video": VIDEO, "video_note": VIDEO,
    "document": DOCUMENT, "sticker": STICKER,
}  # fmt: skip
UNCAPTIONED = frozenset({"sticker", "video_note"})  # Telegram takes no caption with these

Paced = Callable[[], Awaitable[None]]


def attachment(message: Message) -> Attachment | None:
    """What a message carries besides words; OTHER for what cannot be passed on (a poll)."""
    if message.photo:  # the largest size
        return Attachment(PHOTO, f"{TELEGRAM_FILE}{message.photo[-1].file_id}")
    for kind in KINDS:  # animation first: Telegram sends a GIF as a document too
        file = getattr(message, kind)
        if file is not None:
            ref = f"{TELEGRAM_FILE}{kind}:{file.file_id}"
            return Attachment(KINDS[kind], ref, caption=getattr(file, "file_name", None))
    if message.location is not None:
        venue = message.venue
        place = ", ".join(filter(None, [venue.title, venue.address])) if venue else None
        where = (message.location.latitude, message.location.longitude)
        return Attachment(LOCATION, caption=place or None, coordinates=where)
    if message.contact is not None:
        card = message.contact
        name = " ".join(filter(None, [card.first_name, card.last_name]))
        phone = card.phone_number if card.phone_number.startswith("+") else "+" + card.phone_number
        return Attachment(CONTACT, caption=name or None, phone=phone)
    return Attachment(OTHER) if message.effective_attachment is not None else None


def telegram_file(ref: str) -> tuple[str, str] | None:
    """(Telegram's kind, file id) of a reference to a file Telegram holds; None otherwise."""
    if not ref.startswith(TELEGRAM_FILE):
        return None
    kind, _, file_id = ref.removeprefix(TELEGRAM_FILE).rpartition(":")
    if not kind:
        return "photo", file_id
    return (kind, file_id) if kind in KINDS else None


def upload(content: bytes, content_type: str) -> tuple[str, InputFile]:
    """How Telegram shows a file fetched from another channel: by its type, with a name."""
    major = content_type.split("/")[0]
    if content_type == "image/webp":
        kind = "sticker"
    elif major == "image":
        kind = "photo"
    elif content_type == "audio/ogg":
        kind = "voice"
    else:
        kind = {"audio": "audio", "video": "video"}.get(major, "document")
    extension = mimetypes.guess_extension(content_type) or ""
    return kind, InputFile(content, filename=f"{kind}{extension}")


async def send_file(
    bot: Bot,
    chat_id: int | str,
    kind: str,
    file: str | InputFile,
    body: str,
    thread: int | None = None,
    paced: Paced | None = None,
) -> Message:
    """The file with the words as its caption where Telegram takes one (a sticker takes none:
    the words go just before it; words too long for a caption just after it)."""
    where: dict[str, Any] = {"message_thread_id": thread}
    if body and kind in UNCAPTIONED:
        await _send_words(bot, chat_id, body, thread, paced)
    elif body and len(body) <= MAX_CAPTION:
        where["caption"] = body
    if paced is not None:
        await paced()
    message: Message = await getattr(bot, f"send_{kind}")(chat_id, file, **where)
    if body and kind not in UNCAPTIONED and len(body) > MAX_CAPTION:
        message = await _send_words(bot, chat_id, body, thread, paced)
    return message


async def _send_words(
    bot: Bot, chat_id: int | str, body: str, thread: int | None, paced: Paced | None
) -> Message:
    if paced is not None:
        await paced()
    return await bot.send_message(chat_id, body, message_thread_id=thread)
