"""A shop's aiogram bot: a bare echo router beside the same echo with the concierge mounted.

    python -m bench.aiogram_router [--updates 2000] [--members 500] [--database-url URL]

`Dispatcher.feed_update` on the same updates, one after another, in one process:

- bare echo: the shop's router alone, one handler answering every text message through
  aiogram's Bot (a recording session answers at once: no network);
- with the concierge: `club_router` included first, the same echo after it.

Two sets of updates: the shop's traffic (people not talking with the club write plain
words: the router asks the database where each stands and lets it through to the echo),
and the club's (members in a conversation with it write "hello", "history", "help": the
concierge handles each in one transaction and sends its replies through
python-telegram-bot to a respx mock of the Bot API, its pace's books kept but never
waited for). 500 members (by default) on a fresh SQLite file, or PostgreSQL with
--database-url (an empty database).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import respx
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message, Update
from pydantic import SecretStr

from bench.webhooks import API, TOKEN, WORDS, mock_bot_api, seed, summary, telegram_id, unpaced
from bench.webhooks import update as telegram_update
from bot import outbound
from bot.bootstrap import Concierge, bootstrap
from bot.channels.aiogram import club_router
from bot.settings import Settings
from loyalty.records import Saved
from tests.channel.aiogram_shop import RecordingSession

STRANGERS = 900_000  # Telegram ids of the shop's customers, none of them a member


def echo_router() -> Router:
    shop = Router(name="shop")

    @shop.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    return shop


async def talking(app: Concierge, members: int) -> None:
    """Every member in a conversation with the club (the main menu offered)."""
    until = app.clock() + timedelta(days=1)
    async with app.db.unit_of_work() as uow:
        for index in range(members):
            menu = Saved(options=[["My card", "card"], ["Help", "help"]])
            await uow.conversations.save("telegram", str(telegram_id(index)), menu, until)
        await uow.commit()


def updates(first: int, count: int, user: Callable[[int], int]) -> list[dict[str, Any]]:
    return [telegram_update(first + i, user(i), WORDS[i % 3]) for i in range(count)]


async def fed(
    name: str, dispatcher: Dispatcher, bot: Bot, payloads: list[dict[str, Any]]
) -> dict[str, Any]:
    parsed = [Update.model_validate(p, context={"bot": bot}) for p in payloads]
    latencies = []
    start = time.perf_counter()
    for update in parsed:
        began = time.perf_counter()
        await dispatcher.feed_update(bot, update)
        latencies.append(time.perf_counter() - began)
    return summary(name, latencies, time.perf_counter() - start)


def dispatcher_with(*routers: Router) -> Dispatcher:
    dispatcher = Dispatcher()
    for router in routers:
        dispatcher.include_router(router)
    return dispatcher


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2_000, help="per path and traffic")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--database-url", help="an empty database; default: a fresh SQLite file")
    args = parser.parse_args()
    n, members = args.updates, args.members

    made = outbound.sender  # the concierge's sender: the pace's books kept, never waited for

    def unpaced_sender(*given: Any, **named: Any) -> Any:
        sending = made(*given, **named)
        unpaced(sending)
        return sending

    outbound.sender = unpaced_sender  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        app = bootstrap(Settings(database_url=url), clock=lambda: datetime.now(UTC))
        await seed(app, members)
        await talking(app, members)
        settings = app.settings.model_copy(
            update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": API}
        )
        app = replace(app, settings=settings)
        session = RecordingSession()
        session.api = TelegramAPIServer.from_base(API.removesuffix("/bot"))
        bot = Bot(TOKEN, session=session)
        shop_traffic = updates(1, n, lambda i: STRANGERS + i % members)
        club_traffic = updates(n + 1, n, lambda i: telegram_id(i % members))
        rows = []
        with respx.mock(assert_all_called=False) as mock:
            sends = mock_bot_api(mock)
            bare = dispatcher_with(echo_router())
            rows.append(await fed("shop's traffic, bare echo", bare, bot, shop_traffic))
            rows.append(await fed("club's traffic, bare echo", bare, bot, club_traffic))
            both = dispatcher_with(club_router(app, background=False), echo_router())
            await both.emit_startup(bot=bot)
            echoed, sent = len(session.calls), sends.call_count
            rows.append(await fed("shop's traffic, with the concierge", both, bot, shop_traffic))
            assert len(session.calls) - echoed == n and sends.call_count == sent  # let through
            echoed = len(session.calls)
            rows.append(await fed("club's traffic, with the concierge", both, bot, club_traffic))
            assert len(session.calls) == echoed and sends.call_count - sent >= n  # the club's
            await both.emit_shutdown(bot=bot)

    print("| traffic, path | updates | updates/s | / bare echo | p50 ms | p99 ms | mean ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row, echo in zip(rows, [rows[0], rows[1], rows[0], rows[1]], strict=True):
        print(
            f"| {row['name']} | {row['updates']:,} | {row['per_second']:,.0f} | "
            f"{row['per_second'] / echo['per_second']:.3f} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} | {row['mean_ms']:.2f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
