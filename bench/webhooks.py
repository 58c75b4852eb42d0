"""Inbound webhooks, Telegram and WhatsApp, through the full stack beside a bare echo.

    python -m bench.webhooks [--updates 10000] [--members 1000] [--database-url URL]
                             [--no-memory]

Three paths in one process, one message after another, answering through one respx mock
of the Bot API and of Twilio's Messages API:

- bare echo: a python-telegram-bot Application (updater None) with one MessageHandler
  that echoes the text, fed with `process_update`;
- Telegram full stack: POST /telegram/webhook on our FastAPI app: the secret checked,
  then ONE transaction (receipt inserted handled, identity, state, handler, replies
  written to the outbox, commit), the answer; then, in the background, the replies sent
  to the mocked Bot API by the web process's sender (claimed, checked, sent, recorded);
- WhatsApp full stack: POST /twilio/whatsapp with Twilio's form, signed as Twilio signs it
  (X-Twilio-Signature for the public URL), a new MessageSid each: the signature and the
  form checked, then the same one transaction, the empty TwiML; then the replies sent to
  the mocked Twilio the same way.

The app runs in-process through httpx.ASGITransport, which returns once the background
sending is done, so each latency covers the whole message, replies sent. The statements
and transactions are counted on the engine, split at the moment the webhook could answer
(when the channel's `receive` returns): "in" is the message's own transaction, "sending"
what sending its replies cost. The paces' books are kept but their waits skipped (the
bench measures the stack, not Telegram's 25 messages a second per bot). Telegram runs
before WhatsApp, on the same app and database: 1,000 members (by default), each with a
phone number and linked on both channels, on a fresh SQLite file (or PostgreSQL with
--database-url, on an empty database). The messages are members' everyday words
("hello" -> the menu, "history", "help"). The web process's resident memory when idle is
read from a real `concierge serve` (Telegram and WhatsApp on) started on a free loopback
port, unless --no-memory.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiosqlite
import httpx
import respx
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, MessageHandler, filters
from twilio.request_validator import RequestValidator

from bench.server import CHANNELS_ON, serving
from bot.bootstrap import Concierge, bootstrap
from bot.settings import Settings
from bot.web import create_app
from storage.migrate import upgrade
from tests.channel.twilio import message_instance
from tests.factories import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WHATSAPP_FROM, whatsapp_form

TOKEN = "123456:bench-token-abcdefghijklmnopqrstuvwxyz"
API = "https://telegram.bench/bot"
SECRET = "bench-secret-0123456789abcdef"
TWILIO_API = "https://twilio.bench"
PUBLIC_URL = "https://club.bench"
WHATSAPP_HOOK = "/twilio/whatsapp"
WORDS = ("hello", "history", "help")

# One request to the app: path, body, headers; built before the clock starts.
Request = tuple[str, bytes, dict[str, str]]


def telegram_id(index: int) -> int:
    return 10_000 + index


def phone(index: int) -> str:
    return f"+{447_911_000_000 + index}"


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


def telegram_requests(updates: int, members: int) -> Iterator[Request]:
    headers = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
    for index in range(updates):
        body = update(index + 1, telegram_id(index % members), WORDS[index % 3])
        yield "/telegram/webhook", json.dumps(body).encode(), headers


def whatsapp_requests(updates: int, members: int) -> Iterator[Request]:
    validator = RequestValidator(TWILIO_AUTH_TOKEN)
    for index in range(updates):
        form = whatsapp_form(
            WORDS[index % 3], phone(index % members), sid=f"SM{index:032x}", profile_name="Member"
        )
        headers = {
            "x-twilio-signature": validator.compute_signature(PUBLIC_URL + WHATSAPP_HOOK, form),
            "content-type": "application/x-www-form-urlencoded",
        }
        yield WHATSAPP_HOOK, urlencode(form).encode(), headers


def mock_bot_api(router: respx.MockRouter) -> respx.Route:
    """The Bot API's answers, a new message_id each; returns the route of the send* methods."""
    message_ids = itertools.count(1)

    def sent(request: httpx.Request) -> httpx.Response:
        message = {
            "message_id": next(message_ids),
            "date": 1_764_000_000,
            "chat": {"id": 1, "type": "private"},
            "text": "ok",
        }
        return httpx.Response(200, json={"ok": True, "result": message})

    sends = router.post(url__regex=rf"{API}{TOKEN}/send\w+").mock(side_effect=sent)
    me = {"id": 123456, "is_bot": True, "first_name": "Concierge", "username": "bench_bot"}
    router.post(f"{API}{TOKEN}/getMe").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": me})
    )
    router.post(url__regex=rf"{API}{TOKEN}/answerCallbackQuery").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": True})
    )
    return sends


