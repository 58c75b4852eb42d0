"""The examples build as written, without the network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bot.channels.aiogram import concierge_router
from bot.settings import ConfigError

EXAMPLES = Path(__file__).parent.parent / "examples"
TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"


def example(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_aiogram_shop_bot_mounts_the_concierge_before_its_own_handlers(
    tmp_path: Path,
) -> None:
    shop = example("aiogram_shop_bot")
    bot, dispatcher = shop.build(TOKEN, f"sqlite+aiosqlite:///{tmp_path}/club.db")  # type: ignore[attr-defined]
    assert bot.token == TOKEN
    assert [router.name for router in dispatcher.sub_routers] == ["concierge", "shop"]


def test_a_token_that_is_not_a_bot_token_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN: not a bot token"):
        concierge_router("not-a-token", f"sqlite+aiosqlite:///{tmp_path}/club.db")


async def test_the_concierge_does_not_start_on_a_database_without_its_tables(
    tmp_path: Path,
) -> None:
    shop = example("aiogram_shop_bot")
    bot, dispatcher = shop.build(TOKEN, f"sqlite+aiosqlite:///{tmp_path}/club.db")  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="the database has no tables yet: run"):
        await dispatcher.emit_startup(bot=bot)
