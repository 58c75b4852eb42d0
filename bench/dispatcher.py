"""The outbox dispatcher against a local double of Telegram's Bot API that enforces its limits.

    python -m bench.dispatcher [--messages 3000] [--chats 1000] [--order interleaved]
                               [--steady 3] [--free 1000] [--latency 0] [--database-url URL]

Issue 5: "the dispatcher against a local HTTP double that enforces Telegram's limits
sustains at least 95% of the configured rate with zero 429s". The configured rate is
`scheduler.limits.TELEGRAM`: 25 messages/s overall, 1/s to one chat.

The double is a small aiohttp server in a child process on a free loopback port (so its
work does not share the dispatcher's event loop or its CPU time slices). It answers getMe
and sendMessage as the Bot API does, and keeps Telegram's published limits with sliding
windows of its own, judged when each request arrives: a message that would make more than
30 accepted in the last second overall, or a second one to a chat within a second of the
last, is answered 429 with `parameters.retry_after`, as Telegram answers. It counts both.

The app is the real one: `bootstrap` with the real clock, Telegram on (a bot token, and
TELEGRAM_API_URL pointing at the double), and the dispatcher `scheduler.dispatcher.
dispatcher(app, worker)` builds — the Telegram channel (python-telegram-bot), the TELEGRAM
rates, `asyncio.sleep` and `time.monotonic`. Members are seeded with bulk inserts: a
Telegram identity each, consent for birthday messages on Telegram, and a zone in which it
is now mid-afternoon (outside the quiet hours); then `--messages` birthday messages due
now are written straight to the outbox, spread over `--chats` chats (at most three a chat:
the demo club's cap is three messages in seven days). "interleaved" writes them chat after
chat (a chat comes back every `--chats` messages); "grouped" writes each chat's messages
one after the other, as the outbox holds a member's birthday and club anniversary when
both fall on one day.

`drain()` is timed until the outbox is empty (a message answered 429 is due again after
`retry_after`, so drain is called again when it is due). Each message's time is split: the
first transaction (claimed row, member, consent, cap, greeting, marked sending), waiting
for the rate limits, the HTTP call, and the transaction that records the result.

`--steady N` adds the same run with the overall bucket holding N tokens instead of 25
(`SmallBurst`: a change proposed for `scheduler.limits`, tried here). `--free N` adds a run
of N messages with the limits lifted on both sides (the dispatcher at 100,000/s, the
double not enforcing): how fast one dispatcher can go at all. `--latency MS` makes the
double answer that late, as a Bot API far away would (the loopback answers in about 2 ms).
Each run writes to chats of its own. PostgreSQL: the database in --database-url must have
"bench" in its name; it is dropped and created again.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from bench.occasions import machine, recreate_postgres
from bot.bootstrap import Concierge, bootstrap
from bot.settings import Settings
from scheduler.dispatcher import Dispatcher, Report, dispatcher
from scheduler.limits import TELEGRAM, Bucket, Limits, Rates
from storage.migrate import upgrade
from storage.models import ChannelIdentity, Consent, Member, OutboxMessage
from storage.outbox import PENDING
from storage.repositories import core_table

TOKEN = "123456:bench-token-abcdefghijklmnopqrstuvwxyz"
OVERALL_LIMIT = 30  # Telegram: about 30 messages a second overall ...
CHAT_SECONDS = 1.0  # ... and one a second to a chat
FIRST_CHAT = 700_000_000  # Telegram user ids of the seeded members
CAP = 3  # the demo club's cap: three messages in seven days a member
TARGET = 0.95


# --- the double ---------------------------------------------------------------------------


class Double:
    """The Bot API's sendMessage and getMe, with Telegram's limits as sliding windows."""

    def __init__(self) -> None:
        self.enforce = True
        self.reset()

    def reset(self) -> None:
        """Forget the last run: each run is judged on its own messages."""
        self.accepted: deque[float] = deque()  # the last second's, for the overall window
        self.times: list[float] = []  # every accepted message's arrival
        self.last: dict[str, float] = {}  # chat -> its last accepted message
        self.gaps: list[float] = []  # between two accepted messages to one chat
        self.ok = 0
        self.too_many_overall = 0
        self.too_many_chat = 0

    def send(self, chat: str, now: float) -> float | None:
        """Accept a message (None), or the seconds to wait (429)."""
        while self.accepted and self.accepted[0] <= now - 1.0:
            self.accepted.popleft()
        if self.enforce and len(self.accepted) >= OVERALL_LIMIT:
            self.too_many_overall += 1
            return self.accepted[0] + 1.0 - now
        previous = self.last.get(chat)
        if self.enforce and previous is not None and now - previous < CHAT_SECONDS:
            self.too_many_chat += 1
            return previous + CHAT_SECONDS - now
        if previous is not None:
            self.gaps.append(now - previous)
        self.accepted.append(now)
        self.times.append(now)
        self.last[chat] = now
        self.ok += 1
        return None

    def stats(self) -> dict[str, Any]:
        """What the run is judged on, from the receiving end (the dispatcher's own clock
        and counts could not show a burst the double saw)."""
        return {
            "ok": self.ok,
            "too_many_overall": self.too_many_overall,
            "too_many_chat": self.too_many_chat,
            "times": self.times,
            "min_chat_gap": min(self.gaps, default=None),
        }


def serve_double(latency: float) -> None:
    """The child process: serve the double on a free port, print the port, run forever.

    `latency` (seconds) delays every answer, as the way to Telegram and back would."""
    from aiohttp import web

    double = Double()
    messages = 0

    async def api(request: web.Request) -> web.Response:
        """POST /bot<token>/<method>, form-encoded as python-telegram-bot sends it."""
        nonlocal messages
        now = time.monotonic()
        method = request.match_info["method"]
        form = await request.post()
        if method == "getMe":
            me = {"id": 123456, "is_bot": True, "first_name": "Concierge", "username": "bench"}
            return web.json_response({"ok": True, "result": me})
        if method != "sendMessage":
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        chat = str(form["chat_id"])
        wait = double.send(chat, now)
        if latency:
            await asyncio.sleep(latency)
        if wait is not None:
            after = max(1, math.ceil(wait))
            return web.json_response(
                {
                    "ok": False, "error_code": 429,
                    "description": f"Too Many Requests: retry after {after}",
                    "parameters": {"retry_after": after},
                },
                status=429,
            )  # fmt: skip
        messages += 1
        sent = {
            "message_id": messages, "date": int(time.time()),
            "chat": {"id": int(chat), "type": "private"}, "text": str(form.get("text", "")),
        }  # fmt: skip
        return web.json_response({"ok": True, "result": sent})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(double.stats())

    async def reset(request: web.Request) -> web.Response:
        double.reset()
        double.enforce = request.query.get("enforce", "1") == "1"
        return web.json_response({"ok": True})

    async def main() -> None:
        app = web.Application()
        app.router.add_post(r"/bot{token}/{method}", api)
        app.router.add_get("/stats", stats)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@asynccontextmanager
async def double_process(latency: float) -> AsyncIterator[str]:
    """Start the double in a child process; yields its base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.dispatcher", "--serve-double", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.to_thread(child.stdout.readline)
        if not line.strip().isdigit():
            raise RuntimeError("the Telegram double did not start")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        child.terminate()
        child.wait(timeout=10)