def mock_twilio(router: respx.MockRouter) -> respx.Route:
    """Twilio's Messages API: 201 with a MessageInstance, a new sid each time."""
    sids = itertools.count(0xA000)
    messages = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages"

    def create(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode(), keep_blank_values=True)
        return httpx.Response(201, json=message_instance(f"SM{next(sids):032x}", form))

    return router.post(f"{TWILIO_API}{messages}.json").mock(side_effect=create)


@dataclass
class SqlCount:
    """SQL statements (BEGIN aside) and transactions begun on an engine; `answered` is
    what they were when the last webhook had its answer (before its replies were sent)."""

    statements: int = 0
    transactions: int = 0
    answered: tuple[int, int] = (0, 0)
    handling: float = 0.0  # seconds spent in `receive`: until the webhook could answer

    def watch(self, channel: Any) -> None:
        """Note the counts when `channel.receive` returns: the webhook answers then."""
        receive = channel.receive

        async def watched(payload: dict[str, Any]) -> Any:
            began = time.perf_counter()
            later = await receive(payload)
            self.handling += time.perf_counter() - began
            self.answered = (self.statements, self.transactions)
            return later

        channel.receive = watched

    def listen(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "begin", self._begin)
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)

    def _begin(self, _connection: Any) -> None:
        self.transactions += 1

    def _statement(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):
            self.statements += 1


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
            member = await uow.members.add(
                name=f"Member {index}", phone=phone(index), locale="en", joined_at=now
            )
            await uow.identities.link(member.id, "telegram", str(telegram_id(index)), "en", now)
            await uow.identities.link(member.id, "whatsapp", phone(index), "en", now)
        await uow.commit()


async def full_stack(
    name: str,
    client: httpx.AsyncClient,
    requests: list[Request],
    sends: respx.Route,
    sql: SqlCount,
) -> dict[str, Any]:
    """Post each request and wait for it (and its background handling) to finish."""
    sent, handling = sends.call_count, sql.handling
    latencies = []
    inbound = [0, 0]  # statements, transactions until each webhook had its answer
    outbound = [0, 0]  # then, sending its replies
    start = time.perf_counter()
    for path, body, headers in requests:
        began = time.perf_counter()
        before = (sql.statements, sql.transactions)
        response = await client.post(path, content=body, headers=headers)
        latencies.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
        for i, (at, answered, end) in enumerate(
            zip(before, sql.answered, (sql.statements, sql.transactions), strict=True)
        ):
            inbound[i] += answered - at
            outbound[i] += end - answered
    wall = time.perf_counter() - start
    count = len(requests)
    return summary(name, latencies, wall) | {
        "sent": (sends.call_count - sent) / count,
        "statements": (inbound[0] + outbound[0]) / count,
        "transactions": (inbound[1] + outbound[1]) / count,
        "in_statements": inbound[0] / count,
        "in_transactions": inbound[1] / count,
        "in_ms": (sql.handling - handling) / count * 1000,
    }


def unpaced(sending: Any) -> None:
    """Keep the paces' books as a web process does (in PostgreSQL on PostgreSQL), but never
    wait for them: the bench measures the stack, not Telegram's 25 a second per bot."""
    budgets = sending.budgets
    reserve = budgets.reserve

    async def at_once(keys: Any, now: float) -> float:
        await reserve(keys, now)
        return now

    async def now_ready(keys: Any, now: float) -> float:
        return now

    budgets.reserve = at_once
    budgets.ready = now_ready


