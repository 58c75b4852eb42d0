"""One outbound path against local doubles of the Bot API and Twilio that enforce the limits.

    python -m bench.outbound [rate] [--messages 10000] [--latency 0.2] [--database-url URL]
    python -m bench.outbound processes --database-url URL   # 2 web + 2 dispatchers, one bot
    python -m bench.outbound faults [--database-url URL]     # 5xx, resets, late answers, kills
    python -m bench.outbound restart [--database-url URL]    # /healthz and SIGTERM times

Issue 16. The doubles are one aiohttp server in a child process on a free loopback port,
answering the Bot API (`/bot<token>/<method>`: getMe, sendMessage) and Twilio's Messages
API (`/2010-04-01/Accounts/<sid>/Messages.json`) after `--latency` seconds (200 ms), and
judging each request when it arrives with sliding windows of their own: Telegram more than
30 accepted in the last second for the bot, more than one in the last second to a person
(`--chat-burst` raises that), more than 20 in the last minute to a group; Twilio more than
`--mps` in the last second for the sender. Over a limit they answer 429 as the platforms do
(Telegram's `parameters.retry_after`; Twilio's error 20429). They record every message they
accepted, by its outbox id (a reply's text is `m<id>`; Twilio's StatusCallback names the
id; a Telegram birthday greeting is known by its chat, one a member), in arrival order per
chat. Faults (`faults`): a share of calls answered 5xx (not taken), reset (taken, the
connection cut before the answer) or answered after the client's time-out (taken).

The sender is the real one: `bot.outbound` builds the channels (python-telegram-bot's Bot,
the twilio Client over httpx) from the settings, TELEGRAM_API_URL and TWILIO_API_URL aimed at
the doubles, the budgets the database calls for, and `Sender.run` drains every second
(`rate`, in this process); `concierge serve`, `concierge worker` and `concierge outbox
drain` do the same in their own processes (`processes`, `faults`, `restart`).

The messages, written to the outbox before the clock starts: members' chats on Telegram and
on WhatsApp, three replies each (one turn's words, card and buttons, consecutive ids, in a
shuffled order of chats), a birthday greeting due now for one member in ten (consent given,
mid-afternoon in their zone), and `--staff` posts to the staff group. A PostgreSQL database
named in --database-url must have "bench" in its name: it is dropped, created and migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from bench.occasions import machine, recreate_postgres
from bench.server import CONCIERGE, serving
from bot import outbound
from bot.bootstrap import Concierge, bootstrap
from bot.settings import Settings
from loyalty.ports import BeforeCall, ChannelPort, Outcome, Outgoing
from services.handoffs import GROUP
from storage.migrate import upgrade
from storage.models import ChannelIdentity, Consent, Member, OutboxMessage
from storage.outbox import PENDING
from storage.repositories import core_table
from tests.factories import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WHATSAPP_FROM

TOKEN = "123456:bench-token-abcdefghijklmnopqrstuvwxyz"
STAFF_CHAT = -1001234567890
PUBLIC_URL = "https://club.bench"
FIRST_CHAT = 700_000_000  # Telegram user ids of the seeded members
FIRST_PHONE = 14_155_550_000  # WhatsApp numbers of the seeded members (+1 415 555 ....)
TELEGRAM_PER_SECOND = 30  # what Telegram allows a bot, and ...
GROUP_PER_MINUTE = 20  # ... a group
TELEGRAM_RATE = 25.0  # our configured paces (loyalty/pace.py)
GROUP_RATE = 15 / 60
TARGET = 0.95
UNDER_WAY = ("pending", "claimed", "sending")
REPLY = re.compile(r"^m(\d+)$")


# --- the doubles ----------------------------------------------------------------------------


class Window:
    """Accepted calls on one key in the last `seconds`, judged at arrival."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float | None:
        """None: one more fits now; else the seconds until one does."""
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return self.times[0] + self.seconds - now
        return None


