"""experience bookings: the appointment a voucher for an experience booked (issue 20)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voucher") as batch:
        batch.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_voucher_appointment_id_appointment", "appointment", ["appointment_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch.create_index("ix_voucher_appointment_id", ["appointment_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("voucher") as batch:
        batch.drop_index("ix_voucher_appointment_id")
        batch.drop_constraint("fk_voucher_appointment_id_appointment", type_="foreignkey")
        batch.drop_column("appointment_id")
