"""occasions: members' yearly dates by month and day; outbox purpose and due time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op

from loyalty.dates import Birthday
from loyalty.occasions import MemberDates, yearly

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    table = op.create_table(
        "occasion_date",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_occasion_date_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "kind", name=op.f("pk_occasion_date")),
    )
    op.create_index("ix_occasion_date_month_day", "occasion_date", ["month", "day"])
    _file_existing_members(table)


def _file_existing_members(table: sa.Table) -> None:
    """Members enrolled before this revision: their dates, in their zone or the store's."""
    store = ZoneInfo(context.config.attributes.get("store_zone", "UTC"))
    bind = op.get_bind()
    firsts: dict[int, datetime | str] = dict(
        bind.execute(
            sa.text(
                "SELECT member_id, MIN(purchased_at) FROM purchase WHERE status = 'paid' "
                "GROUP BY member_id"
            )
        ).all()
    )
    declared: dict[int, dict[str, date]] = defaultdict(dict)
    for member_id, kind, on in bind.execute(
        sa.text('SELECT member_id, kind, "on" FROM anniversary')
    ):
        declared[member_id][kind] = _date(on)
    members = bind.execute(
        sa.text(
            "SELECT id, timezone, joined_at, birthday_month, birthday_day, birthday_year "
            "FROM member WHERE erased_at IS NULL"
        )
    )
    rows = []
    for member_id, timezone, joined, month, day, year in members:
        zone = ZoneInfo(timezone) if timezone else store
        first = firsts.get(member_id)
        dates = MemberDates(
            member_id,
            zone,
            birthday=Birthday(month, day, year) if month else None,
            joined=_aware(joined).astimezone(zone).date(),
            first_purchase=_aware(first).astimezone(zone).date() if first else None,
            declared=declared[member_id],
        )
        rows += [
            {
                "member_id": member_id,
                "kind": y.kind,
                "month": y.month,
                "day": y.day,
                "since": y.since,
            }
            for y in yearly(dates)
        ]
    if rows:
        op.bulk_insert(table, rows)


def _aware(moment: datetime | str) -> datetime:
    """SQLite hands back text (naive UTC); PostgreSQL aware datetimes."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(day: date | str) -> date:
    return date.fromisoformat(day) if isinstance(day, str) else day


def downgrade() -> None:
    op.drop_index("ix_occasion_date_month_day", table_name="occasion_date")
    op.drop_table("occasion_date")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("due_at")
        batch.drop_column("purpose")
