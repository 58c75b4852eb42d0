"""The worker process: APScheduler decides when; the services decide what."""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.bootstrap import Concierge
from loyalty.services.reviews import settle_all

log = logging.getLogger("concierge.worker")
SETTLE_HOUR = 3  # store time: after closing, before the morning's messages


async def settle_job(app: Concierge) -> None:
    changed = await settle_all(app.db.unit_of_work, app.clock(), app.program)
    log.info("daily settle: %d accounts changed (expiry, tier review, badges)", changed)


def build_scheduler(app: Concierge) -> AsyncIOScheduler:
    """One scheduler per deployment (APScheduler cannot share its jobs between processes)."""
    scheduler = AsyncIOScheduler(timezone=app.program.club.zone)
    scheduler.add_job(
        settle_job,
        CronTrigger(hour=SETTLE_HOUR, timezone=app.program.club.zone),
        args=[app],
        id="settle",
        misfire_grace_time=6 * 3600,
        coalesce=True,
        max_instances=1,
        next_run_time=app.clock(),  # catch up at start: a restart never skips a day
    )
    return scheduler


async def run(app: Concierge) -> None:
    scheduler = build_scheduler(app)
    scheduler.start()
    log.info("worker started: daily settle at %02d:00 %s", SETTLE_HOUR, app.program.club.timezone)
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        await app.db.close()
