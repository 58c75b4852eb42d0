"""receipt tries: how often a received message was tried, and when and why it was given up

Messages received before have been tried an unknown number of times: they start from none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_receipt") as batch:
        batch.add_column(
            sa.Column("attempts", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("error", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_receipt") as batch:
        batch.drop_column("error")
        batch.drop_column("failed_at")
        batch.drop_column("attempts")
