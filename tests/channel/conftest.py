"""The Telegram Bot API faked at the wire (respx), and the web app that talks to it.

Only https://telegram.test is mocked; the test client reaches the app through
httpx.ASGITransport, which respx does not intercept.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from fastapi import FastAPI
from pydantic import SecretStr

from bot.bootstrap import Concierge
from bot.settings import Settings
from bot.web import create_app
from handlers.conversation.dialog import Reply, Turn
from handlers.conversation.router import Router
from loyalty.pace import InMemoryBudgets
from loyalty.ports import ChannelPort
from services.sending import Sender
from tests.calendars import Read, strict
from tests.channel.twilio import TWILIO_HOST, FakeTwilio, WhatsApp, whatsapp_settings
from tests.factories import (
    FILE_ID_PREFIXES,
    POS_SECRET,
    STAFF_CHAT_ID,
    TELEGRAM_BOT,
    TELEGRAM_NOW,
    group_update,
    telegram_file,
)

API_HOST = "https://telegram.test"
# the Bot API's methods that send a message, and the field of the message each sends
SENDS = {
    "sendMessage": "text", "sendPhoto": "photo", "sendDocument": "document",
    "sendVoice": "voice", "sendAudio": "audio", "sendVideo": "video",
    "sendVideoNote": "video_note", "sendAnimation": "animation", "sendSticker": "sticker",
}  # fmt: skip
# where Telegram keeps each kind of file (getFile's file_path): folder, extension
FILE_PATHS = {
    "": ("photos", "jpg"), "voice": ("voice", "oga"), "audio": ("music", "mp3"),
    "video": ("videos", "mp4"), "video_note": ("video_notes", "mp4"),
    "animation": ("animations", "mp4"), "document": ("documents", "pdf"),
    "sticker": ("stickers", "webp"),
}  # fmt: skip
TOKEN = f"{TELEGRAM_BOT['id']}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
SECRET = "webhook-secret_0123456789-abcdef"
WEBHOOK = "/telegram/webhook"


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made to the Bot API: the method and its decoded parameters."""

    method: str
    params: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = 0.0  # the test's monotonic clock when the call came
    status: int = 200  # what the Bot API answered

    @property
    def chat_id(self) -> str:
        return self.params["chat_id"]

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def markup(self) -> dict[str, Any] | None:
        raw = self.params.get("reply_markup")
        return json.loads(raw) if raw else None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """The inline keyboard as (label, callback_data), row after row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b["callback_data"]) for row in rows for b in row]


def _decode(request: httpx.Request) -> tuple[dict[str, str], dict[str, bytes]]:
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        head = f"Content-Type: {kind}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            head + request.content
        )
        params, files = {}, {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            body = part.get_payload(decode=True)
            if part.get_filename() is None:
                params[name] = body.decode()
            else:
                files[name] = body
        return params, files
    form = parse_qs(request.content.decode(), keep_blank_values=True, strict_parsing=False)
    return {name: values[-1] for name, values in form.items()}, {}


Fault = Callable[[httpx.Request], httpx.Response]  # what one send meets instead of Telegram


def bad_gateway(request: httpx.Request) -> httpx.Response:
    """Telegram's front answered 502: the message never reached the Bot API."""
    body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    return httpx.Response(502, json=body)


def refused(request: httpx.Request) -> httpx.Response:
    """The connection was refused: the request never left."""
    raise httpx.ConnectError("connection refused", request=request)


def lost_answer(request: httpx.Request) -> httpx.Response:
    """Telegram took the message, but its answer came after the client's time-out."""
    raise httpx.ReadTimeout("no answer in time", request=request)