# --- seeding ------------------------------------------------------------------------------


def afternoon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is now about 14:00: no quiet hours during the run."""
    offset = (14 - now.hour + 12) % 24 - 12  # -12 .. 11
    if offset == 0:
        return "Etc/UTC"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"  # POSIX signs


async def seed(
    app: Concierge, first_chat: int, chats: int, messages: int, order: str, tag: str
) -> None:
    """Members with a Telegram chat and birthday consent, and their messages due now."""
    now = app.clock()
    zone = afternoon_zone(now)
    joined = now - timedelta(days=400)
    async with app.db.engine.begin() as connection:
        top = await connection.scalar(select(func.coalesce(func.max(Member.id), 0)))
        ids = [top + 1 + n for n in range(chats)]
        addresses = [str(FIRST_CHAT + first_chat + n) for n in range(chats)]
        await connection.execute(
            insert(core_table(Member)),
            [
                {"id": member_id, "name": f"Member {member_id}", "locale": "en",
                 "timezone": zone, "joined_at": joined}
                for member_id in ids
            ],
        )  # fmt: skip
        await connection.execute(
            insert(core_table(ChannelIdentity)),
            [
                {"member_id": member_id, "channel": "telegram", "address": address,
                 "reachable": True, "language": "en", "created_at": joined}
                for member_id, address in zip(ids, addresses, strict=True)
            ],
        )  # fmt: skip
        await connection.execute(
            insert(core_table(Consent)),
            [
                {"member_id": member_id, "purpose": "birthday", "channel": "telegram",
                 "granted": True, "at": joined, "source": "bench", "wording": "bench"}
                for member_id in ids
            ],
        )  # fmt: skip
        per_chat = math.ceil(messages / chats)
        rows = []
        for n in range(messages):
            chat = n % chats if order == "interleaved" else n // per_chat
            rows.append(
                {
                    "key": f"bench:{tag}:{n}", "member_id": ids[chat], "channel": "telegram",
                    "address": addresses[chat], "kind": "birthday", "purpose": "birthday",
                    "due_at": now - timedelta(seconds=1), "body": "",
                    "variables": {"years": "", "on": now.date().isoformat()},
                    "status": PENDING, "attempts": 0, "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
        await connection.execute(insert(core_table(OutboxMessage)), rows)


class SmallBurst(Limits):
    """TELEGRAM's rates with a smaller start-up burst (--steady N): each channel's overall
    bucket holds `burst` tokens, refilled at the same rate, instead of `rate` tokens. In
    any one second that lets through at most rate + burst messages, where a full bucket
    lets through 2 × rate: the change to `scheduler.limits` proposed in
    docs/benchmarks.md, tried here first."""

    def __init__(self, rates: dict[str, Rates], burst: int) -> None:
        super().__init__(rates)
        self._overall = {
            channel: Bucket(burst, per=burst / r.overall) for channel, r in rates.items()
        }


UNLIMITED = Rates(overall=100_000, per_chat=100_000)


# --- timing -------------------------------------------------------------------------------


@dataclass
class Timings:
    """Per message: its whole time in the dispatcher, and the parts of it."""

    whole: list[float] = field(default_factory=list)
    pace: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    record: list[float] = field(default_factory=list)
    drains: int = 0

    def first_transaction(self) -> list[float]:
        """The rest of a message's time: the transaction before the call."""
        return [
            w - p - h - r
            for w, p, h, r in zip(self.whole, self.pace, self.http, self.record, strict=True)
        ]


