"""How a command runs: the app loaded once, the schema checked, its work in one unit of work,
and a request the club refuses, or a database or file it cannot use, said in one line on
stderr with exit code 1 (never a traceback)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Concatenate, NoReturn, ParamSpec, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from bot.bootstrap import Concierge, bootstrap, utc_now
from bot.settings import ConfigError, Settings, load_settings
from loyalty.points import InsufficientPoints
from services.appointments import BookingError
from services.events import EventError
from services.members import MemberError
from services.office import OfficeError
from services.outbox import OutboxError
from services.rewards import RewardError
from services.schedules import ScheduleError
from services.staff import StaffError
from storage.database import Database
from storage.migrate import behind

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")

REFUSED = (
    BookingError, EventError, InsufficientPoints, MemberError, OfficeError, OutboxError,
    RewardError, ScheduleError, StaffError,
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


class SchemaBehind(Exception):
    """The database's tables are missing or older than the code: the text says what to run."""


async def current(db: Database) -> None:
    """Raise SchemaBehind unless the schema is the newest (work on an older one would fail
    halfway, or quietly write what the code no longer reads)."""
    problem = await behind(db)
    if problem is not None:
        raise SchemaBehind(problem)


def where(db: Database) -> str:
    """The database as staff name it: SQLite's file, else the URL without its password."""
    if db.is_sqlite:
        return db.url.database or "(memory)"
    return db.url.render_as_string(hide_password=True)


def _database_error(db: Database, error: BaseException) -> str:
    """A driver's error in one line: no SQL, no parameters (PostgreSQL's DETAIL holds a
    row's values: only the first line is kept)."""
    reason = (str(error).strip().splitlines() or [""])[0]
    if db.is_sqlite and "unable to open database file" in reason:
        return f"cannot open the database file {where(db)}: its folder must exist and be writable"
    if db.is_sqlite and "readonly database" in reason:
        return f"cannot write to the database file {where(db)}: it and its folder must be writable"
    return f"database {where(db)}: {type(error).__name__}: {reason}".rstrip(": ")


@contextlib.contextmanager
def one_line(db: Database) -> Iterator[None]:
    """What stops a command, said in one line with exit code 1: a refusal, a schema to
    upgrade, a database that cannot be reached or written, a file that cannot be written."""
    try:
        yield
    except (*REFUSED, SchemaBehind) as exc:
        fail(str(exc), 1)
    except DBAPIError as exc:
        fail(_database_error(db, exc.orig or exc), 1)
    except sqlite3.Error as exc:  # Database.open_file
        fail(_database_error(db, exc), 1)
    except OSError as exc:
        if exc.filename is not None:  # a file of ours: an export, the chat's files
            fail(f"{exc.filename}: {exc.strerror or exc}", 1)
        # the driver's socket: refused, no such host, timed out
        fail(f"cannot reach the database {where(db)}: {exc.strerror or exc}", 1)


def run(
    work: Callable[[Concierge], Awaitable[T]], app: Concierge | None = None, schema: bool = True
) -> T:
    """Run one async piece of work against the database (its schema checked first, unless
    `schema` is False: the upgrade itself), closing it afterwards; what stops it is one line
    on stderr and exit code 1."""
    app = app or load()

    async def main() -> T:
        try:
            if schema:
                await current(app.db)
            return await work(app)
        finally:
            await app.db.close()

    with one_line(app.db):
        app.db.open_file()
        result = asyncio.run(main())
    return result


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
    """A long-running process on an old schema would fail later, message by message: it
    stops at start, in one line."""

    async def nothing(app: Concierge) -> None:
        pass

    run(nothing, app)
