"""The composition root: settings, program, database and clock, wired once per process.

The channels, the sender and the engine are built from them in bot/outbound.py, the same
way for the web app, the worker and the CLI; apart, as every adapter names Concierge, and
a command that sends nothing loads no platform's library.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.logs import hide_secrets
from bot.settings import Settings, load_program, load_settings
from loyalty.program import Program
from storage.database import Database

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Concierge:
    """What every entry point (CLI, web app, worker) works with; time is passed in (tests
    move it by hand and never sleep)."""

    settings: Settings
    program: Program
    db: Database
    clock: Clock = utc_now
    sleep: Sleep = asyncio.sleep  # pauses: pacing to a provider's limits
    monotonic: Callable[[], float] = time.monotonic


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Concierge:
    """Read and check the settings and the program file; raises ConfigError naming the fault.

    The settings' secrets are masked in the process's logs from here on.
    """
    settings = settings or load_settings()
    hide_secrets(settings)
    program = load_program(settings.program)
    return Concierge(settings, program, Database(settings.database_url), clock)
