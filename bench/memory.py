"""The web process's memory under oversized unsigned bodies: four of 256 MB at once, to each
POST endpoint.

    python -m bench.memory [--size-mb 256] [--at-once 4]

A real `concierge serve` (bench/server.py) on a fresh SQLite file, every endpoint on: the POS
webhook (a secret set), Telegram and WhatsApp (credentials of the right shape, their APIs
pointed at a closed port, never called). Nothing sent is signed; Telegram is sent to both
without its secret and with it (then only the size stops the body). An unknown path takes
the same bodies. Each batch is `--at-once` requests of `--size-mb` at the same time, each
body streamed from a generator (the client holds one 64 KiB chunk), once with an honest
Content-Length and once chunked, without one. Each batch has a server of its own: started,
one small request to each endpoint, then its resident size (VmRSS in /proc/<pid>/status)
is the baseline; the kernel's peak counter is reset (VmHWM, through /proc/<pid>/clear_refs),
the batch is sent, and a second after the last answer the peak and the resident size are
read. Growth is the peak less the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.server import CHANNELS_ON, TELEGRAM_SECRET, Server, concierge, serving

MB = 1024 * 1024
CHUNK = b"a" * (64 * 1024)
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
# what is sent where: a name, the path, its headers
TARGETS = (
    ("POS", "/api/purchases", JSON),
    ("Telegram, no secret", "/telegram/webhook", JSON),
    ("Telegram, its secret", "/telegram/webhook",
     JSON | {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}),
    ("WhatsApp", "/twilio/whatsapp", FORM),
    ("Twilio status", "/twilio/status?m=1", FORM),
    ("unknown path", "/api/nowhere", JSON),
)  # fmt: skip
FRAMINGS = ("Content-Length", "chunked")


@dataclass
class Body:
    """`size` bytes streamed a chunk at a time, counting what the client got to send."""

    size: int
    sent: int = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            chunk = CHUNK[: self.size - self.sent]
            self.sent += len(chunk)
            yield chunk


@dataclass(frozen=True)
class Answer:
    """What one request got: the status (or the client's error), when, after sending what."""

    status: str
    seconds: float
    sent: int


async def post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], size: int, framing: str
) -> Answer:
    body = Body(size)
    length = {"content-length": str(size)} if framing == "Content-Length" else {}
    began = time.perf_counter()
    try:
        response = await client.post(path, content=body.chunks(), headers=headers | length)
        status = str(response.status_code)
    except httpx.HTTPError as exc:  # the server may close before the client has sent all
        status = type(exc).__name__
    return Answer(status, time.perf_counter() - began, body.sent)


@dataclass(frozen=True)
class Batch:
    """One endpoint's batch: what each request got, and the server's memory around it."""

    endpoint: str
    framing: str
    answers: list[Answer]
    baseline_mb: float
    peak_mb: float
    after_mb: float

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.baseline_mb

    def line(self) -> str:
        statuses = Counter(answer.status for answer in self.answers)
        got = ", ".join(f"{status} ×{count}" for status, count in statuses.items())
        slowest = max(answer.seconds for answer in self.answers)
        sent = sum(answer.sent for answer in self.answers) / len(self.answers) / MB
        return (
            f"| {self.endpoint} | {self.framing} | {got} | {slowest:.2f} | {sent:.1f} | "
            f"{self.baseline_mb:.1f} | {self.peak_mb:.1f} | **{self.growth_mb:+.1f}** | "
            f"{self.after_mb:.1f} |"
        )


async def warm_up(server: Server) -> None:
    """One small request to each endpoint, so the baseline holds what any request loads."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for _, path, headers in TARGETS:
            await client.post(path, content=b"{}", headers=headers)


async def batch(
    env: dict[str, str],
    target: tuple[str, str, dict[str, str]],
    framing: str,
    size: int,
    at_once: int,
) -> Batch:
    """`at_once` bodies to one endpoint at the same time, on a server of their own (so no
    batch inherits what another left): its memory before, at the peak and a second after."""
    name, path, headers = target
    with serving(env) as server:
        await warm_up(server)
        baseline = server.memory_mb("VmRSS")
        server.reset_peak()
        limits = httpx.Limits(max_connections=at_once)
        async with httpx.AsyncClient(base_url=server.url, timeout=600, limits=limits) as client:
            answers = await asyncio.gather(
                *(post(client, path, headers, size, framing) for _ in range(at_once))
            )
        await asyncio.sleep(1)  # the server finishes its side of the last answer
        peak, after = server.memory_mb("VmHWM"), server.memory_mb("VmRSS")
    return Batch(name, framing, answers, baseline, peak, after)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256, help="each body")
    parser.add_argument("--at-once", type=int, default=4, help="requests in each batch")
    args = parser.parse_args()
    size = args.size_mb * MB

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'memory.db'}"
        env = {"CONCIERGE_DATABASE_URL": url, "CONCIERGE_POS_SECRET": "bench-pos-secret"}
        env |= CHANNELS_ON
        concierge("db", "upgrade", env=env)
        rows = [
            await batch(env, target, framing, size, args.at_once)
            for target in TARGETS
            for framing in FRAMINGS
        ]

    print(f"each batch: {args.at_once} unsigned bodies of {args.size_mb} MB at once")
    print()
    print(
        "| endpoint | body | answers | slowest answer s | sent by each client MB "
        "| baseline MB | peak MB | growth at peak MB | resident after MB |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(row.line())
    print()
    print(
        f"largest growth at peak: {max(row.growth_mb for row in rows):+.1f} MB "
        "(target: under 10 MB)"
    )


if __name__ == "__main__":
    asyncio.run(main())
