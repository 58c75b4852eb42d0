"""The worker's schedule: one daily settle job, in the store's zone, caught up at start."""

from __future__ import annotations

from bot.bootstrap import Concierge
from scheduler.worker import SETTLE_HOUR, build_scheduler


async def test_settle_runs_daily_in_the_store_zone_and_at_start(concierge: Concierge) -> None:
    scheduler = build_scheduler(concierge)
    [job] = scheduler.get_jobs()
    assert job.id == "settle"
    assert job.coalesce is True and job.misfire_grace_time == 6 * 3600
    assert str(job.trigger.timezone) == "Europe/Rome"
    assert f"hour='{SETTLE_HOUR}'" in str(job.trigger)
    assert job.next_run_time == concierge.clock()
