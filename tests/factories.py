"""Small factories for purchases and members, so tests say only what matters to them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from loyalty.purchases import PurchaseInput, Status

PHONE = "+393471234567"
OTHER_PHONE = "+33612345678"
_orders = itertools.count(1)


def purchase(
    at: datetime,
    amount: str = "100.00",
    *,
    phone: str = PHONE,
    order_id: str | None = None,
    currency: str = "EUR",
    category: str | None = None,
    limited_edition: bool = False,
    status: Status = Status.PAID,
    name: str | None = None,
) -> PurchaseInput:
    return PurchaseInput(
        order_id=order_id or f"ORD-{next(_orders)}",
        phone=phone,
        amount=Decimal(amount),
        currency=currency,
        purchased_at=at,
        name=name,
        category=category,
        limited_edition=limited_edition,
        status=status,
    )


# Telegram updates, shaped like the Bot API's JSON (as PTB's tests/auxil/build_messages.py).

TELEGRAM_USER_ID = 5_550_001
TELEGRAM_BOT = {
    "id": 7_000_000_001,
    "is_bot": True,
    "first_name": "Maison Aurelia",
    "username": "AureliaConciergeBot",
}
TELEGRAM_NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(1)
_query_ids = itertools.count(4_382_000_000_000_001)


def telegram_user(
    user_id: int = TELEGRAM_USER_ID, first_name: str = "Giulia", language_code: str = "en"
) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def _private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def _date(at: datetime | None) -> int:
    return int((at or TELEGRAM_NOW).timestamp())


def telegram_update(**content: Any) -> dict[str, Any]:
    """An update with the next update_id around `content` (message=..., callback_query=...)."""
    return {"update_id": next(_update_ids), **content}


def _with_text(message: dict[str, Any], text: str | None) -> dict[str, Any]:
    """A leading /command gets its bot_command entity, as Telegram sends it."""
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message


def message_update(
    text: str | None = None,
    *,
    user: dict[str, Any] | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A private message; a leading /command gets its bot_command entity, as Telegram sends."""
    user = user or telegram_user()
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": user,
        "chat": _private_chat(user),
        "date": _date(at),
    }
    return telegram_update(message=_with_text(message, text) | fields)


def photo_sizes(name: str) -> list[dict[str, Any]]:
    """A photo as Telegram describes it: the same picture in growing sizes."""
    return [
        {"file_id": f"AgACAgQ{name}{size}", "file_unique_id": f"AQAD{name}{size}",
         "width": size, "height": size, "file_size": size * 40}
        for size in (90, 320, 1280)
    ]  # fmt: skip


# The first characters of Telegram's file ids tell their kind (a photo's begin "AgAC").
FILE_ID_PREFIXES = {
    "voice": "AwACAgQ", "audio": "CQACAgQ", "video": "BAACAgQ", "video_note": "DQACAgQ",
    "animation": "CgACAgQ", "document": "BQACAgQ", "sticker": "CAACAgQ",
}  # fmt: skip


def telegram_file(kind: str, name: str) -> dict[str, Any]:
    """A file as Telegram describes it in a message's `voice`, `document`, `sticker`... field."""
    file: dict[str, Any] = {
        "file_id": f"{FILE_ID_PREFIXES[kind]}{name}", "file_unique_id": f"AgAD{name}",
        "file_size": 40960,
    }  # fmt: skip
    return file | {
        "voice": {"duration": 4, "mime_type": "audio/ogg"},
        "audio": {"duration": 185, "mime_type": "audio/mpeg", "file_name": f"{name}.mp3"},
        "video": {"duration": 12, "width": 1080, "height": 1920, "mime_type": "video/mp4"},
        "video_note": {"duration": 9, "length": 384},
        "animation": {"duration": 3, "width": 320, "height": 240, "mime_type": "video/mp4",
                      "file_name": f"{name}.mp4"},
        "document": {"file_name": f"{name}.pdf", "mime_type": "application/pdf"},
        "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                    "is_video": False, "emoji": "💍", "set_name": "MaisonAurelia"},
    }[kind]  # fmt: skip


STAFF_CHAT_ID = -1001987654321  # the staff supergroup, with topics
ANNA = {"id": 6_660_001, "is_bot": False, "first_name": "Anna", "language_code": "en"}
MARCO = {"id": 6_660_002, "is_bot": False, "first_name": "Marco", "language_code": "it"}


STAFF_GROUP = {"id": STAFF_CHAT_ID, "type": "supergroup", "title": "Staff", "is_forum": True}
# an admin writing anonymously: Telegram shows this bot as the sender, and the group itself
GROUP_ANONYMOUS_BOT = {
    "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot",
}  # fmt: skip


def group_update(
    text: str | None = None,
    *,
    user: dict[str, Any] = ANNA,
    thread: int | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A message in the staff group: in a topic (`thread`) or in General."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": user,
        "chat": STAFF_GROUP,
        "date": _date(at),
    }
    if thread is not None:
        message |= {"message_thread_id": thread, "is_topic_message": True}
    return telegram_update(message=_with_text(message, text) | fields)