def instrument(sending: Dispatcher, timings: Timings) -> None:
    """Time each message's steps by wrapping the dispatcher's and the sender's methods on
    these instances only (nothing in the code under test changes)."""

    def timed(
        method: Callable[..., Awaitable[Any]], into: list[float]
    ) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - started)

        return wrapper

    sending._one = timed(sending._one, timings.whole)  # type: ignore[method-assign]
    sending._pace = timed(sending._pace, timings.pace)  # type: ignore[method-assign]
    sending._record = timed(sending._record, timings.record)  # type: ignore[method-assign]
    for sender in sending.senders.values():
        sender.deliver = timed(sender.deliver, timings.http)  # type: ignore[method-assign]


@dataclass
class Run:
    """One drain measured: what it was given, and what came of it at both ends."""

    name: str  # "paced": as `dispatcher()` builds it; "paced, burst N": SmallBurst; "unlimited"
    messages: int
    chats: int
    order: str
    first_chat: int  # each run writes to chats of its own (the cap counts per member)
    burst: int | None = None  # SmallBurst's; None: the buckets as `dispatcher()` builds them
    wall: float = 0.0
    report: Report = field(default_factory=Report)
    double: dict[str, Any] = field(default_factory=dict)
    timings: Timings = field(default_factory=Timings)
    left: int = 0  # still pending when the run stopped

    @property
    def configured(self) -> float | None:
        """Messages/s the dispatcher is limited to; None: unlimited."""
        return None if self.name == "unlimited" else TELEGRAM.overall

    @property
    def rate(self) -> float:
        return self.report.sent / self.wall if self.wall else 0.0

    @property
    def too_many(self) -> int:
        """429s the double answered, overall and per chat: the target wants none."""
        return int(self.double["too_many_overall"] + self.double["too_many_chat"])

    def busiest_second(self) -> int:
        """The most messages the double accepted in any one-second window."""
        times, most, start = self.double["times"], 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most


