"""Twilio's webhook forms, checked field by field before anything is kept.

Twilio signs the URL and the sorted concatenation of every field's name and value, so a
captured request whose characters are moved from one field into its neighbour still carries
a valid signature ("NumMedia0" folded into MessageSid makes a new message id). Each field
the club reads must therefore have exactly the shape Twilio gives it; anything else is
refused, whoever signed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TWILIO_ORIGIN = "https://api.twilio.com"
MAX_MEDIA = 10  # Twilio's limit of media in one message
STATUSES = frozenset({
    "accepted", "scheduled", "canceled", "queued", "sending", "sent", "delivered",
    "undelivered", "failed", "read", "receiving", "received", "partially_delivered",
})  # fmt: skip

_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
_MEDIA_SID = re.compile(r"ME[0-9a-f]{32}")
_WHATSAPP = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")  # E.164 behind WhatsApp's prefix
_COUNT = re.compile(r"[0-9]{1,2}")
_ERROR_CODE = re.compile(r"[0-9]{1,6}")
_COORDINATE = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,15})?")
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
_CONTENT_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(; ?{_TOKEN}=[A-Za-z0-9._-]+)*")
_MEDIA_FIELD = re.compile(r"Media(Url|ContentType)([0-9]+)")


def _fields(pairs: Iterable[tuple[str, str]]) -> dict[str, str] | str:
    """The form as a dict; a reason when a field comes twice (Twilio never repeats one)."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            return f"{name} repeated"
        fields[name] = value
    return fields


def _sids(fields: dict[str, str], account_sid: str) -> str | None:
    sid = fields.get("MessageSid", "")
    if not _MESSAGE_SID.fullmatch(sid):
        return "MessageSid is not a message SID"
    for alias in ("SmsSid", "SmsMessageSid"):
        if alias in fields and fields[alias] != sid:
            return f"{alias} differs from MessageSid"
    if fields.get("AccountSid") != account_sid:
        return "AccountSid is not ours"
    return None


def _media(fields: dict[str, str], account_sid: str) -> str | None:
    """NumMedia counts the MediaUrlN / MediaContentTypeN pairs, each a file of this message
    kept on Twilio's host (fetched with our credentials: never anywhere else)."""
    count = fields.get("NumMedia", "")
    if not _COUNT.fullmatch(count) or int(count) > MAX_MEDIA:
        return "NumMedia is not a count of media"
    numbered = {(m[1], int(m[2])) for name in fields if (m := _MEDIA_FIELD.fullmatch(name))}
    expected = {(part, n) for part in ("Url", "ContentType") for n in range(int(count))}
    if numbered != expected:
        return "media fields do not match NumMedia"
    messages = f"{TWILIO_ORIGIN}/2010-04-01/Accounts/{account_sid}/Messages/"
    for n in range(int(count)):
        url = fields[f"MediaUrl{n}"]
        prefix = f"{messages}{fields['MessageSid']}/Media/"
        if not (url.startswith(prefix) and _MEDIA_SID.fullmatch(url.removeprefix(prefix))):
            return f"MediaUrl{n} is not this message's media on Twilio"
        if not _CONTENT_TYPE.fullmatch(fields[f"MediaContentType{n}"]):
            return f"MediaContentType{n} is not a content type"
    return None


def _place(fields: dict[str, str]) -> str | None:
    given = [name for name in ("Latitude", "Longitude") if name in fields]
    if not given:
        return None
    if len(given) == 1:
        return "Latitude and Longitude come together"
    for name, limit in (("Latitude", 90), ("Longitude", 180)):
        value = fields[name]
        if not _COORDINATE.fullmatch(value) or abs(float(value)) > limit:
            return f"{name} is not a coordinate"
    return None


def message_refusal(pairs: Iterable[tuple[str, str]], account_sid: str, sender: str) -> str | None:
    """Why this is not a WhatsApp message form as Twilio posts it to our sender; None when
    every field the club reads has Twilio's shape. `sender` is our number (E.164)."""
    fields = _fields(pairs)
    if isinstance(fields, str):
        return fields
    refusal = _sids(fields, account_sid)
    if refusal is not None:
        return refusal
    sender_address = fields.get("From", "")
    if not _WHATSAPP.fullmatch(sender_address):
        return "From is not a WhatsApp number"
    if "WaId" in fields and fields["WaId"] != sender_address.removeprefix("whatsapp:+"):
        return "WaId differs from From"
    if fields.get("To") != f"whatsapp:{sender}":
        return "To is not our WhatsApp sender"
    return _media(fields, account_sid) or _place(fields)


def status_refusal(pairs: Iterable[tuple[str, str]], account_sid: str) -> str | None:
    """Why this is not a message status callback as Twilio posts it; None when it is."""
    fields = _fields(pairs)
    if isinstance(fields, str):
        return fields
    refusal = _sids(fields, account_sid)
    if refusal is not None:
        return refusal
    if fields.get("MessageStatus") not in STATUSES:
        return "MessageStatus is not one of Twilio's"
    if "ErrorCode" in fields and not _ERROR_CODE.fullmatch(fields["ErrorCode"]):
        return "ErrorCode is not a number"
    return None
