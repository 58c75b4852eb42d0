"""A WhatsApp message as Twilio posts it, read as the neutral Inbound (checked beforehand
field by field: bot/channels/twilio_forms.py)."""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from babel.languages import get_official_languages

from handlers.conversation.dialog import Inbound
from loyalty import attachments
from loyalty.attachments import Attachment
from loyalty.program import Program

CHANNEL = "whatsapp"


def language_hint(phone: str, program: Program) -> str | None:
    """A stranger's likely language: one the club speaks in their number's country."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return None
    spoken = get_official_languages(region, de_facto=True) if region else ()
    return next((lang for lang in spoken if lang in program.club.languages), None)


def _media_kind(content_type: str, message_type: str | None) -> str:
    if content_type in ("text/vcard", "text/x-vcard"):
        return attachments.CONTACT  # a contact card, read out when it is passed on
    if message_type == "sticker" or content_type == "image/webp":
        return attachments.STICKER
    major = content_type.split("/")[0]
    if major == "audio":  # WhatsApp's voice notes are Opus
        return attachments.VOICE if content_type == "audio/ogg" else attachments.AUDIO
    return {"image": attachments.PHOTO, "video": attachments.VIDEO}.get(
        major, attachments.DOCUMENT
    )


def _coordinates(form: Mapping[str, str]) -> tuple[float, float] | None:
    try:
        return float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None


def attachment(form: Mapping[str, str]) -> Attachment | None:
    """What a message carries besides words: the first file (Twilio's copy, fetched with our
    credentials), a place; OTHER when nothing in it can be read (a poll, a reaction)."""
    if form.get("MediaUrl0"):
        content_type = form.get("MediaContentType0", "").split(";")[0].strip().lower()
        return Attachment(_media_kind(content_type, form.get("MessageType")), form["MediaUrl0"])
    where = _coordinates(form)
    if where is not None:
        place = ", ".join(filter(None, [form.get("Label"), form.get("Address")]))
        return Attachment(attachments.LOCATION, caption=place or None, coordinates=where)
    return None if form.get("Body") or form.get("ButtonPayload") else Attachment(attachments.OTHER)


def inbound_from(form: Mapping[str, str], program: Program) -> Inbound | None:
    """The neutral message in Twilio's form; None for what is not a WhatsApp message."""
    sender = form.get("From", "")
    if not sender.startswith("whatsapp:+"):
        return None
    phone = sender.removeprefix("whatsapp:")
    return Inbound(
        CHANNEL, phone, text=form.get("Body") or None, action=form.get("ButtonPayload") or None,
        language=language_hint(phone, program), first_name=form.get("ProfileName") or None,
        verified_phone=phone, attachment=attachment(form),
    )  # fmt: skip
