"""How a command runs: the app loaded once, its work in one unit of work, and a request the
club refuses said in one line on stderr with exit code 1."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Concatenate, NoReturn, ParamSpec, TypeVar

import click

from bot.bootstrap import Concierge, bootstrap, utc_now
from bot.settings import ConfigError, Settings, load_settings
from loyalty.points import InsufficientPoints
from services.appointments import BookingError
from services.events import EventError
from services.members import MemberError
from services.outbox import OutboxError
from services.schedules import ScheduleError
from services.staff import StaffError
from storage.migrate import behind

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")

REFUSED = (
    BookingError, EventError, InsufficientPoints, MemberError, OutboxError, ScheduleError,
    StaffError,
)  # fmt: skip


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"concierge: {message}", err=True)
    sys.exit(code)


def load(database: str | None = None) -> Concierge:
    """Settings, program and database, or a one-line error and exit code 2.

    The clock (and the pauses of pacing) are the real ones unless the caller put others in
    click's root object: `clock`, `sleep`, `monotonic` (tests invoke the command at a fixed
    moment, and never sleep).
    """
    root = click.get_current_context(silent=True)
    given = (root.find_root().obj or {}) if root else {}
    try:
        settings = load_settings()
        if database is not None:
            settings = Settings(**{**settings.model_dump(), "database_url": database})
        app = bootstrap(settings, given.get("clock", utc_now))
        return replace(app, **{k: v for k, v in given.items() if k in ("sleep", "monotonic")})
    except ConfigError as exc:
        fail(str(exc))


def run(work: Callable[[Concierge], Awaitable[T]], app: Concierge | None = None) -> T:
    """Run one async piece of work against the database, closing it afterwards; a refusal
    is one line on stderr and exit code 1."""
    app = app or load()

    async def main() -> T:
        try:
            return await work(app)
        finally:
            await app.db.close()

    try:
        return asyncio.run(main())
    except REFUSED as exc:
        fail(str(exc), 1)


async def committed(app: Concierge, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`work` in one unit of work, committed when it returns (rolled back when it raises)."""
    async with app.db.unit_of_work() as uow:
        result = await work(uow)
        await uow.commit()
        return result


def transaction(
    command: Callable[Concatenate[UnitOfWork, Concierge, P], Awaitable[T]],
) -> Callable[P, T]:
    """A command whose body is one unit of work, `command(uow, app, **options)`: committed
    when it returns, rolled back when it raises (a refusal: one line, exit code 1)."""

    @functools.wraps(command)
    def callback(*args: P.args, **options: P.kwargs) -> T:
        return run(lambda app: committed(app, lambda uow: command(uow, app, *args, **options)))

    return callback


def schema_current(app: Concierge) -> None:
    """A long-running process on an old schema would fail later, message by message."""

    async def check() -> str | None:
        try:
            return await behind(app.db)
        finally:
            await app.db.engine.dispose()

    problem = asyncio.run(check())
    if problem is not None:
        fail(problem)
