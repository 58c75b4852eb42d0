"""The staff who may act in the staff group: register them, list them, remove them, and
find the one a name or a Telegram id points to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from loyalty.records import Staff
from loyalty.stores import UnitOfWork


class StaffError(ValueError):
    """A request about staff that cannot be carried out; the text says why."""


def shown_name(text: str) -> str | None:
    """The name members are shown (spaces collapsed); None when empty or over 80 characters."""
    name = " ".join(text.split())
    return name if 0 < len(name) <= 80 else None


async def register(
    uow: UnitOfWork, telegram_user_id: int, name: str, role: str, now: datetime
) -> Staff:
    """Register someone (again: a removed person comes back with the new name and role)."""
    return await uow.staff.add(telegram_user_id, name, role, now)


async def roster(uow: UnitOfWork) -> Sequence[Staff]:
    return await uow.staff.all()


async def remove(uow: UnitOfWork, telegram_user_id: int, now: datetime) -> Staff:
    """What they wrote stays in the transcripts; they may no longer act."""
    removed = await uow.staff.remove(telegram_user_id, now)
    if removed is None:
        raise StaffError(f"no staff member with Telegram id {telegram_user_id}")
    return removed


async def named(uow: UnitOfWork, who: str) -> Staff:
    """The one staff member `who` names: their Telegram id, their name or first name."""
    found = [
        s for s in await uow.staff.all()
        if who in (str(s.telegram_user_id), s.name) or s.name.split(" ")[0] == who
    ]  # fmt: skip
    if len(found) != 1:
        raise StaffError(f"no single staff member {who!r} (see concierge staff list)")
    return found[0]