async def pending(app: Concierge) -> tuple[int, datetime | None]:
    """Messages still to send, and when the first of them is due."""
    async with app.db.engine.connect() as connection:
        row = (
            await connection.execute(
                select(func.count(), func.min(OutboxMessage.due_at)).where(
                    OutboxMessage.status == PENDING
                )
            )
        ).one()
    due = row[1]
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return int(row[0]), due


async def run_once(app: Concierge, base: str, run: Run, minutes: float) -> Run:
    """Seed the run's messages, then drain until the outbox is empty (or time is up)."""
    free = run.configured is None
    async with httpx.AsyncClient() as client:
        await client.post(f"{base}/reset", params={"enforce": "0" if free else "1"})
    await seed(app, run.first_chat, run.chats, run.messages, run.order, run.name)
    sending = dispatcher(app, f"bench-{os.getpid()}")
    if free:
        sending.limits = Limits({"telegram": UNLIMITED})
    elif run.burst is not None:
        sending.limits = SmallBurst({"telegram": TELEGRAM}, run.burst)
    deadline = time.perf_counter() + minutes * 60
    instrument(sending, run.timings)
    began = time.perf_counter()
    try:
        while True:
            report = await sending.drain()
            run.timings.drains += 1
            for name in vars(report):
                setattr(run.report, name, getattr(run.report, name) + getattr(report, name))
            run.wall = time.perf_counter() - began
            run.left, due = await pending(app)
            if not run.left or time.perf_counter() > deadline:
                break
            wait = (due - app.clock()).total_seconds() if due else 1.0
            await asyncio.sleep(min(max(wait, 0.05), 5.0))
    finally:
        await sending.aclose()
    async with httpx.AsyncClient() as client:
        run.double = (await client.get(f"{base}/stats")).json()
    return run


# --- reporting ----------------------------------------------------------------------------


def ms(values: list[float], share: float) -> str:
    """The `share` quantile in milliseconds (nearest rank: no interpolation to mislead)."""
    if not values:
        return "–"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000:.1f}"