class FakeTelegram:
    """The Bot API: records every call and answers with results shaped like Telegram's."""

    def __init__(self, mock: respx.MockRouter) -> None:
        self.calls: list[ApiCall] = []
        self.timer: Callable[[], float] = lambda: 0.0  # the test's monotonic clock
        self.blocked: set[str] = set()  # chats that blocked the bot: sendMessage gets 403
        self.flooded: dict[str, int] = {}  # chats sent too much: 429 with retry_after (once)
        self.down: set[str] = set()  # methods Telegram cannot serve now: 502 Bad Gateway
        self.faults: list[Fault] = []  # what the next sends meet, one each (then all is well)
        self.refused: dict[str, str] = {}  # chats whose sends get 400 with this description
        self._message_ids = iter(range(9001, 10**6))
        self._threads = iter(range(501, 10**6))
        self.topics: dict[int, str] = {}  # message_thread_id -> name, as made
        self.closed: list[int] = []
        self.deleted: list[int] = []
        self.updates: list[dict[str, Any]] = []  # for getUpdates; then another poller took over
        self.calendars: list[Read] = []  # every .ics sent, as a strict client read it
        self.refused_calendars: list[str] = []  # ...and why a strict client would refuse one
        self._arrived = asyncio.Event()  # set at each call, for `until_sent`
        mock.post(path__regex=r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$").mock(
            side_effect=self._answer
        )
        mock.get(path__regex=r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$").mock(
            side_effect=self._file
        )

    def _file(self, request: httpx.Request, token: str, path: str) -> httpx.Response:
        if token != TOKEN:
            return httpx.Response(404)
        return httpx.Response(200, content=b"\xff\xd8JPEG " + path.encode())

    def _answer(self, request: httpx.Request, token: str, method: str) -> httpx.Response:
        if token != TOKEN:
            return self._error(401, "Unauthorized")
        params, files = _decode(request)
        at = self.timer()
        self._arrived.set()
        self._read_calendar(files.get("document", b""))
        if method in SENDS and self.faults:
            fault = self.faults.pop(0)
            if fault is lost_answer:  # it went: the chat has it
                self._result(method, params)
                self.calls.append(ApiCall(method, params, files, at, 200))
            response = fault(request)
            self.calls.append(ApiCall(method, params, files, at, response.status_code))
            return response
        down = method in self.down
        response = self._error(502, "Bad Gateway") if down else self._result(method, params)
        self.calls.append(ApiCall(method, params, files, at, response.status_code))
        return response

    def _read_calendar(self, document: bytes) -> None:
        if document.startswith(b"BEGIN:VCALENDAR"):
            try:
                self.calendars.append(strict(document))
            except Exception as error:  # raised here, the bot would only see a failed send
                self.refused_calendars.append(repr(error))

    def _result(self, method: str, params: dict[str, str]) -> httpx.Response:
        if method == "getMe":
            return self._ok(
                {
                    **TELEGRAM_BOT,
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        if method in ("answerCallbackQuery", "deleteWebhook"):
            return self._ok(True)
        if method.lower() == "getupdates":  # the Bot API's method names ignore case
            if not self.updates:
                return self._error(409, "Conflict: terminated by other getUpdates request")
            updates, self.updates = self.updates, []
            return self._ok(updates)
        if method == "createForumTopic":
            thread = next(self._threads)
            self.topics[thread] = params["name"]
            return self._ok({"message_thread_id": thread, "name": params["name"],
                             "icon_color": 7322096})  # fmt: skip
        if method in ("closeForumTopic", "deleteForumTopic"):
            thread = int(params["message_thread_id"])
            if thread not in self.topics or thread in self.deleted:
                return self._error(400, "Bad Request: message thread not found")
            (self.closed if method == "closeForumTopic" else self.deleted).append(thread)
            return self._ok(True)
        if method == "getFile":
            file_id = params["file_id"]
            kind = next((k for k, p in FILE_ID_PREFIXES.items() if file_id.startswith(p)), "")
            path = f"{FILE_PATHS[kind][0]}/{file_id}.{FILE_PATHS[kind][1]}"
            found = {"file_id": file_id, "file_unique_id": "AQAD" + file_id[-6:],
                     "file_size": 51234, "file_path": path}  # fmt: skip
            return self._ok(found)
        if method in SENDS:
            thread = int(params.get("message_thread_id", 0))
            if thread and (thread not in self.topics or thread in self.deleted):
                return self._error(400, "Bad Request: message thread not found")
            if params["chat_id"] in self.refused:
                return self._error(400, self.refused[params["chat_id"]])
            if params["chat_id"] in self.blocked:
                return self._error(403, "Forbidden: bot was blocked by the user")
            if params["chat_id"] in self.flooded:
                after = self.flooded.pop(params["chat_id"])
                return httpx.Response(
                    429,
                    json={
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {after}",
                        "parameters": {"retry_after": after},
                    },
                )
            return self._ok(self._message(method, params))
        return self._error(404, "Not Found")

    def _message(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private", "first_name": "Giulia"}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": "Staff", "is_forum": True}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": TELEGRAM_BOT,
            "chat": chat,
            "date": int(TELEGRAM_NOW.timestamp()),
        }
        if "message_thread_id" in params:
            message |= {"message_thread_id": int(params["message_thread_id"]),
                        "is_topic_message": True}  # fmt: skip
        if method == "sendMessage":
            message["text"] = params["text"]
        elif method == "sendDocument":
            message["document"] = {"file_id": "BQACAgQAAxkDAAIevent", "file_unique_id": "AgADev",
                                   "file_name": "event.ics"}  # fmt: skip
        elif method != "sendPhoto":  # a voice note, a sticker...: the file as Telegram keeps it
            kind = SENDS[method]
            message[kind] = telegram_file(kind, f"AAxkDAAI{message['message_id']}")
        else:
            message["photo"] = [
                {
                    "file_id": f"AgACAgQAAxkDAAI{size}",
                    "file_unique_id": f"AQAD{size}",
                    "width": size,
                    "height": size,
                    "file_size": size * 40,
                }
                for size in (90, 320)
            ]
        if "reply_markup" in params:
            markup = json.loads(params["reply_markup"])
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
        return message

    @staticmethod
    def _ok(result: Any) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str) -> httpx.Response:
        return httpx.Response(
            status, json={"ok": False, "error_code": status, "description": description}
        )

    async def until_sent(self, count: int, timeout: float = 10.0) -> list[ApiCall]:
        """The messages sent once there are `count` of them, made in the background; the
        wait is bounded (TimeoutError), never a pause."""
        async with asyncio.timeout(timeout):
            while len(self.sent()) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.sent()

    def sent(self, since: int = 0) -> list[ApiCall]:
        """The messages and files sent (answerCallbackQuery and getMe left out)."""
        return [c for c in self.calls[since:] if c.method in SENDS]

    def posts(self, thread: int | None = None) -> list[ApiCall]:
        """What the bot posted in the staff group (in one topic, when `thread` is given)."""
        return [
            c for c in self.sent() if c.chat_id == str(STAFF_CHAT_ID) and c.status == 200
            and (thread is None or c.params.get("message_thread_id") == str(thread))
        ]  # fmt: skip

    def to(self, chat: str) -> list[ApiCall]:
        """What the bot sent to one member's chat."""
        return [c for c in self.sent() if c.chat_id == chat]


