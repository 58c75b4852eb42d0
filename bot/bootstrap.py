"""The composition root: settings, program and database wired once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.settings import Settings, load_program, load_settings
from loyalty.program import Program
from storage.database import Database

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Concierge:
    """What every entry point (CLI, web app, worker) works with."""

    settings: Settings
    program: Program
    db: Database
    clock: Clock = utc_now


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Concierge:
    """Read and check the settings and the program file; raises ConfigError naming the fault."""
    settings = settings or load_settings()
    program = load_program(settings.program)
    return Concierge(settings, program, Database(settings.database_url), clock)
