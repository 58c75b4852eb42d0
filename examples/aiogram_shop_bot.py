"""A shop's own aiogram bot with the club's concierge mounted in it, run by long polling.

    SHOP_BOT_TOKEN=123:ABC... CONCIERGE_DATABASE_URL=sqlite+aiosqlite:///./concierge.db \
        python examples/aiogram_shop_bot.py

The concierge answers the club's messages (/club, its buttons, members talking with it);
the shop's handlers below get everything else. Run `concierge worker` beside it with
TELEGRAM_BOT_TOKEN set to the same token for birthdays, anniversaries and reminders.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.channels.aiogram import concierge_router


def shop_router() -> Router:
    """The shop's own handlers: its catalogue, and an answer to anything else."""
    shop = Router(name="shop")

    @shop.message(Command("catalogue"))
    async def catalogue(message: Message) -> None:
        await message.answer("Our catalogue: rings, necklaces, earrings. /club for the club.")

    @shop.message(F.text)
    async def anything_else(message: Message) -> None:
        await message.answer("Thank you: our shop will answer you here soon.")

    return shop


def build(token: str, database_url: str) -> tuple[Bot, Dispatcher]:
    """The shop's bot and dispatcher, the concierge before the shop's catch-all (aiogram
    asks routers in the order they were included). Nothing connects until polling."""
    bot = Bot(token)
    dispatcher = Dispatcher()
    dispatcher.include_router(concierge_router(bot, database_url))
    dispatcher.include_router(shop_router())
    return bot, dispatcher


async def main() -> None:
    bot, dispatcher = build(
        os.environ["SHOP_BOT_TOKEN"],
        os.environ.get("CONCIERGE_DATABASE_URL", "sqlite+aiosqlite:///./concierge.db"),
    )
    await dispatcher.start_polling(bot)


if __name__ == "__main__":
    asyncio.run(main())
