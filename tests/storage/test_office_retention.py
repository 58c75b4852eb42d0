"""The nightly retention job forgets what the back office's doors keep only for a while:
failed sign-ins past any lockout they could count towards, sessions that have ended, links
used or expired; what still counts stays. Time is moved by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Concierge
from scheduler.worker import retention_job
from services import office
from storage.models import OfficeFailure, OfficeLink, OfficeSession
from tests.conftest import Clock

PASSWORD = "a long enough secret"


async def rows(concierge: Concierge) -> tuple[int, int, int]:
    """How many failed sign-ins, sessions and links are kept."""
    async with concierge.db.unit_of_work() as uow:
        return tuple(  # type: ignore[return-value]
            [await uow.session.scalar(select(func.count()).select_from(table))
             for table in (OfficeFailure, OfficeSession, OfficeLink)]
        )  # fmt: skip


async def test_retention_forgets_old_failures_ended_sessions_and_spent_links(
    concierge: Concierge, clock: Clock
) -> None:
    async with concierge.db.unit_of_work() as uow:
        link = await office.invite(uow, "owner@aurelia.example", "owner", clock.current)
        await office.set_password(uow, link, PASSWORD, clock.current)  # used: may go
        await office.invite(uow, "anna@aurelia.example", "staff", clock.current)  # 48 hours
        await office.sign_in(uow, "owner@aurelia.example", PASSWORD, "10.0.0.1", clock.current)
        for _ in range(2):
            with pytest.raises(office.OfficeError):
                await office.sign_in(
                    uow, "bob@aurelia.example", "guess", "10.0.0.9", clock.current
                )
        await uow.commit()
    assert await rows(concierge) == (2, 1, 2)
    clock.current += timedelta(minutes=30)  # the lockout window and the lock, just run out
    await retention_job(concierge)
    assert await rows(concierge) == (2, 1, 1)  # the used link only
    clock.current += timedelta(seconds=1)
    await retention_job(concierge)
    assert await rows(concierge) == (0, 1, 1)
    clock.current += timedelta(hours=8)  # the session, idle since it began
    await retention_job(concierge)
    assert await rows(concierge) == (0, 0, 1)
    clock.current += timedelta(hours=40)  # Anna's link, 48 hours old
    await retention_job(concierge)
    assert await rows(concierge) == (0, 0, 0)


async def test_a_locked_out_sign_in_stays_locked_through_the_nightly_job(
    concierge: Concierge, clock: Clock
) -> None:
    async with concierge.db.unit_of_work() as uow:
        link = await office.invite(uow, "owner@aurelia.example", "owner", clock.current)
        await office.set_password(uow, link, PASSWORD, clock.current)
        for _ in range(5):
            with pytest.raises(office.OfficeError):
                await office.sign_in(
                    uow, "owner@aurelia.example", "guess", "10.0.0.9", clock.current
                )
            clock.current += timedelta(minutes=1)
        await uow.commit()
    clock.current += timedelta(minutes=10)
    await retention_job(concierge)
    async with concierge.db.unit_of_work() as uow:
        with pytest.raises(office.Locked):
            await office.sign_in(uow, "owner@aurelia.example", PASSWORD, "10.0.0.9", clock.current)
