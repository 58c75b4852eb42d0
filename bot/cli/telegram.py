"""The Telegram bot: where it posts its updates, or polling for them without a public URL."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.running import fail, load, run

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel


@click.group()
def telegram() -> None:
    """The Telegram bot."""


@telegram.command("set-webhook")
@click.argument("url")
def telegram_set_webhook(url: str) -> None:
    """Tell Telegram to post updates to URL (ending in /telegram/webhook)."""
    from bot.channels.telegram import ALLOWED_UPDATES, telegram_channel

    app = load()
    channel = telegram_channel(app)
    if channel is None:
        fail("TELEGRAM_BOT_TOKEN: not set (Telegram is off)")
    secret = app.settings.telegram_webhook_secret
    if secret is None:
        fail("TELEGRAM_WEBHOOK_SECRET: not set (the webhook would accept anyone)")
    token = secret.get_secret_value()
    from telegram.error import TelegramError

    try:
        run(lambda _: _set_webhook(channel, url, token), app)
    except TelegramError as exc:  # Telegram's own words: a URL it will not post to, a token
        fail(f"Telegram refused the webhook: {exc.message}", code=1)
    click.echo(f"webhook set to {url} for {', '.join(ALLOWED_UPDATES)}")


async def _set_webhook(channel: TelegramChannel, url: str, secret: str) -> None:
    from bot.channels.telegram import ALLOWED_UPDATES

    try:
        await channel.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    finally:  # refused or not, the bot's connections are let go
        await channel.aclose()


@telegram.command("poll")
def telegram_poll() -> None:
    """Fetch updates by long polling (local use, no public URL); Ctrl-C stops."""
    app = load()
    if app.settings.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN: not set (Telegram is off)")
    with contextlib.suppress(KeyboardInterrupt):
        run(_poll, app)


async def _poll(app: Concierge) -> None:
    from bot import outbound
    from bot.channels.telegram import poll

    found, sending, _ = outbound.wire(app, "poll")
    assert found.telegram is not None  # the token is set
    try:
        await poll(found.telegram)
    finally:
        await sending.release()
        await found.aclose()


COMMANDS = (telegram,)
