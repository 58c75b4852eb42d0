"""vouchers: rewards members took with their points, and how many of each reward with a
stock are out (issue 20)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "voucher",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("member.id", name="fk_voucher_member_id_member"),
            nullable=False,
        ),
        sa.Column("reward", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("discount", sa.Numeric(5, 2, asdecimal=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("taken_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN),
        sa.Column("ended_at", WHEN),
    )
    op.create_index("ix_voucher_member_id", "voucher", ["member_id"])
    op.create_index("ix_voucher_status_expires", "voucher", ["status", "expires_at"])
    op.create_table(
        "reward_stock",
        sa.Column("reward", sa.String(64), primary_key=True),
        sa.Column("taken", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reward_stock")
    op.drop_index("ix_voucher_status_expires", "voucher")
    op.drop_index("ix_voucher_member_id", "voucher")
    op.drop_table("voucher")
