"""The worker's schedule: settle daily, occasions hourly, the outbox every few seconds."""

from __future__ import annotations

from bot.bootstrap import Concierge
from scheduler.worker import SETTLE_HOUR, build_scheduler
from tests.channel.conftest import sender


async def test_jobs_have_ids_catch_up_at_start_coalesce_and_never_overlap(
    concierge: Concierge,
) -> None:
    scheduler = build_scheduler(concierge, sender(concierge))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"settle", "retention", "occasions", "events", "vouchers", "outbox"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.next_run_time == concierge.clock()
    settle = jobs["settle"]
    assert settle.misfire_grace_time == 6 * 3600
    assert str(settle.trigger.timezone) == "Europe/Rome"
    assert f"hour='{SETTLE_HOUR}'" in str(settle.trigger)
    assert "minute='5'" in str(jobs["occasions"].trigger)
    assert jobs["occasions"].misfire_grace_time == 6 * 3600
