"""Members' yearly dates stay filed by month and day as what the club knows changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from loyalty.occasions import Yearly
from loyalty.program import Program
from services import members, privacy
from services.purchases import ingest
from storage.database import Database
from tests.factories import PHONE, purchase


async def filed(database: Database, *pairs: tuple[int, int]) -> dict[int, list[Yearly]]:
    async with database.unit_of_work() as uow:
        return dict(await uow.occasion_dates.on(list(pairs)))


async def test_dates_follow_enrolment_purchases_declarations_zone_and_erasure(
    database: Database, program: Program, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        member = await members.add(uow, program, now, PHONE, name="Giulia", birthday="1990-07-14")
        await uow.commit()
    assert await filed(database, (7, 14)) == {
        member.id: [Yearly("birthday", 7, 14, date(1990, 7, 14))]
    }
    assert await filed(database, (11, 24)) == {
        member.id: [Yearly("club_anniversary", 11, 24, date(2026, 11, 24))]
    }

    older = datetime(2023, 5, 9, 22, 30, tzinfo=UTC)  # 00:30 on the 10th in Rome
    await ingest(database.unit_of_work, [purchase(older)], "import", now, program)
    assert await filed(database, (11, 24)) == {}  # a client since the first purchase
    assert await filed(database, (5, 10)) == {
        member.id: [Yearly("club_anniversary", 5, 10, date(2023, 5, 10))]
    }

    async with database.unit_of_work() as uow:
        member = await uow.members.get(member.id)
        assert member is not None
        await members.add_anniversary(uow, member, "wedding", "2015-06-20", program)
        await members.set_zone(uow, member, program, "America/New_York")
        await uow.commit()
    assert await filed(database, (6, 20)) == {
        member.id: [Yearly("wedding", 6, 20, date(2015, 6, 20))]
    }
    assert await filed(database, (5, 9)) == {  # 22:30 UTC is still the 9th in New York
        member.id: [Yearly("club_anniversary", 5, 9, date(2023, 5, 9))]
    }

    async with database.unit_of_work() as uow:
        member = await uow.members.get(member.id)
        assert member is not None
        removed = (await privacy.erase(uow, program, member, now)).removed
        await uow.commit()
    assert removed["occasion_date"] == 3
    assert await filed(database, (7, 14), (5, 9), (6, 20)) == {}
