"""purchase summary: each member's kept purchases summed up, so that the Figures page reads
one row a member instead of aggregating every purchase (issue 19); filled here from the
purchases with the statements the repositories keep it with (storage/summaries.py); and a
purchase's status in the index of a member's purchases by date

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.summaries import statements

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2, asdecimal=True)


def upgrade() -> None:
    summary = op.create_table(
        "purchase_summary",
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("member.id", name="fk_purchase_summary_member_id_member"),
            nullable=False,
        ),
        sa.Column("purchases", sa.Integer, nullable=False),
        sa.Column("spend", MONEY, nullable=False),
        sa.Column("first_at", WHEN, nullable=False),
        sa.Column("second_at", WHEN),
        sa.Column("last_at", WHEN, nullable=False),
        sa.Column("kinds", sa.Integer, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("member_id", name="pk_purchase_summary"),
    )
    purchase = sa.table(
        "purchase",
        *[sa.column(name) for name in ("member_id", "base_amount", "category", "status")],
        sa.column("purchased_at", WHEN),
    )
    for statement in statements(purchase, summary, None):
        op.execute(statement)
    # the purchase before a date, or after the first, that was not refunded: an index-only
    # look-up (the status in the index) for each member the figures ask it of
    op.drop_index("ix_purchase_member_at", table_name="purchase")
    op.create_index("ix_purchase_member_at", "purchase", ["member_id", "purchased_at", "status"])


def downgrade() -> None:
    op.drop_index("ix_purchase_member_at", table_name="purchase")
    op.create_index("ix_purchase_member_at", "purchase", ["member_id", "purchased_at"])
    op.drop_table("purchase_summary")
