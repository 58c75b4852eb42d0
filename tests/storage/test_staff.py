"""Staff as the CLI names them: by Telegram id, full name or first name, one person only."""

from __future__ import annotations

from datetime import datetime

import pytest

from services import staff
from storage.database import Database


async def test_staff_are_named_by_id_full_name_or_a_first_name_only_they_have(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        anna = await staff.register(uow, 6660001, "Anna Bianchi", "concierge", now)
        await staff.register(uow, 6660002, "Anna Verdi", "concierge", now)
        marco = await staff.register(uow, 6660003, "Marco Neri", "manager", now)

        assert await staff.named(uow, "6660001") is anna
        assert await staff.named(uow, "Anna Bianchi") is anna
        assert await staff.named(uow, "Marco") is marco
        with pytest.raises(staff.StaffError, match="no single staff member 'Anna'"):
            await staff.named(uow, "Anna")


async def test_removing_someone_not_registered_is_refused(
    database: Database, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(staff.StaffError, match="no staff member with Telegram id 42"):
            await staff.remove(uow, 42, now)
