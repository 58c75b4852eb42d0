"""The worker process: APScheduler decides when; the services decide what.

Exactly one worker runs the schedule. Any number of senders (web processes, `concierge
outbox drain`) may send on PostgreSQL beside it: the outbox decides who sends what. The
worker is handed its sender (the channels are the shell's: bot/outbound.py) and needs
nothing else from the shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from loyalty.program import Program
from services import appointments, chats, events, handoffs, occasions, office, rewards
from services.reviews import settle_all
from services.sending import Sender

log = logging.getLogger("concierge.worker")
SETTLE_HOUR = 3  # store time: after closing, before the morning's messages
SCAN_MINUTE = 5  # every hour: a new day begins somewhere at each hour
DISPATCH_SECONDS = 5
EVENTS_MINUTES = 5  # offers that ran out, reminders due


class Store(Protocol):
    """Where the club's data is: units of work, and a lock only one process holds."""

    def unit_of_work(self) -> Any: ...

    def only_one(self, name: str) -> AbstractAsyncContextManager[bool]: ...

    async def close(self) -> None: ...


class Club(Protocol):
    """What the worker runs for: the program, the clock, the store."""

    @property
    def program(self) -> Program: ...
    @property
    def db(self) -> Store: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


async def settle_job(app: Club) -> None:
    changed = await settle_all(app.db.unit_of_work, app.clock(), app.program)
    log.info("daily settle: %d accounts changed (expiry, tier review, badges)", changed)


async def occasions_job(app: Club) -> None:
    """Queue today's occasions wherever today has begun; a second run adds nothing."""
    async with app.db.unit_of_work() as uow:
        _, added = await occasions.scan(uow, app.program, app.clock())
    if added:
        log.info("occasions: %d messages queued", added)


async def retention_job(app: Club) -> None:
    """Forget what is kept only for a while: conversations with staff past the program's
    retention (their topics queued for deletion), conversations with the bot that expired,
    and the back office's failed sign-ins, ended sessions and spent links."""
    now = app.clock()
    async with app.db.unit_of_work() as uow:
        forgotten = await handoffs.purge(uow, now, app.program.handoff.retention_days)
        expired = await chats.forget_expired(uow, now)
        doors = await office.forget_expired(uow, now)
        await uow.commit()
    log.info(
        "retention: %d staff conversations, %d chat states and %d back-office rows deleted",
        forgotten, expired, doors,
    )  # fmt: skip


async def events_job(app: Club) -> None:
    """Seats offered to the waitlist and not taken in time pass on; reminders of events and
    appointments go out."""
    async with app.db.unit_of_work() as uow:
        offered, reminded = await events.tick(uow, app.program, app.clock())
        reminded += await appointments.reminders(uow, app.program, app.clock())
        await uow.commit()
    if offered or reminded:
        log.info("%d seats offered to the waitlist, %d reminders", offered, reminded)


async def vouchers_job(app: Club) -> None:
    """Vouchers not used by their end give their points back; experiences whose booking is
    over count as used."""
    async with app.db.unit_of_work() as uow:
        given = await rewards.expire_due(uow, app.clock())
        used = await rewards.experiences_over(uow, app.clock())
        await uow.commit()
    if given:
        log.info("%d vouchers expired, their points given back", given)
    if used:
        log.info("%d experiences over, their vouchers used", used)


async def dispatch_job(sending: Sender) -> None:
    report = await sending.drain()
    if report.sent or report.failed or report.uncertain:
        log.info(
            "outbox: %d sent, %d deferred, %d cancelled, %d to retry, %d failed, %d uncertain",
            report.sent, report.deferred, report.cancelled, report.retried, report.failed,
            report.uncertain,
        )  # fmt: skip


def build_scheduler(app: Club, sending: Sender) -> AsyncIOScheduler:
    """One scheduler per deployment (APScheduler cannot share its jobs between processes).

    Each job catches up at start, coalesces what it missed, and never overlaps itself.
    """
    zone = app.program.club.zone
    scheduler = AsyncIOScheduler(timezone=zone)
    common = {"coalesce": True, "max_instances": 1, "next_run_time": app.clock()}
    scheduler.add_job(
        settle_job, CronTrigger(hour=SETTLE_HOUR, timezone=zone), args=[app], id="settle",
        misfire_grace_time=6 * 3600, **common,
    )  # fmt: skip
    scheduler.add_job(
        retention_job, CronTrigger(hour=SETTLE_HOUR, minute=30, timezone=zone), args=[app],
        id="retention", misfire_grace_time=6 * 3600, **common,
    )  # fmt: skip
    scheduler.add_job(
        occasions_job, CronTrigger(minute=SCAN_MINUTE), args=[app], id="occasions",
        misfire_grace_time=6 * 3600, **common,
    )  # fmt: skip
    scheduler.add_job(
        events_job, IntervalTrigger(minutes=EVENTS_MINUTES), args=[app], id="events",
        misfire_grace_time=3600, **common,
    )  # fmt: skip
    scheduler.add_job(
        vouchers_job, IntervalTrigger(minutes=EVENTS_MINUTES), args=[app], id="vouchers",
        misfire_grace_time=3600, **common,
    )  # fmt: skip
    scheduler.add_job(
        dispatch_job, IntervalTrigger(seconds=DISPATCH_SECONDS), args=[sending], id="outbox",
        misfire_grace_time=3600, **common,
    )  # fmt: skip
    return scheduler


class AnotherWorker(RuntimeError):
    """A second scheduler would run every job twice: it refuses to start."""


async def run(app: Club, sending: Sender) -> None:
    """The schedule until SIGTERM or SIGINT; then what this worker holds is given back at
    once, for whoever comes next."""
    async with app.db.only_one("concierge-worker") as alone:
        if not alone:
            await app.db.close()
            raise AnotherWorker("another `concierge worker` is running on this database")
        scheduler = build_scheduler(app, sending)
        scheduler.start()
        log.info(
            "worker started: daily settle at %02d:00 %s, occasions hourly, outbox every %d s",
            SETTLE_HOUR, app.program.club.timezone, DISPATCH_SECONDS,
        )  # fmt: skip
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for name in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):  # no signals on this platform
                loop.add_signal_handler(name, stop.set)
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await sending.release()
    await app.db.close()
    log.info("worker stopped")
