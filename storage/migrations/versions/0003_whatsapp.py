"""whatsapp: the 24-hour window, numbered options, the outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_identity") as batch:
        batch.add_column(sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversation_state") as batch:
        batch.alter_column("state", existing_type=sa.String(length=64), nullable=True)
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=240), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("media", sa.Text(), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_outbox_message_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_message_key")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_outbox_message_provider_id")),
    )
    op.create_index(
        "ix_outbox_message_address",
        "outbox_message",
        ["channel", "address", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_message_address", table_name="outbox_message")
    op.drop_table("outbox_message")
    with op.batch_alter_table("conversation_state") as batch:
        batch.drop_column("options")
        batch.alter_column("state", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("channel_identity") as batch:
        batch.drop_column("last_inbound_at")