@dataclass
class Telegram:
    """The app with Telegram on, a client for its webhook, and the faked Bot API."""

    concierge: Concierge
    app: FastAPI
    http: httpx.AsyncClient
    api: FakeTelegram

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return await self.http.post(WEBHOOK, json=update, headers=headers)

    async def send(self, update: dict[str, Any]) -> list[ApiCall]:
        """Deliver one update; the API calls handling it made (the task runs before return)."""
        before = len(self.api.calls)
        response = await self.post(update)
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True}
        return self.api.calls[before:]

    async def dialog(self, steps: list[tuple[dict[str, Any], str]]) -> None:
        """Zulip's verify_dialog: each update's replies contain the expected text."""
        for update, expected in steps:
            calls = await self.send(update)
            said = "\n".join(c.text for c in calls)
            assert expected in said, f"{expected!r} not in replies to {update}: {said!r}"


def telegram_settings(concierge: Concierge) -> Concierge:
    settings = concierge.settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_url": f"{API_HOST}/bot",
            "telegram_webhook_secret": SecretStr(SECRET),
        }
    )
    return replace(concierge, settings=settings)


@pytest.fixture
def api() -> Iterator[FakeTelegram]:
    with respx.mock(base_url=API_HOST, assert_all_mocked=True, assert_all_called=False) as mock:
        api = FakeTelegram(mock)
        yield api
    assert api.refused_calendars == []


