"""Members' purchase summaries (models.PurchaseSummary) recomputed from their purchases, in
the transaction that writes those: a purchase added (the webhook, the CSV import), refunded,
or its category erased. The figures then read one row a member (docs/benchmarks.md, issue 19).

The statements are built on any tables with the right columns, so that migration 0018 fills
the summaries with the very same SQL (on SQLite as on PostgreSQL) as the repositories keep
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Executable, delete, func, insert, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.purchases import Status
from storage.models import Purchase, PurchaseSummary

CHUNK = 500  # members a statement names: under SQLite's and asyncpg's bound-parameter limits
SEPARATOR = "\n"  # refused inside a category (loyalty.text.unstorable), so it cannot clash


def statements(purchase: Any, summary: Any, members: Sequence[int] | None) -> list[Executable]:
    """Delete then recompute the summaries of `members` (None: everyone's): their kept
    purchases' count, spend, first, second (the earliest after the first), last, and their
    distinct categories."""
    p, s = purchase.c, summary.c
    kept = p.status != Status.REFUNDED
    mine = p.member_id.in_(members) if members is not None else true()
    theirs = s.member_id.in_(members) if members is not None else true()
    totals = (
        select(
            p.member_id,
            func.count(),
            func.sum(p.base_amount),
            func.min(p.purchased_at),
            func.max(p.purchased_at),
            literal(0),
            literal(SEPARATOR),
        )
        .where(kept, mine)
        .group_by(p.member_id)
    )
    columns = ["member_id", "purchases", "spend", "first_at", "last_at", "kinds", "categories"]
    own = (p.member_id == s.member_id) & kept
    second = select(func.min(p.purchased_at)).where(own, p.purchased_at > s.first_at)
    named = (
        select(p.category.label("category"))
        .where(own, p.category.is_not(None))
        .distinct()
        .correlate(summary)  # to the row updated, through the subquery
        .subquery()
    )
    kinds = select(func.count()).select_from(named)
    listed = select(
        literal(SEPARATOR) + func.aggregate_strings(named.c.category, SEPARATOR) + SEPARATOR
    ).select_from(named)
    return [
        delete(summary).where(theirs),
        insert(summary).from_select(columns, totals),
        update(summary)
        .where(theirs)
        .values(
            second_at=second.scalar_subquery(),
            kinds=kinds.scalar_subquery(),
            categories=func.coalesce(listed.scalar_subquery(), SEPARATOR),
        ),
    ]


async def refresh(session: AsyncSession, members: Iterable[int]) -> None:
    """The summaries of these members, recomputed from their purchases (in chunks)."""
    ids = sorted(set(members))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for statement in statements(Purchase.__table__, PurchaseSummary.__table__, part):
            await session.execute(statement)