def runs_table(runs: list[Run]) -> str:
    """The runs as a Markdown table, the figures the targets are about in bold."""
    lines = [
        "| run | messages | chats | order | configured /s | sent | wall s | achieved /s "
        "| of configured | busiest second (double) | 429s | retried | deferred | left |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for r in runs:
        configured = "none" if r.configured is None else f"{r.configured:g}"
        share = "–" if r.configured is None else f"**{r.rate / r.configured:.1%}**"
        lines.append(
            f"| {r.name} | {r.messages:,} | {r.chats:,} | {r.order} | {configured} | "
            f"{r.report.sent:,} | {r.wall:.1f} | {r.rate:.2f} | {share} | "
            f"{r.busiest_second()} | **{r.too_many}** ({r.double['too_many_overall']} overall, "
            f"{r.double['too_many_chat']} chat) | {r.report.retried} | {r.report.deferred} | "
            f"{r.left} |"
        )
    return "\n".join(lines)


def split_table(runs: list[Run]) -> str:
    """Per message, where the time goes: the 40 ms budget of 25/s against the work."""
    lines = [
        "| run | per message | p50 ms | p99 ms | mean ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in runs:
        t = r.timings
        work = [w - p for w, p in zip(t.whole, t.pace, strict=True)]
        for label, values in (
            ("whole (`_one`)", t.whole),
            ("work (whole − waiting)", work),
            ("transaction before the call", t.first_transaction()),
            ("waiting for the limits (`_pace`)", t.pace),
            ("HTTP call (`deliver`)", t.http),
            ("transaction recording it (`_record`)", t.record),
        ):
            mean = statistics.fmean(values) * 1000 if values else 0.0
            lines.append(
                f"| {r.name} | {label} | {ms(values, 0.5)} | {ms(values, 0.99)} | {mean:.1f} |"
            )
    return "\n".join(lines)


# --- the run ------------------------------------------------------------------------------


def main() -> None:
    """The benchmark, or (--serve-double, in the child process) the double."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3_000)
    parser.add_argument("--chats", type=int, default=1_000)
    parser.add_argument("--order", choices=("interleaved", "grouped"), default="interleaved")
    parser.add_argument(
        "--steady", type=int, metavar="N", help="add a run with an overall burst of N, not 25"
    )
    parser.add_argument("--free", type=int, default=0, help="messages of an unlimited run")
    parser.add_argument("--minutes", type=float, default=10, help="stop a run after this")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL (a 'bench' database: dropped and created); default: a fresh SQLite "
        "file in a temporary directory",
    )
    parser.add_argument(
        "--latency", type=float, default=0, metavar="MS", help="the double answers this late"
    )
    parser.add_argument("--serve-double", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_double:
        serve_double(args.latency / 1000)
        return
    if args.messages > CAP * args.chats:
        raise SystemExit(f"at most {CAP} messages a chat (the cap would hold the rest back)")
    asyncio.run(bench(args))


async def bench(args: argparse.Namespace) -> None:
    """The runs one after the other on a fresh database, then the tables."""
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'dispatcher.db'}"
        if args.database_url:
            await recreate_postgres(url)
        async with double_process(args.latency) as base:
            settings = Settings(
                database_url=url,
                telegram_bot_token=SecretStr(TOKEN),
                telegram_api_url=f"{base}/bot",
            )
            app = bootstrap(settings, clock=lambda: datetime.now(UTC))
            await upgrade(app.db)
            planned = [Run("paced", args.messages, args.chats, args.order, 0)]
            if args.steady is not None:
                name = f"paced, burst {args.steady}"
                steady = Run(name, args.messages, args.chats, args.order, 0, args.steady)
                planned.append(steady)
            if args.free:
                planned.append(
                    Run("unlimited", args.free, math.ceil(args.free / CAP), "interleaved", 0)
                )
            runs, first_chat = [], 0
            for run in planned:
                run.first_chat, first_chat = first_chat, first_chat + run.chats
                runs.append(await run_once(app, base, run, args.minutes))
            await app.db.close()

    late = f", answering after {args.latency:g} ms" if args.latency else ""
    print(f"## Dispatcher against the Telegram double ({app.db.url.get_backend_name()}{late})")
    print()
    print(machine(app))
    print()
    print(runs_table(runs))
    print()
    print(split_table(runs))
    print()
    for run in runs:
        gap = run.double["min_chat_gap"]
        line = (
            f"{run.name}: drain() called {run.timings.drains} times; shortest gap between two "
            f"messages to one chat at the double: {'–' if gap is None else f'{gap:.3f} s'}"
        )
        if run.configured is not None:
            met = run.rate >= TARGET * run.configured and run.too_many == 0 and not run.left
            line += (
                f"; target (≥ {TARGET:.0%} of {run.configured:g}/s, zero 429s) "
                f"{'met' if met else 'missed'}: {run.rate / run.configured:.1%}, "
                f"{run.too_many} 429s"
            )
        print(f"- {line}.")


if __name__ == "__main__":
    main()
