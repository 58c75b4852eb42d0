"""What Telegram sends, read as it is: a webhook's body, the fields we act on (a wrong type
is unreadable, an unknown field left out), a member blocking the bot in their own chat."""

from __future__ import annotations

import json
from typing import Any

from telegram import Bot, Update

from loyalty.ids import INT8_MAX
from services import receipts

# The fields PTB cannot read a button press or a message without (see `readable`).
ESSENTIAL = {
    "callback_query": ("id", "from", "chat_instance"),
    "message": ("message_id", "date", "chat"),
}


def read_update(body: bytes) -> dict[str, Any] | None:
    """The update a webhook's body holds; None when it holds none: not JSON (Infinity and
    NaN are not), nested past what the parser follows, or without an update_id Telegram
    could send (a positive integer)."""
    try:
        payload = json.loads(body, parse_constant=_not_json)
    except (ValueError, RecursionError):  # a body that is not UTF-8 is a ValueError too
        return None
    if not isinstance(payload, dict) or not _is_integer(payload.get("update_id")):
        return None
    return payload if 0 < payload["update_id"] <= INT8_MAX else None  # Telegram's: far below


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# The fields we act on, and what Telegram sends each as: PTB takes whatever it is given.
TYPED: dict[str, dict[tuple[str, ...], type]] = {
    "message": {
        ("from", "id"): int, ("from", "first_name"): str, ("from", "language_code"): str,
        ("chat", "id"): int, ("chat", "type"): str, ("sender_chat", "id"): int,
        ("text",): str, ("caption",): str, ("message_thread_id",): int,
    },
    "callback_query": {
        ("id",): str, ("from", "id"): int, ("from", "first_name"): str,
        ("from", "language_code"): str, ("data",): str,
    },
}  # fmt: skip


def mistyped(kind: str, content: Any) -> str | None:
    """The first field we act on that is not what Telegram sends (an id beyond bigint
    included); None when all are."""
    for path, wanted in TYPED[kind].items():
        value = content
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            continue  # absent: PTB says whether it may be
        fits = _is_integer(value) and abs(value) <= INT8_MAX if wanted is int else (
            isinstance(value, wanted)
        )  # fmt: skip
        if not fits:
            return ".".join(path)
    return None


def readable(payload: dict[str, Any], kind: str, bot: Bot) -> Update:
    """The part of an update we act on (`kind`), as PTB reads it. Telegram may send fields
    this version of PTB does not know, or omit some it requires: such a field is left out,
    the rest is read. Unreadable when even the essential fields are not, or when a field we
    act on is not of the type Telegram sends."""
    update_id, content = payload["update_id"], payload[kind]
    wrong = mistyped(kind, content)
    if wrong is not None:
        raise receipts.Unreadable(f"unreadable {kind}: {wrong} of the wrong type")
    try:
        return _update(update_id, kind, content, bot)
    except Exception as exc:  # PTB raises whatever its constructors raise on what it reads
        failure = exc
    if isinstance(content, dict):
        essential = {k: v for k, v in content.items() if k in ESSENTIAL[kind]}
        kept = essential | {
            key: value for key, value in content.items()
            if key not in essential and _reads(update_id, kind, essential | {key: value}, bot)
        }  # fmt: skip
        try:
            return _update(update_id, kind, kept, bot)
        except Exception as exc:  # not even the essential fields are readable
            failure = exc
    raise receipts.Unreadable(f"unreadable {kind}: {type(failure).__name__}") from failure


def _update(update_id: int, kind: str, content: Any, bot: Bot) -> Update:
    return Update.de_json({"update_id": update_id, kind: content}, bot)


def _reads(update_id: int, kind: str, content: dict[str, Any], bot: Bot) -> bool:
    try:
        _update(update_id, kind, content, bot)
    except Exception:  # a field PTB cannot read
        return False
    return True


def membership(change: Any) -> tuple[str, bool] | None:
    """Whose private chat with the bot a my_chat_member change is about, and whether it
    takes our messages now; None for any other chat: the bot added to a group, or removed
    from one, says nothing of the member's own chat. Read from the JSON: PTB requires
    fields of a group member that Telegram does not always send."""
    try:
        chat, user, status = change["chat"], change["from"], change["new_chat_member"]["status"]
        private = chat["type"] == "private" and chat["id"] == user["id"]
    except (TypeError, KeyError):
        return None
    if not private or not _is_integer(user["id"]) or not isinstance(status, str):
        return None
    return str(user["id"]), status not in ("kicked", "left")
