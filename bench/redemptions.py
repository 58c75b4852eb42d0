"""The till's two signed calls under load: POST /api/purchases, then POST /api/redemptions,
each from 50 clients at once against a real `concierge serve` on PostgreSQL.

    python -m bench.redemptions [--orders 4000] [--clients 50] [--members 500]
                                [--database-url URL]

A scratch PostgreSQL database is made, migrated, and dropped at the end. Purchases first:
`--orders` orders spread over `--members` phones (a member is made by their first
purchase), every tenth order sent twice, so that replays race with their first copy.
Then as many redemptions by order (10 points each, against the points those purchases
earned), every tenth again sent twice. Each call is signed as a till signs it. Printed:
throughput, p50 and p99 of each endpoint, the answers by status, errors (any answer but
201, or 200 for a replay), and doubles read back from the database (orders stored or
redeemed more than once, by order id). Run by hand; figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.figures import drop
from bench.occasions import recreate_postgres
from bench.postgres import connected
from bench.server import concierge, serving

DEFAULT_URL = os.environ.get(
    "CONCIERGE_BENCH_POSTGRES_URL",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/concierge_redeembench",
)
SECRET = "bench-pos-secret-0123456789"
POINTS = 10  # redeemed by each order


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float


def signed(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"content-type": "application/json", "x-concierge-signature": f"sha256={digest}"}


def phone(member: int) -> str:
    return f"+39347{member:07d}"


def purchase(order: int, members: int) -> dict[str, Any]:
    return {
        "order_id": f"BENCH-{order}", "phone": phone(order % members), "amount": "250.00",
        "currency": "EUR", "purchased_at": "2026-11-20T11:00:00+01:00",
    }  # fmt: skip


def redemption(order: int, members: int) -> dict[str, Any]:
    return {"order_id": f"REDEEM-{order}", "member": phone(order % members), "points": POINTS}


async def load(
    url: str, path: str, bodies: list[dict[str, Any]], clients: int
) -> tuple[list[Answer], float]:
    """Every body posted once, `clients` at a time; the answers and the seconds it took."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    answers: list[Answer] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            raw, headers = signed(queue.get_nowait())
            started = time.perf_counter()
            response = await http.post(path, content=raw, headers=headers)
            answers.append(Answer(response.status_code, time.perf_counter() - started))

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return answers, time.perf_counter() - started


def with_replays(make: Callable[[int, int], dict[str, Any]], orders: int, members: int) -> list:
    """Each order once, every tenth twice, the copy right after it (so the two race)."""
    bodies = []
    for order in range(orders):
        bodies += [make(order, members)] * (2 if order % 10 == 0 else 1)
    return bodies


def line(name: str, answers: list[Answer], seconds: float, orders: int) -> str:
    statuses = Counter(answer.status for answer in answers)
    expected = orders + sum(1 for order in range(orders) if order % 10 == 0)
    good = statuses[201] == orders and statuses[200] == expected - orders
    errors = len(answers) - statuses[201] - statuses[200]
    times = sorted(answer.seconds for answer in answers)
    p99 = times[int(len(times) * 0.99) - 1]
    got = ", ".join(f"{status} ×{count}" for status, count in sorted(statuses.items()))
    return (
        f"| {name} | {len(answers):,} | {len(answers) / seconds:,.0f} | "
        f"{statistics.median(times) * 1000:.0f} | {p99 * 1000:.0f} | {got} | {errors} | "
        f"{'yes' if good else 'NO'} |"
    )


async def doubles(url: str) -> tuple[int, int]:
    """Orders stored twice, and orders whose points were taken twice, read back."""
    async with connected(url) as connection:
        stored = await connection.fetchval(
            "SELECT count(*) FROM (SELECT order_id FROM purchase GROUP BY order_id "
            "HAVING count(*) > 1) AS twice"
        )
        redeemed = await connection.fetchval(
            "SELECT count(*) FROM (SELECT key FROM ledger_entry WHERE key LIKE 'redeem:order:%' "
            "GROUP BY key HAVING count(*) > 1) AS twice"
        )
    return int(stored), int(redeemed)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    url = args.database_url
    await recreate_postgres(url.replace("+asyncpg", ""))
    env = {"CONCIERGE_DATABASE_URL": url, "CONCIERGE_POS_SECRET": SECRET}
    try:
        concierge("db", "upgrade", env=env)
        with serving(env) as server:
            rows = []
            for name, path, make in (
                ("POST /api/purchases", "/api/purchases", purchase),
                ("POST /api/redemptions", "/api/redemptions", redemption),
            ):
                bodies = with_replays(make, args.orders, args.members)
                answers, seconds = await load(server.url, path, bodies, args.clients)
                rows.append(line(name, answers, seconds, args.orders))
        stored, redeemed = await doubles(url)
    finally:
        await drop(url)
    load_now = os.getloadavg()[0]
    print(f"{os.cpu_count()} vCPUs, Python {platform.python_version()}, load {load_now:.1f}; "
          f"{args.clients} clients at once, {args.orders:,} orders each, "
          f"every tenth sent twice; {args.members} members")  # fmt: skip
    print()
    print("| endpoint | calls | calls/s | p50 ms | p99 ms | answers | errors | as expected |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    for row in rows:
        print(row)
    print()
    print(f"doubles read back: orders stored twice {stored}, orders redeemed twice {redeemed}")


if __name__ == "__main__":
    asyncio.run(main())
