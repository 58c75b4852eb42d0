"""A real `concierge serve` in a child process on a free loopback port, for the benchmarks
that measure the web process itself (its memory, read from /proc)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.factories import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WHATSAPP_FROM

CONCIERGE = Path(sys.executable).with_name("concierge")
CLOSED = "http://127.0.0.1:9"  # nothing listens there: a call to an API fails at once
TELEGRAM_SECRET = "bench-secret-0123456789abcdef"
# Telegram and WhatsApp on, with credentials of the right shape that no API ever sees
CHANNELS_ON = {
    "TELEGRAM_BOT_TOKEN": "123456:bench-token-abcdefghijklmnopqrstuvwxyz",
    "TELEGRAM_API_URL": f"{CLOSED}/bot",
    "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    "CONCIERGE_PUBLIC_URL": "https://club.bench",
    "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
    "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
    "TWILIO_API_URL": CLOSED,
}


@dataclass(frozen=True)
class Server:
    """The running web process: where it listens and its memory as the kernel counts it."""

    pid: int
    url: str

    def memory_mb(self, field: str) -> float:
        """A /proc/<pid>/status figure: VmRSS (resident now), VmHWM (resident at peak)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))
        return kb / 1024

    def reset_peak(self) -> None:
        """Bring VmHWM down to the resident size now, so the next peak is the next work's."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")


def concierge(*args: str, env: dict[str, str]) -> None:
    """Run a `concierge` command (e.g. `db upgrade`) with these settings added."""
    subprocess.run(
        [str(CONCIERGE), *args], env={**os.environ, **env}, stdout=subprocess.DEVNULL, check=True
    )


@contextmanager
def serving(env: dict[str, str]) -> Iterator[Server]:
    """`concierge serve` with these settings added to the environment, once /healthz answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(CONCIERGE), "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(process.pid, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("concierge serve did not answer /healthz within 30 s")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