@dataclass
class Doubles:
    """Telegram's and Twilio's limits, the faults to play, and what was accepted."""

    latency: float
    mps: int
    chat_burst: int = 1
    fail: float = 0.0  # share answered 5xx (not taken)
    reset: float = 0.0  # share taken, then the connection cut before the answer
    late: float = 0.0  # share taken, answered after the client gave up
    late_after: float = 12.0  # PTB's read time-out is 5 s, our Twilio client's 10 s
    windows: dict[str, Window] = field(default_factory=dict)
    accepted: list[tuple[float, str, str, str]] = field(default_factory=list)  # at, api, chat, key
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lost: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # key: answers lost
    random: random.Random = field(default_factory=lambda: random.Random(16))

    def judge(self, now: float, limits: Sequence[tuple[str, int, float]]) -> float | None:
        for name, limit, seconds in limits:
            window = self.windows.setdefault(name, Window(limit, seconds))
            wait = window.wait(now)
            if wait is not None:
                self.refused[name.split(":")[0]] += 1
                return wait
        for name, _, _ in limits:
            self.windows[name].times.append(now)
        return None

    def fault(self) -> str | None:
        roll = self.random.random()
        for name, share in (("fail", self.fail), ("reset", self.reset), ("late", self.late)):
            if roll < share:
                return name
            roll -= share
        return None


