"""The schema, and the long-running processes that need it current: the web app, the worker."""

from __future__ import annotations

import asyncio
import contextlib

import click

from bot.bootstrap import Concierge
from bot.cli.running import fail, load, one_line, run, schema_current, where
from storage.migrate import Upgraded, upgrade


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied; says what it created or changed."""
    app = load()
    done = run(lambda app: upgrade(app.db, store_zone=app.program.club.timezone), app, False)
    click.echo(_upgraded(where(app.db), done))


def _upgraded(database: str, done: Upgraded) -> str:
    if done.before is None:
        return f"{database}: created the club's tables (schema revision {done.after})"
    if done.before == done.after:
        return f"{database}: up to date (schema revision {done.after})"
    return f"{database}: schema upgraded from revision {done.before} to {done.after}"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT, else 8000.")
def serve(host: str, port: int | None) -> None:
    """Run the web app (webhooks, health check, API docs at /docs)."""
    app = load()
    schema_current(app)
    serving(app, host, port or app.settings.port)


def serving(app: Concierge, host: str, port: int) -> None:
    """The web app served until Ctrl-C (uvicorn stops it cleanly)."""
    import uvicorn

    from bot.web import create_app

    # no log_config: uvicorn's loggers, the access log too, write through the masking handler
    uvicorn.run(create_app(app), host=host, port=port, log_level="info", log_config=None)


@click.command()
def worker() -> None:
    """Run the scheduler: settle daily, occasions hourly, send the outbox (one per database)."""
    from scheduler.worker import AnotherWorker

    app = load()
    schema_current(app)
    with contextlib.suppress(KeyboardInterrupt), one_line(app.db):
        try:
            asyncio.run(_work(app))
        except AnotherWorker as exc:
            fail(str(exc), 1)


async def _work(app: Concierge) -> None:
    from bot import outbound
    from scheduler.worker import run as scheduler

    found = outbound.channels(app)
    try:
        await scheduler(app, outbound.sender(app, found.ports(), "worker"))
    finally:
        await found.aclose()


COMMANDS = (db, serve, worker)