async def full_stacks(
    app: Concierge, updates: int, members: int, bot_sends: respx.Route, twilio: respx.Route
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Telegram, then WhatsApp, through one app with both channels on."""
    settings = app.settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_url": API,
            "telegram_webhook_secret": SecretStr(SECRET),
            "public_url": PUBLIC_URL,
            "twilio_account_sid": TWILIO_ACCOUNT_SID,
            "twilio_auth_token": SecretStr(TWILIO_AUTH_TOKEN),
            "twilio_whatsapp_from": WHATSAPP_FROM,
            "twilio_api_url": TWILIO_API,
        }
    )
    web = create_app(replace(app, settings=settings))
    unpaced(web.state.sending)
    sql = SqlCount()
    sql.listen(app.db.engine)
    sql.watch(web.state.telegram)
    sql.watch(web.state.whatsapp)
    telegram = list(telegram_requests(updates, members))
    whatsapp = list(whatsapp_requests(updates, members))
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tg = await full_stack("Telegram full stack", client, telegram, bot_sends, sql)
            wa = await full_stack("WhatsApp full stack", client, whatsapp, twilio, sql)
    return tg, wa


async def bare_echo(updates: int, members: int, sends: respx.Route) -> dict[str, Any]:
    application = Application.builder().token(TOKEN).base_url(API).updater(None).build()

    async def echo(update: Update, _: Any) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    application.add_handler(MessageHandler(filters.TEXT, echo))
    sent = sends.call_count
    latencies = []
    async with application:
        start = time.perf_counter()
        for index in range(updates):
            payload = update(index + 1, telegram_id(index % members), WORDS[index % 3])
            began = time.perf_counter()
            await application.process_update(Update.de_json(payload, application.bot))
            latencies.append(time.perf_counter() - began)
        wall = time.perf_counter() - start
    return summary("bare python-telegram-bot echo", latencies, wall) | {
        "sent": (sends.call_count - sent) / updates,
        "statements": 0.0,
        "transactions": 0.0,
        "in_statements": 0.0,
        "in_transactions": 0.0,
        "in_ms": 0.0,
    }


async def round_trip_us(folder: str) -> tuple[float, float]:
    """`SELECT 1` through aiosqlite (a thread hand-off) and through sqlite3 directly."""
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
    """Resident memory of a real `concierge serve`, Telegram and WhatsApp on, idle."""
    with serving({"CONCIERGE_DATABASE_URL": database_url, **CHANNELS_ON}) as server:
        time.sleep(1)
        return server.memory_mb("VmRSS")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000, help="per path")
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--database-url", help="an empty database; default: a fresh SQLite file")
    parser.add_argument("--no-memory", action="store_true", help="skip the idle server's RSS")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        app = bootstrap(Settings(database_url=url), clock=lambda: datetime.now(UTC))
        await seed(app, args.members)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="bench").pass_through()
            bot_sends = mock_bot_api(router)
            twilio = mock_twilio(router)
            echo = await bare_echo(args.updates, args.members, bot_sends)
            telegram, whatsapp = await full_stacks(
                app, args.updates, args.members, bot_sends, twilio
            )
        rss = None if args.no_memory else idle_rss_mb(url)
        hop, direct = await round_trip_us(folder)

    print(
        "| path | updates | updates/s | / echo | p50 ms | p99 ms | mean ms "
        "| replies sent/update | SQL statements/update: in + sending "
        "| transactions/update: in + sending |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in (echo, telegram, whatsapp):
        sending = row["statements"] - row["in_statements"]
        sending_txn = row["transactions"] - row["in_transactions"]
        print(
            f"| {row['name']} | {row['updates']:,} | {row['per_second']:,.0f} | "
            f"{row['per_second'] / echo['per_second']:.3f} | "
            f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['mean_ms']:.2f} | "
            f"{row['sent']:.2f} | {row['in_statements']:.1f} + {sending:.1f} | "
            f"{row['in_transactions']:.1f} + {sending_txn:.1f} |"
        )
    print()
    for row in (telegram, whatsapp):
        ratio = row["per_second"] / echo["per_second"]
        print(
            f"{row['name']} / bare echo throughput: {ratio:.3f}; until the answer (one "
            f"transaction) {row['in_ms']:.2f} ms of {row['mean_ms']:.2f} ms on average"
        )
    if rss is not None:
        print(f"web process resident memory when idle: {rss:.0f} MB")
    print(f"SELECT 1 round trip: aiosqlite {hop:.0f} µs, sqlite3 directly {direct:.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
