"""Telegram webhook throughput: the full stack beside a bare python-telegram-bot echo.

    python -m bench.telegram_webhook [--updates 10000] [--members 1000]

Both sides get the same real-shaped Update JSON and answer through the same respx mock of
the Bot API, in one process, one update after another:

- full stack: POST /telegram/webhook on our FastAPI app (secret check, receipt recorded,
  engine: identity, state, handler, one transaction), reply sent to the mocked Bot API;
  the app runs in-process through httpx.ASGITransport, which returns once the background
  handling is done, so each latency covers the whole message;
- bare echo: a python-telegram-bot Application (updater None) with one MessageHandler
  that echoes the text, fed with `process_update`.

The messages are members' everyday words ("hello" -> the menu, "history", "help"), from
linked members on a fresh SQLite file (or PostgreSQL with --database-url). The web
process's resident memory when idle is read from a real `concierge serve` started on a
free loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import respx
from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.bootstrap import Concierge, bootstrap
from bot.settings import Settings
from bot.web import create_app
from storage.migrate import upgrade

TOKEN = "123456:bench-token-abcdefghijklmnopqrstuvwxyz"
API = "https://telegram.bench/bot"
SECRET = "bench-secret-0123456789abcdef"
WORDS = ("hello", "history", "help")


def update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Member", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Member"},
            "from": user,
            "text": text,
        },
    }


def mock_bot_api(router: respx.MockRouter) -> None:
    sent = {
        "ok": True,
        "result": {
            "message_id": 1,
            "date": 1_764_000_000,
            "chat": {"id": 1, "type": "private"},
            "text": "ok",
        },
    }
    router.post(url__regex=rf"{API}{TOKEN}/send\w+").mock(
        return_value=httpx.Response(200, json=sent)
    )
    me = {"id": 123456, "is_bot": True, "first_name": "Concierge", "username": "bench_bot"}
    router.post(f"{API}{TOKEN}/getMe").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": me})
    )
    router.post(url__regex=rf"{API}{TOKEN}/answerCallbackQuery").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": True})
    )


def summary(name: str, latencies: list[float], wall: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "name": name,
        "updates": len(latencies),
        "per_second": len(latencies) / wall,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


async def seed(app: Concierge, members: int) -> None:
    await upgrade(app.db)
    now = app.clock()
    async with app.db.unit_of_work() as uow:
        for index in range(members):
            member = await uow.members.add(name=f"Member {index}", joined_at=now)
            await uow.identities.link(member.id, "telegram", str(10_000 + index), "en", now)
        await uow.commit()


async def full_stack(app: Concierge, updates: int, members: int) -> dict[str, Any]:
    settings = app.settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_url": API,
            "telegram_webhook_secret": SecretStr(SECRET),
        }
    )
    web = create_app(replace(app, settings=settings))
    headers = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
    latencies = []
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        start = time.perf_counter()
        for index in range(updates):
            body = json.dumps(update(index + 1, 10_000 + index % members, WORDS[index % 3]))
            began = time.perf_counter()
            response = await client.post("/telegram/webhook", content=body, headers=headers)
            latencies.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
        wall = time.perf_counter() - start
    return summary("full stack (webhook, SQL, engine, reply)", latencies, wall)


async def bare_echo(updates: int, members: int) -> dict[str, Any]:
    application = Application.builder().token(TOKEN).base_url(API).updater(None).build()

    async def echo(update: Update, _: Any) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    application.add_handler(MessageHandler(filters.TEXT, echo))
    latencies = []
    async with application:
        start = time.perf_counter()
        for index in range(updates):
            payload = update(index + 1, 10_000 + index % members, WORDS[index % 3])
            began = time.perf_counter()
            await application.process_update(Update.de_json(payload, application.bot))
            latencies.append(time.perf_counter() - began)
        wall = time.perf_counter() - start
    return summary("bare python-telegram-bot echo (process_update)", latencies, wall)


async def round_trip_us(folder: str) -> tuple[float, float]:
    """`SELECT 1` through aiosqlite (a thread hand-off) and through sqlite3 directly."""
    import sqlite3

    import aiosqlite

    count = 2_000
    async with aiosqlite.connect(Path(folder) / "hop.db") as connection:
        began = time.perf_counter()
        for _ in range(count):
            async with connection.execute("SELECT 1") as cursor:
                await cursor.fetchall()
        through_thread = (time.perf_counter() - began) / count
    direct = sqlite3.connect(Path(folder) / "hop.db")
    began = time.perf_counter()
    for _ in range(count):
        direct.execute("SELECT 1").fetchall()
    in_loop = (time.perf_counter() - began) / count
    direct.close()
    return through_thread * 1e6, in_loop * 1e6


def idle_rss_mb(database_url: str) -> float:
    """Resident memory of a real `concierge serve`, idle after start-up."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "CONCIERGE_DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",  # never called while idle
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    concierge = Path(sys.executable).with_name("concierge")
    server = subprocess.Popen(
        [str(concierge), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(1)
        status = Path(f"/proc/{server.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        return kb / 1024
    finally:
        server.terminate()
        server.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        app = bootstrap(Settings(database_url=url), clock=lambda: datetime.now(UTC))
        await seed(app, args.members)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="bench").pass_through()
            mock_bot_api(router)
            echo = await bare_echo(args.updates, args.members)
            full = await full_stack(app, args.updates, args.members)
        await app.db.close()
        rss = idle_rss_mb(url)
        hop, direct = await round_trip_us(folder)

    print("| path | updates | updates/s | p50 ms | p99 ms | mean ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in (echo, full):
        print(
            f"| {row['name']} | {row['updates']:,} | {row['per_second']:,.0f} | "
            f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['mean_ms']:.2f} |"
        )
    print(f"\nfull stack / bare echo throughput: {full['per_second'] / echo['per_second']:.2f}")
    print(f"web process resident memory when idle: {rss:.0f} MB")
    print(f"SELECT 1 round trip: aiosqlite {hop:.0f} µs, sqlite3 directly {direct:.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