def serve_doubles(args: argparse.Namespace) -> None:
    """The child process: serve the doubles on a free port, print it, run until killed."""
    from aiohttp import web

    doubles = Doubles(
        args.latency, args.mps, args.chat_burst, args.fail, args.reset, args.late,
        args.late_after,
    )  # fmt: skip
    counter = 0

    async def answer(
        request: web.Request, api: str, chat: str, key: str, limits: Any, refusal: Any
    ) -> web.StreamResponse | int:
        """A refusal, or the number of the message taken."""
        nonlocal counter
        now = time.monotonic()
        wait = doubles.judge(now, limits)
        if wait is not None:
            await asyncio.sleep(doubles.latency)
            return refusal(429, wait)
        fault = doubles.fault()
        if fault == "fail":
            doubles.refused["5xx"] += 1
            doubles.windows[limits[0][0]].times.pop()  # not taken: not counted
            for name, _, _ in limits[1:]:
                doubles.windows[name].times.pop()
            await asyncio.sleep(doubles.latency)
            return refusal(502, 0)
        doubles.accepted.append((now, api, chat, key))
        counter += 1
        number = counter
        if fault == "reset":
            doubles.lost[key] += 1
            await asyncio.sleep(doubles.latency)
            transport = request.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:  # RST, not FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            raise asyncio.CancelledError
        if fault == "late":  # noted now: the client gives up first, which cancels this handler
            doubles.lost[key] += 1
        await asyncio.sleep(doubles.late_after if fault == "late" else doubles.latency)
        return number

    async def bot_api(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"].lower()
        form = await request.post()
        if method == "getme":
            me = {"id": 123456, "is_bot": True, "first_name": "Concierge", "username": "bench"}
            return web.json_response({"ok": True, "result": me})
        if method != "sendmessage":
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        chat, text = str(form["chat_id"]), str(form.get("text", ""))
        found = REPLY.match(text)
        key = f"m{found.group(1)}" if found else f"s{chat}"
        group = chat.startswith("-100")
        limits = [("telegram:bot", TELEGRAM_PER_SECOND, 1.0)]
        limits += (
            [(f"group:{chat}", GROUP_PER_MINUTE, 60.0)]
            if group
            else [(f"chat:{chat}", doubles.chat_burst, 1.0)]
        )

        def refusal(status: int, wait: float) -> web.Response:
            if status == 429:
                after = max(1, math.ceil(wait))
                return web.json_response({
                    "ok": False, "error_code": 429,
                    "description": f"Too Many Requests: retry after {after}",
                    "parameters": {"retry_after": after},
                }, status=429)  # fmt: skip
            return web.json_response(
                {"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502
            )

        number = await answer(request, "telegram", chat, key, limits, refusal)
        if not isinstance(number, int):
            return number
        sent = {
            "message_id": number, "date": int(time.time()), "text": text,
            "chat": {"id": int(chat), "type": "supergroup" if group else "private"},
        }  # fmt: skip
        return web.json_response({"ok": True, "result": sent})

    async def twilio(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        to = str(form.get("To", ""))
        callback = str(form.get("StatusCallback", ""))
        key = "m" + callback.rsplit("m=", 1)[-1]
        limits = [("whatsapp:sender", doubles.mps, 1.0)]

        def refusal(status: int, wait: float) -> web.Response:
            code, words = (20429, "Too Many Requests") if status == 429 else (
                20500, "Internal Server Error"
            )  # fmt: skip
            return web.json_response({
                "code": code, "message": words, "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
            }, status=status)  # fmt: skip

        number = await answer(request, "whatsapp", to, key, limits, refusal)
        if not isinstance(number, int):
            return number
        sid = f"SM{number:032x}"
        return web.json_response({
            "sid": sid, "status": "queued", "to": to, "from": str(form.get("From", "")),
            "body": str(form.get("Body", "")), "account_sid": request.match_info["sid"],
            "date_created": None, "num_segments": "1", "direction": "outbound-api",
        }, status=201)  # fmt: skip

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({
            "accepted": doubles.accepted, "refused": doubles.refused, "lost": doubles.lost,
        })  # fmt: skip

    async def count(_: web.Request) -> web.Response:
        return web.json_response({"accepted": len(doubles.accepted)})

    async def main() -> None:
        app = web.Application()
        app.router.add_post(r"/bot{token}/{method}", bot_api)
        app.router.add_post(r"/2010-04-01/Accounts/{sid}/Messages.json", twilio)
        app.router.add_get("/stats", stats)
        app.router.add_get("/count", count)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@contextlib.contextmanager
def doubles_process(args: argparse.Namespace, faults: bool = False) -> Iterator[str]:
    """The doubles in a child process (their work on a CPU slice of their own): their URL."""
    command = [
        sys.executable, "-m", "bench.outbound", "doubles", "--latency", str(args.latency),
        "--mps", str(args.mps), "--chat-burst", str(args.chat_burst),
    ]  # fmt: skip
    shares = (args.fail, args.reset, args.late) if faults else (0, 0, 0)
    command += ["--fail", str(shares[0]), "--reset", str(shares[1]), "--late", str(shares[2])]
    command += ["--late-after", str(args.late_after)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError("the doubles did not start")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        child.terminate()
        child.wait(timeout=10)


def doubles_stats(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/stats", timeout=30).json()  # type: ignore[no-any-return]


# --- the club and its outbox ------------------------------------------------------------------


def environment(url: str, database_url: str, mps: int) -> dict[str, str]:
    """The settings of every process: Telegram, its staff group and WhatsApp, aimed at the
    doubles."""
    return {
        "CONCIERGE_DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": f"{url}/bot",
        "TELEGRAM_WEBHOOK_SECRET": "bench-secret-0123456789abcdef",
        "TELEGRAM_STAFF_CHAT_ID": str(STAFF_CHAT),
        "CONCIERGE_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_API_URL": url,
        "TWILIO_WHATSAPP_MPS": str(mps),
    }


def club(url: str, database_url: str, mps: int) -> Concierge:
    names = {
        "CONCIERGE_DATABASE_URL": "database_url", "TELEGRAM_BOT_TOKEN": "telegram_bot_token",
        "TELEGRAM_API_URL": "telegram_api_url", "TELEGRAM_STAFF_CHAT_ID": "telegram_staff_chat_id",
        "CONCIERGE_PUBLIC_URL": "public_url", "TWILIO_ACCOUNT_SID": "twilio_account_sid",
        "TWILIO_AUTH_TOKEN": "twilio_auth_token", "TWILIO_WHATSAPP_FROM": "twilio_whatsapp_from",
        "TWILIO_API_URL": "twilio_api_url", "TWILIO_WHATSAPP_MPS": "twilio_whatsapp_mps",
    }  # fmt: skip
    values = {names[k]: v for k, v in environment(url, database_url, mps).items() if k in names}
    return bootstrap(Settings(**values), clock=lambda: datetime.now(UTC))


def afternoon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is now about 14:00: no quiet hours during the run."""
    offset = (14 - now.hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/UTC"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"


@dataclass
class Mix:
    telegram: int  # member chats
    whatsapp: int
    staff: int  # posts to the staff group
    per_chat: int = 3
    scheduled_every: int = 10  # one member in this many gets a birthday greeting

    @classmethod
    def of(cls, messages: int, staff: int, whatsapp_share: float, per_chat: int) -> Mix:
        members = messages - staff
        whatsapp = round(members * whatsapp_share)
        # a member in ten also gets a greeting: chats x (per_chat + 0.1) messages
        each = per_chat + 0.1
        return cls(round((members - whatsapp) / each), round(whatsapp / each), staff, per_chat)


@dataclass
class Seeded:
    expected: dict[str, tuple[str, bool]]  # key at the doubles -> (channel, scheduled)
    rows: int
    telegram: int
    whatsapp: int
    staff: int


async def seed(app: Concierge, mix: Mix) -> Seeded:
    """Members, their consent and identities, and every message, pending, due now."""
    now = app.clock()
    zone, joined = afternoon_zone(now), now - timedelta(days=400)
    shuffle = random.Random(5)
    chats = [("telegram", str(FIRST_CHAT + n)) for n in range(mix.telegram)]
    chats += [("whatsapp", f"+{FIRST_PHONE + n}") for n in range(mix.whatsapp)]
    shuffle.shuffle(chats)
    members, identities, consents, rows = [], [], [], []
    expected: dict[str, tuple[str, bool]] = {}
    next_id, staff_left = 1, mix.staff
    staff_every = max(1, len(chats) // max(1, mix.staff))
    for n, (channel, address) in enumerate(chats, 1):
        members.append({"id": n, "name": f"Member {n}", "locale": "en", "timezone": zone,
                        "joined_at": joined})  # fmt: skip
        identities.append({"member_id": n, "channel": channel, "address": address,
                           "reachable": True, "language": "en", "created_at": joined})  # fmt: skip
        consents.append({"member_id": n, "purpose": "birthday", "channel": channel,
                         "granted": True, "at": joined, "source": "bench",
                         "wording": "bench"})  # fmt: skip
        for _ in range(mix.per_chat):
            rows.append({"id": next_id, "member_id": n, "channel": channel, "address": address,
                         "kind": "reply", "body": f"m{next_id}", "variables": {}})  # fmt: skip
            expected[f"m{next_id}"] = (channel, False)
            next_id += 1
        if n % mix.scheduled_every == 0:
            rows.append({
                "id": next_id, "key": f"birthday:{n}:{now.year}", "member_id": n,
                "channel": channel, "address": address, "kind": "birthday",
                "purpose": "birthday", "due_at": now - timedelta(seconds=1), "body": "",
                "variables": {"years": "", "on": now.date().isoformat()},
            })  # fmt: skip
            expected[f"s{address}" if channel == "telegram" else f"m{next_id}"] = (channel, True)
            next_id += 1
        if staff_left and n % staff_every == 0:
            rows.append({"id": next_id, "member_id": n, "channel": "staff", "address": GROUP,
                         "kind": "post", "body": f"m{next_id}", "variables": {}})  # fmt: skip
            expected[f"m{next_id}"] = ("staff", False)
            staff_left -= 1
            next_id += 1
    common = {"status": PENDING, "attempts": 0, "created_at": now, "updated_at": now}
    async with app.db.engine.begin() as connection:
        for table, values in ((Member, members), (ChannelIdentity, identities),
                              (Consent, consents)):  # fmt: skip
            for part in range(0, len(values), 2000):
                await connection.execute(insert(core_table(table)), values[part : part + 2000])
        full = [{"key": None, "purpose": None, "due_at": None} | row | common for row in rows]
        for part in range(0, len(full), 2000):
            await connection.execute(insert(core_table(OutboxMessage)), full[part : part + 2000])
        if app.db.url.get_backend_name() == "postgresql":
            for table in ("member", "outbox_message", "channel_identity", "consent"):
                await connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    count = defaultdict(int)
    for channel, _ in expected.values():
        count[channel] += 1
    return Seeded(expected, len(rows), count["telegram"], count["whatsapp"], count["staff"])


async def under_way(app: Concierge) -> int:
    async with app.db.engine.connect() as connection:
        return int(
            await connection.scalar(
                select(func.count()).where(OutboxMessage.status.in_(UNDER_WAY))
            )
            or 0
        )


async def statuses(app: Concierge) -> dict[str, int]:
    async with app.db.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: count for status, count in rows}


async def uncertain_keys(app: Concierge) -> set[str]:
    async with app.db.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.address).where(
                OutboxMessage.status == "uncertain"
            )
        )
        return {
            f"s{address}" if channel == "telegram" else f"m{row_id}"
            for row_id, channel, address in rows
        }


# --- what the doubles saw ---------------------------------------------------------------------


@dataclass
class Verdict:
    channel: str
    sent: int
    seconds: float
    rate: float
    configured: float
    busiest: int  # most accepted in any second (any minute for the group)

    @property
    def share(self) -> float:
        return self.rate / self.configured


def rate_of(times: list[float], configured: float, window: float = 1.0) -> tuple[float, int]:
    """Messages a second from the first to the last, and the most in any `window`."""
    times = sorted(times)
    if len(times) < 2:
        return 0.0, len(times)
    busiest, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        busiest = max(busiest, end - start + 1)
    return (len(times) - 1) / (times[-1] - times[0]), busiest


@dataclass
class Judged:
    verdicts: list[Verdict]
    too_many: dict[str, int]
    failed_5xx: int
    delivered: int
    missing: list[str]
    doubles: list[str]
    order_violations: int
    lost: dict[str, int]


def judge(stats: dict[str, Any], seeded: Seeded, mps: int) -> Judged:
    accepted = stats["accepted"]
    seen: dict[str, int] = defaultdict(int)
    per_chat: dict[tuple[str, str], list[int]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    for at, api, chat, key in accepted:
        seen[key] += 1
        channel = seeded.expected.get(key, ("?", False))[0]
        times["telegram (bot: members and group)" if api == "telegram" else "whatsapp"].append(at)
        if channel == "staff":
            times["staff group"].append(at)
        if seen[key] == 1 and key.startswith("m") and not seeded.expected[key][1]:
            per_chat[(api, chat)].append(int(key[1:]))
    violations = sum(1 for ids in per_chat.values() for a, b in itertools.pairwise(ids) if b < a)
    verdicts = []
    for name, configured, window in (
        ("telegram (bot: members and group)", TELEGRAM_RATE, 1.0),
        ("whatsapp", float(mps), 1.0),
        ("staff group", GROUP_RATE, 60.0),
    ):
        if times[name]:
            rate, busiest = rate_of(times[name], configured, window)
            span = max(times[name]) - min(times[name])
            verdicts.append(Verdict(name, len(times[name]), span, rate, configured, busiest))
    refused = stats["refused"]
    return Judged(
        verdicts,
        {k: v for k, v in refused.items() if k != "5xx"},
        refused.get("5xx", 0),
        sum(1 for key in seeded.expected if seen.get(key)),
        [key for key in seeded.expected if not seen.get(key)],
        [key for key, n in seen.items() if n > 1],
        violations,
        stats["lost"],
    )


def group_rate_note(verdict: Verdict) -> str:
    """The group's pace starts with a burst of 5: its steady rate is judged after it."""
    return f"{verdict.rate * 60:.1f}/min"


def print_verdicts(title: str, judged: Judged, latencies: list[float] | None) -> None:
    print(f"\n#### {title}\n")
    print(
        "| channel | sent | s | achieved /s | configured /s | % | busiest second (minute: group) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for v in judged.verdicts:
        print(
            f"| {v.channel} | {v.sent:,} | {v.seconds:.1f} | {v.rate:.2f} | "
            f"{v.configured:.2f} | **{v.share:.1%}** | {v.busiest} |"
        )
    lat = "– | –"
    if latencies:
        ordered = sorted(latencies)
        lat = (
            f"{ordered[len(ordered) // 2] * 1000:.0f} | "
            f"{ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000:.0f}"
        )
    too_many = sum(judged.too_many.values())
    print()
    print("| 429s | 5xx played | delivered / expected | missing | doubles | order violations "
          "| call p50 ms | call p99 ms |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| **{too_many}** {dict(judged.too_many) or ''} | {judged.failed_5xx} | "
        f"{judged.delivered:,} / {judged.delivered + len(judged.missing):,} | "
        f"{len(judged.missing)} | {len(judged.doubles)} | {judged.order_violations} | {lat} |"
    )


# --- rate: one sender in this process ---------------------------------------------------------


class Timed:
    """A channel as it is, its calls timed (from its pace granted to its answer)."""

    def __init__(self, port: ChannelPort, calls: list[float]) -> None:
        self.port, self.calls, self.name = port, calls, port.name

    def paces(self, message: Outgoing) -> Any:
        return self.port.paces(message)

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        began: list[float] = []

        async def paced() -> None:
            await before_call()
            began.append(time.perf_counter())

        outcome = await self.port.send(message, paced)
        if began:
            self.calls.append(time.perf_counter() - began[0])
        return outcome


@contextlib.asynccontextmanager
async def database(url: str | None) -> AsyncIterator[str]:
    """A fresh SQLite file, or the PostgreSQL database given, dropped and created again."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'outbound.db'}"
        return
    await recreate_postgres(url)
    yield url


async def run_rate(args: argparse.Namespace) -> None:
    mix = Mix.of(args.messages, args.staff, args.whatsapp_share, args.per_chat)
    async with database(args.database_url) as url:
        with doubles_process(args) as doubles_url:
            app = club(doubles_url, url, args.mps)
            await upgrade(app.db)
            seeded = await seed(app, mix)
            say(f"seeded {seeded.rows} messages: {seeded.telegram} Telegram, "
                f"{seeded.whatsapp} WhatsApp, {seeded.staff} staff group")  # fmt: skip
            found = outbound.channels(app)
            calls: list[float] = []
            ports = {name: Timed(port, calls) for name, port in found.ports().items()}
            sending = outbound.sender(app, ports, "bench")  # type: ignore[arg-type]
            stop = asyncio.Event()
            began = time.perf_counter()
            task = asyncio.create_task(sending.run(stop, 1.0))
            while await under_way(app):
                await asyncio.sleep(1)
                if task.done():
                    break
            wall = time.perf_counter() - began
            stop.set()
            await task
            stats = doubles_stats(doubles_url)
            left = await statuses(app)
            await found.aclose()
            await app.db.close()
    judged = judge(stats, seeded, args.mps)
    print(f"\n{machine(app)}; {wall:.1f} s wall; outbox after: {left}")
    print_verdicts(
        f"{app.db.url.get_backend_name()}: one sender, {seeded.rows:,} messages, "
        f"latency {args.latency * 1000:.0f} ms",
        judged,
        calls,
    )


# --- processes: real `concierge` processes on one database --------------------------------------


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(CONCIERGE), *args], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> float:
    """Signal a process; the seconds until it exited."""
    began = time.perf_counter()
    process.send_signal(sig)
    process.wait(timeout=60)
    return time.perf_counter() - began


async def prepared(
    args: argparse.Namespace, url: str, doubles_url: str, mix: Mix
) -> tuple[Concierge, Seeded]:
    app = club(doubles_url, url, args.mps)
    await upgrade(app.db)
    seeded = await seed(app, mix)
    say(f"seeded {seeded.rows} messages: {seeded.telegram} Telegram, "
        f"{seeded.whatsapp} WhatsApp, {seeded.staff} staff group")  # fmt: skip
    return app, seeded


async def settled(app: Concierge, every: float = 1.0) -> None:
    while await under_way(app):
        await asyncio.sleep(every)


async def run_processes(args: argparse.Namespace) -> None:
    """Two web processes and two dispatchers (the worker, and `outbox drain` again and
    again) on one PostgreSQL database and one bot."""
    if args.database_url is None:
        raise SystemExit("processes: give a PostgreSQL --database-url (SQLite is one process)")
    mix = Mix.of(args.messages, args.staff, args.whatsapp_share, args.per_chat)
    async with database(args.database_url) as url:
        with doubles_process(args) as doubles_url:
            app, seeded = await prepared(args, url, doubles_url, mix)
            env = environment(doubles_url, url, args.mps)
            began = time.perf_counter()
            with serving(env), serving(env):
                worker = spawn("worker", env=env)
                drains = 0

                async def drain_again() -> None:
                    nonlocal drains
                    while await under_way(app):
                        drainer = spawn("outbox", "drain", env=env)
                        await asyncio.to_thread(drainer.wait)
                        drains += 1

                await asyncio.gather(drain_again(), settled(app))
                wall = time.perf_counter() - began
                stop(worker)
            stats = doubles_stats(doubles_url)
            left = await statuses(app)
            await app.db.close()
    judged = judge(stats, seeded, args.mps)
    print(f"\n{machine(app)}; {wall:.1f} s wall; `outbox drain` ran {drains} times; "
          f"outbox after: {left}")  # fmt: skip
    print_verdicts(
        f"postgresql: 2 web processes + worker + `outbox drain`, {seeded.rows:,} messages, "
        f"latency {args.latency * 1000:.0f} ms",
        judged,
        None,
    )


async def run_faults(args: argparse.Namespace) -> None:
    """The worker sends through doubles that fail, cut and answer late; it is killed
    (SIGKILL) `--kills` times along the way, and started again each time."""
    mix = Mix.of(args.messages, args.staff, args.whatsapp_share, args.per_chat)
    async with database(args.database_url) as url:
        with doubles_process(args, faults=True) as doubles_url:
            app, seeded = await prepared(args, url, doubles_url, mix)
            env = environment(doubles_url, url, args.mps)
            began = time.perf_counter()
            worker = spawn("worker", env=env)
            kills: list[float] = []
            for k in range(1, args.kills + 1):
                mark = seeded.rows * k // (args.kills + 1)
                while httpx.get(f"{doubles_url}/count").json()["accepted"] < mark:
                    await asyncio.sleep(0.5)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills.append(time.monotonic())
                say(f"killed the worker at {time.perf_counter() - began:.0f} s; started again")
                worker = spawn("worker", env=env)
            await settled(app)
            wall = time.perf_counter() - began
            stop(worker)
            stats = doubles_stats(doubles_url)
            left = await statuses(app)
            uncertain = await uncertain_keys(app)
            await app.db.close()
    judged = judge(stats, seeded, args.mps)
    taken: dict[str, list[float]] = defaultdict(list)
    for at, _, _, key in stats["accepted"]:
        taken[key].append(at)
    lost = set(stats["lost"])
    # a double is explained by an answer lost (a reset, an answer after the time-out) or by
    # a kill between two of its calls (the first taken, its outcome not yet recorded)
    killed = {
        k for k in judged.doubles
        if any(taken[k][0] < kill < taken[k][-1] for kill in kills)
    }  # fmt: skip
    unexplained = [k for k in judged.doubles if k not in lost and k not in killed]
    scheduled_doubles = [k for k in judged.doubles if seeded.expected[k][1]]
    missing_not_uncertain = [k for k in judged.missing if k not in uncertain]
    print(f"\n{machine(app)}; {wall:.1f} s wall; outbox after: {left}")
    print_verdicts(
        f"{app.db.url.get_backend_name()}: the worker, faults and {len(kills)} SIGKILLs, "
        f"{seeded.rows:,} messages",
        judged,
        None,
    )
    print()
    print("| delivered | missing | of them not `uncertain` | doubles | of them scheduled "
          "| doubles after a lost answer | after a kill | unexplained | uncertain | answers "
          "lost (reset, late) | wall s |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {judged.delivered:,} | {len(judged.missing)} | **{len(missing_not_uncertain)}** | "
        f"{len(judged.doubles)} | **{len(scheduled_doubles)}** | "
        f"{len([k for k in judged.doubles if k in lost])} | {len(killed - lost)} | "
        f"**{len(unexplained)}** | {len(uncertain)} | {sum(stats['lost'].values())} | "
        f"{wall:.0f} |"
    )


async def run_restart(args: argparse.Namespace) -> None:
    """`--queued` rows waiting (members' messages and staff-group posts): `concierge serve`
    until /healthz answers, then SIGTERM until it exits; the same SIGTERM for the worker."""
    mix = Mix.of(args.queued, max(1, args.queued // 10), args.whatsapp_share, args.per_chat)
    async with database(args.database_url) as url:
        with doubles_process(args) as doubles_url:
            app, seeded = await prepared(args, url, doubles_url, mix)
            env = environment(doubles_url, url, args.mps)
            port = free_port()
            began = time.perf_counter()
            web = spawn("serve", "--port", str(port), env=env)
            async with httpx.AsyncClient() as client:
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if (
                            await client.get(f"http://127.0.0.1:{port}/healthz")
                        ).status_code == 200:
                            break
                    await asyncio.sleep(0.02)
            healthz = time.perf_counter() - began
            await asyncio.sleep(args.busy)
            web_exit = stop(web)
            held_after_web = await held(app)
            worker = spawn("worker", env=env)
            await asyncio.sleep(args.busy)
            worker_exit = stop(worker)
            held_after_worker = await held(app)
            left = await statuses(app)
            await app.db.close()
    print(f"\n{machine(app)}; {seeded.rows:,} rows queued; each process sent for {args.busy} s "
          f"before SIGTERM; outbox after: {left}")  # fmt: skip
    print()
    print("| database | /healthz answers after s | web: SIGTERM to exit s | rows held after "
          "| worker: SIGTERM to exit s | rows held after |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {app.db.url.get_backend_name()} | **{healthz:.2f}** | **{web_exit:.2f}** | "
          f"{held_after_web} | **{worker_exit:.2f}** | {held_after_worker} |")  # fmt: skip


async def held(app: Concierge) -> int:
    """Rows a sender holds (claimed or sending): what a stop should have given back."""
    async with app.db.engine.connect() as connection:
        return int(await connection.scalar(
            select(func.count()).where(OutboxMessage.status.in_(("claimed", "sending")))
        ) or 0)  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found.add_argument(
        "mode", nargs="?", default="rate", choices=("rate", "processes", "faults", "restart",
                                                    "doubles"),
    )  # fmt: skip
    found.add_argument("--messages", type=int, default=10_000)
    found.add_argument("--staff", type=int, default=40, help="posts to the staff group")
    found.add_argument("--whatsapp-share", type=float, default=0.4)
    found.add_argument("--per-chat", type=int, default=3, help="replies to each member chat")
    found.add_argument("--latency", type=float, default=0.2, help="seconds the doubles take")
    found.add_argument("--mps", type=int, default=80, help="TWILIO_WHATSAPP_MPS, enforced")
    found.add_argument("--chat-burst", type=int, default=1, help="per chat in any second")
    found.add_argument("--fail", type=float, default=0.10, help="faults: share answered 5xx")
    found.add_argument("--reset", type=float, default=0.01, help="faults: share reset")
    found.add_argument("--late", type=float, default=0.01, help="faults: share answered late")
    found.add_argument("--late-after", type=float, default=12.0)
    found.add_argument("--kills", type=int, default=2)
    found.add_argument("--queued", type=int, default=1_000, help="restart: rows waiting")
    found.add_argument("--busy", type=float, default=5.0, help="restart: seconds sending")
    found.add_argument("--database-url", default=None)
    return found


def main() -> None:
    args = parser().parse_args()
    if args.mode == "doubles":
        serve_doubles(args)
    else:
        runs = {"rate": run_rate, "processes": run_processes, "faults": run_faults,
                "restart": run_restart}  # fmt: skip
        asyncio.run(runs[args.mode](args))


if __name__ == "__main__":
    main()