@pytest.fixture
async def telegram(concierge: Concierge, api: FakeTelegram) -> AsyncIterator[Telegram]:
    """The web app, started and stopped through its lifespan as uvicorn would."""
    app_concierge = telegram_settings(concierge)
    app = create_app(app_concierge, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Telegram(app_concierge, app, http, api)


@pytest.fixture
async def aiogram(concierge: Concierge, api: FakeTelegram) -> AsyncIterator[Any]:
    """A shop's aiogram bot with the concierge mounted in it (tests/channel/aiogram_shop.py)."""
    from tests.channel.aiogram_shop import running_shop

    async with running_shop(telegram_settings(concierge), api) as shop:
        yield shop


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with respx.mock(base_url=TWILIO_HOST, assert_all_mocked=True, assert_all_called=False) as mock:
        fake.route(mock)
        yield fake


@pytest.fixture
async def whatsapp(concierge: Concierge, twilio: FakeTwilio) -> AsyncIterator[WhatsApp]:
    """The web app with WhatsApp on, started through its lifespan as uvicorn would."""
    settings = concierge.settings.model_copy(update=whatsapp_settings(concierge))
    app_concierge = replace(concierge, settings=settings)
    app = create_app(app_concierge, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield WhatsApp(app_concierge, app, http, twilio)


@dataclass
class Desk:
    """The app with both channels, the staff group and the POS webhook on: members on
    Telegram and WhatsApp, staff in their supergroup's topics."""

    concierge: Concierge
    telegram: Telegram
    whatsapp: WhatsApp
    api: FakeTelegram
    twilio: FakeTwilio

    async def staff(self, text: str | None, thread: int | None, **fields: Any) -> list[ApiCall]:
        """A staff member writes in the group (in topic `thread`); the calls it caused."""
        return await self.telegram.send(group_update(text, thread=thread, **fields))

    def thread_of(self, name_start: str) -> int:
        """The topic made for a conversation, by the start of its name."""
        [thread] = [t for t, name in self.api.topics.items() if name.startswith(name_start)]
        return thread


def desk_settings(concierge: Concierge) -> Settings:
    """Every channel on, the staff group and the POS too: the club as it runs."""
    return telegram_settings(concierge).settings.model_copy(
        update={
            **whatsapp_settings(concierge),
            "telegram_staff_chat_id": STAFF_CHAT_ID,
            "pos_secret": SecretStr(POS_SECRET),
        }
    )


@asynccontextmanager
async def running_desk(
    app_concierge: Concierge, api: FakeTelegram, twilio: FakeTwilio
) -> AsyncIterator[Desk]:
    """The web app of `app_concierge`, started through its lifespan as uvicorn would."""
    api.timer = app_concierge.monotonic
    app = create_app(app_concierge, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Desk(
                app_concierge, Telegram(app_concierge, app, http, api),
                WhatsApp(app_concierge, app, http, twilio), api, twilio,
            )  # fmt: skip


@pytest.fixture
async def desk(concierge: Concierge, api: FakeTelegram, twilio: FakeTwilio) -> AsyncIterator[Desk]:
    async with running_desk(
        replace(concierge, settings=desk_settings(concierge)), api, twilio
    ) as on:
        yield on


def failing_router(tried: list[str | None]) -> Router:
    """A concierge whose every answer breaks (a lost connection), noting what it was asked."""
    router = Router()

    @router.otherwise
    async def broken(turn: Turn) -> list[Reply]:
        tried.append(turn.inbound.text)
        raise ConnectionResetError(f"lost the connection while reading {turn.inbound.text}")

    return router


def sender(concierge: Concierge, *channels: ChannelPort, worker: str = "test-sender") -> Sender:
    """A sender through these channels at the test's clock: its pauses move the clock (and
    are counted in `clock.pauses`), never sleep."""
    return Sender(
        concierge.db.unit_of_work, concierge.program, {c.name: c for c in channels},
        InMemoryBudgets(), concierge.clock, worker, sleep=concierge.sleep, jitter=lambda: 1.0,
        monotonic=lambda: 0.0,  # time moves only with the clock here: no call is late
    )  # fmt: skip


async def left_open(concierge: Concierge, payload: dict[str, Any]) -> int:
    """A message whose handling stopped with the process (its receipt open, its first try
    counted), as a failed first try or an older version's two steps leave it."""
    if "update_id" in payload:
        channel, message_id = "telegram", str(payload["update_id"])
    else:
        channel, message_id = "whatsapp", payload["MessageSid"]
    async with concierge.db.unit_of_work() as uow:
        receipt = await uow.receipts.record(channel, message_id, payload, concierge.clock())
        await uow.commit()
    return receipt
