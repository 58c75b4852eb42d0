"""requested news: the channel a request was made on, and why each message is sent;
room for the status awaiting_template

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # answers and bookings made before: NULL, news of them goes on the member's usual channel
    with op.batch_alter_table("rsvp") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("basis", sa.String(length=64), nullable=True))
        # room for "awaiting_template"
        batch.alter_column(
            "status", existing_type=sa.String(length=16), type_=sa.String(length=24)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(length=24), type_=sa.String(length=16)
        )
        batch.drop_column("basis")
    with op.batch_alter_table("appointment") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("rsvp") as batch:
        batch.drop_column("channel")