def contact_update(
    phone_number: str,
    *,
    user: dict[str, Any] | None = None,
    owner_id: int | Literal["sender"] | None = "sender",
    at: datetime | None = None,
) -> dict[str, Any]:
    """A shared contact: by default the sender's own (Telegram gives the number without "+").

    `owner_id` is the contact's Telegram user id; None for a phone-book card of someone who
    is not on Telegram (Telegram then sends no user_id).
    """
    user = user or telegram_user()
    contact: dict[str, Any] = {"phone_number": phone_number, "first_name": user["first_name"]}
    owner = user["id"] if owner_id == "sender" else owner_id
    if owner is not None:
        contact["user_id"] = owner
    return message_update(user=user, at=at, contact=contact)


def callback_update(
    data: str,
    *,
    user: dict[str, Any] | None = None,
    at: datetime | None = None,
    message_text: str = "How may I help you?",
) -> dict[str, Any]:
    """A pressed inline button on a message the bot sent earlier."""
    user = user or telegram_user()
    message = {
        "message_id": next(_message_ids),
        "from": TELEGRAM_BOT,
        "chat": _private_chat(user),
        "date": _date(at),
        "text": message_text,
        "reply_markup": {"inline_keyboard": [[{"text": "…", "callback_data": data}]]},
    }
    query = {
        "id": str(next(_query_ids)),
        "from": user,
        "message": message,
        "chat_instance": "-8394629394629394629",
        "data": data,
    }
    return telegram_update(callback_query=query)


def chat_member_update(
    status: str,
    *,
    old_status: str = "member",
    user: dict[str, Any] | None = None,
    chat: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The bot's own membership changed: in the user's private chat, "kicked" is a block;
    `chat` names a group the user added the bot to or removed it from."""

    def member(state: str) -> dict[str, Any]:
        return {
            "user": TELEGRAM_BOT,
            "status": state,
            **({"until_date": 0} if state == "kicked" else {}),
        }

    user = user or telegram_user()
    change = {
        "chat": chat or _private_chat(user),
        "from": user,
        "date": _date(at),
        "old_chat_member": member(old_status),
        "new_chat_member": member(status),
    }
    return telegram_update(my_chat_member=change)


# Twilio WhatsApp webhooks, shaped like the form Twilio posts (and signed as Twilio signs).

TWILIO_ACCOUNT_SID = "AC5ef8732a3c49700934481addd5ce1659"
TWILIO_AUTH_TOKEN = "9f1b0c2d3e4f5a6b7c8d9e0f1a2b3c4d"
POS_SECRET = "s3cret-for-the-pos-0123456789"  # CONCIERGE_POS_SECRET of the tests' web app
WHATSAPP_FROM = "+14155238886"  # the club's WhatsApp sender
_message_sids = itertools.count(1)


def message_sid(prefix: str = "SM") -> str:
    """SM for a text message, MM for one with media: 32 hex digits follow."""
    return f"{prefix}{next(_message_sids):032x}"


def whatsapp_form(
    body: str = "",
    phone: str = PHONE,
    *,
    sid: str | None = None,
    profile_name: str = "Giulia",
    button_payload: str | None = None,
    media: str | None = None,
    content_type: str = "image/jpeg",
    message_type: str | None = None,
    **fields: str,
) -> dict[str, str]:
    """An inbound WhatsApp message as Twilio posts it to the webhook (`media`: the media SID
    of a file Twilio keeps at its media URL, of `content_type`); `fields` are added as they
    are (Latitude=..., Longitude=...)."""
    sid = sid or (message_sid("MM") if media else message_sid())
    kind = content_type.split("/")[0] if media else "button" if button_payload else "text"
    form = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": profile_name,
        "MessageType": message_type or kind,
        "SmsSid": sid,
        "WaId": phone.removeprefix("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": f"whatsapp:{WHATSAPP_FROM}",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": TWILIO_ACCOUNT_SID,
        "From": f"whatsapp:{phone}",
        "ApiVersion": "2010-04-01",
    }
    if button_payload is not None:
        form |= {"ButtonPayload": button_payload, "ButtonText": body}
    if media is not None:
        form |= {
            "NumMedia": "1", "MediaContentType0": content_type,
            "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}"
            f"/Messages/{sid}/Media/{media}",
        }  # fmt: skip
    return form | fields


def media_sid(name: str) -> str:
    """A media SID as Twilio makes them (ME and 32 hex digits), told apart by `name`."""
    return "ME" + name.encode().hex().rjust(32, "0")[-32:]


def status_form(
    sid: str, status: str, phone: str = PHONE, error_code: str | None = None
) -> dict[str, str]:
    """A status callback as Twilio posts it for an outbound WhatsApp message."""
    form = {
        "ChannelPrefix": "whatsapp",
        "ApiVersion": "2010-04-01",
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "ChannelInstallSid": "XE" + "0" * 32,
        "To": f"whatsapp:{phone}",
        "From": f"whatsapp:{WHATSAPP_FROM}",
        "MessageSid": sid,
        "AccountSid": TWILIO_ACCOUNT_SID,
    }
    if error_code is not None:
        form |= {"ErrorCode": error_code, "ChannelStatusMessage": "failed"}
    return form
