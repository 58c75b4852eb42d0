"""The concierge as an aiogram 3 Router, for a shop that runs its own bot.

The router claims only the club's updates (`claims`) and hands each, as the Bot API's JSON,
to the Telegram channel the webhook uses (bot/channels/telegram.py): the same receipts
(dedupe by update_id), engine, handlers and outbox, the replies sent with the shop's token.
Everything else it leaves unmatched, and aiogram passes it on to the shop's handlers.
Occasions and reminders come from `concierge worker`, run with the same bot token.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import TelegramObject, Update

from bot import outbound
from bot.bootstrap import Concierge, bootstrap
from bot.channels.telegram import CHANNEL
from bot.channels.telegram_updates import membership
from bot.settings import ConfigError, load_settings
from handlers.conversation.dialog import STATE_TTL
from handlers.conversation.router import Gettext, command_name
from handlers.conversation.router import Router as Handlers
from handlers.start import TOKEN
from loyalty.records import Standing
from services import chats
from storage.migrate import behind

# Telegram's global commands: every bot answers them, so they are the shop's unless the
# chat is with the club (or, /start, opens it with an invitation)
SHARED_COMMANDS = frozenset({"start", "help", "settings"})
KINDS = ("message", "edited_message", "callback_query", "my_chat_member")


@dataclass(frozen=True)
class Club:
    """What the club answers in a shop's bot: its engine's handlers, the languages its
    STOP is heard in, and its staff group."""

    handlers: Handlers
    languages: Sequence[Gettext]
    staff_chat: int | None


def plainly(payload: dict[str, Any], club: Club) -> bool | None:
    """Whether an update is the club's on its face (True, False); None when that depends
    on who sent it (`by_standing`). The club's: all in its staff group, its buttons, its
    commands (but Telegram's global ones), a member's own chat blocking or unblocking the
    bot. The shop's: other chats, other buttons, other commands, edits."""
    kind = next((kind for kind in KINDS if kind in payload), None)
    if kind is None:
        return False
    content = payload[kind]
    chat = content.get("chat") or (content.get("message") or {}).get("chat") or {}
    if club.staff_chat is not None and chat.get("id") == club.staff_chat:
        return True
    if kind == "callback_query":
        return club.handlers.for_button(content.get("data") or "") is not None
    if kind == "my_chat_member":
        return membership(content) is not None
    if kind != "message" or chat.get("type") != "private" or "from" not in content:
        return False
    command = command_name((content.get("text") or "").strip())
    if command is None or command in SHARED_COMMANDS:
        return None
    return command in club.handlers.commands


def by_standing(payload: dict[str, Any], club: Club, standing: Standing) -> bool:
    """Whether a private message is the club's, by where its sender stands with the club:
    all of it while they talk with the club or its staff; else /start with a live
    invitation, and a member's STOP (or START) said alone."""
    if standing.talking or standing.with_staff:
        return True
    text = (payload["message"].get("text") or "").strip()
    command = command_name(text)
    if command == "start":
        return standing.invited
    if command is not None:
        return False
    if not standing.member:  # before matching the words: most writers are the shop's
        return False
    return club.handlers.for_words(text, club.languages, urgent=True) is not None


def invitation(payload: dict[str, Any]) -> str | None:
    """The token a /start carries, when it could be an invitation's."""
    parts = (payload["message"].get("text") or "").split(maxsplit=1)
    token = parts[1].strip() if len(parts) == 2 and command_name(parts[0]) == "start" else None
    return token if token is not None and TOKEN.match(token) else None


def api_url(bot: Bot) -> str:
    """The Bot API's address the shop's bot calls, as TELEGRAM_API_URL names it."""
    return bot.session.api.base.split("{token}")[0]


class _Mounted:
    """The router's filter and handlers, around the Telegram channel."""

    def __init__(self, app: Concierge, background: bool) -> None:
        self.app, self.background = app, background
        self.stack = AsyncExitStack()
        self.started = False  # once started, a stop (or a failed start) closes the wiring
        self._wire()

    def _wire(self) -> None:
        found, sending, engine = outbound.wire(self.app, "aiogram")
        if found.telegram is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN: not set (the shop's bot token is needed)")
        self.found, self.telegram = found, found.telegram
        self.club = Club(
            engine.router, engine.every_language, found.desk.chat_id if found.desk else None
        )
        catching_up = partial(outbound.catch_up, [found.telegram])
        self.running = partial(
            outbound.running, self.app, found, sending, catching_up, self.background
        )

    async def claims(self, event: TelegramObject, event_update: Update) -> bool | dict[str, Any]:
        """The update as Telegram sent it, for the handler, when it is the club's."""
        payload = event_update.model_dump(mode="json", exclude_none=True, by_alias=True)
        ours = plainly(payload, self.club)
        if ours is None:
            address = str(payload["message"]["from"]["id"])
            now = self.app.clock()
            async with self.app.db.reading() as uow:
                standing = await chats.standing(
                    uow, CHANNEL, address, now, now - STATE_TTL, invitation(payload)
                )
            ours = by_standing(payload, self.club, standing)
        return {"payload": payload} if ours else False

    async def receive(self, event: TelegramObject, payload: dict[str, Any]) -> None:
        later = await self.telegram.receive(payload)
        if later is not None:
            await later()

    async def membership(self, event: TelegramObject, payload: dict[str, Any]) -> None:
        """Noted (who can be reached), then passed on: the shop may want to know too."""
        await self.receive(event, payload)
        raise SkipHandler

    async def startup(self) -> None:
        """The bot does not start on a schema the code cannot use (it would fail message
        by message): ConfigError says what to run. Started again after a stop, it wires
        anew what the stop closed."""
        if self.started:
            self._wire()
        self.started = True
        problem = await behind(self.app.db)
        if problem is not None:
            await self.found.aclose()
            await self.app.db.close()
            raise ConfigError(problem)
        await self.stack.enter_async_context(self.running())

    async def shutdown(self) -> None:
        await self.stack.aclose()


def club_router(app: Concierge, background: bool = True) -> Router:
    """The router for a concierge already built (`app`, its Telegram token the shop's).
    At the dispatcher's start it checks the schema and, in the `background`, handles what
    a stop left unhandled and sends what waits, as the web app does; at its stop it lets
    go of what it holds and closes."""
    mounted = _Mounted(app, background)
    router = Router(name="concierge")
    for kind in ("message", "edited_message", "callback_query"):
        router.observers[kind].register(mounted.receive, mounted.claims)
    router.my_chat_member.register(mounted.membership, mounted.claims)
    router.startup.register(mounted.startup)
    router.shutdown.register(mounted.shutdown)
    return router


def concierge_router(
    bot: Bot | str, database_url: str, program: str | Path | None = None, **settings: Any
) -> Router:
    """The concierge for a shop's aiogram bot: `bot` (or its token), the club's database,
    its program file (None: the bundled one, or CONCIERGE_PROGRAM), and any other setting by
    name (bot/settings.py: telegram_staff_chat_id=...). Include it before the shop's
    catch-all handlers. Raises ConfigError naming a setting that cannot work."""
    token, derived = bot, {}
    if isinstance(bot, Bot):  # its Bot API server, unless a setting names another
        token, derived = bot.token, {"telegram_api_url": api_url(bot)}
    given: dict[str, Any] = {"database_url": database_url, "telegram_bot_token": token}
    if program is not None:
        given["program"] = Path(program)
    return club_router(bootstrap(load_settings(**{**derived, **settings, **given})))
