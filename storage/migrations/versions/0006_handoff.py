"""handoff: staff, conversations with staff in topics, transcripts, relayed photos

Requests recorded before the staff group existed are closed: nobody could answer them, and
left open they would silence the bot for those members.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_staff_telegram_user_id")),
    )
    op.execute("UPDATE handoff SET status = 'closed' WHERE status = 'open'")
    with op.batch_alter_table("handoff") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_handoff_claimed_by_staff"), "staff", ["claimed_by"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_handoff_closed_by_staff"), "staff", ["closed_by"], ["id"]
        )
        batch.create_index("ix_handoff_thread", ["thread_id"])
        batch.create_index(
            "uq_handoff_open_chat", ["channel", "address"], unique=True,
            sqlite_where=OPEN, postgresql_where=OPEN,
        )  # fmt: skip
    op.create_table(
        "transcript_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoff.id"],
            name=op.f("fk_transcript_line_handoff_id_handoff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_transcript_line_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_line")),
    )
    op.create_index("ix_transcript_line_handoff", "transcript_line", ["handoff_id", "id"])
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("photo", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("handoff_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_message_handoff_id_handoff"), "handoff", ["handoff_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
    with op.batch_alter_table("conversation_state") as batch:
        batch.add_column(
            sa.Column("misses", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("recent", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_state") as batch:
        batch.drop_column("recent")
        batch.drop_column("misses")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_constraint(op.f("fk_outbox_message_handoff_id_handoff"), type_="foreignkey")
        batch.drop_column("handoff_id")
        batch.drop_column("photo")
    op.drop_index("ix_transcript_line_handoff", table_name="transcript_line")
    op.drop_table("transcript_line")
    with op.batch_alter_table("handoff") as batch:
        batch.drop_index("uq_handoff_open_chat")
        batch.drop_index("ix_handoff_thread")
        batch.drop_constraint(op.f("fk_handoff_closed_by_staff"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_handoff_claimed_by_staff"), type_="foreignkey")
        batch.drop_column("closed_by")
        batch.drop_column("closed_at")
        batch.drop_column("claimed_by")
        batch.drop_column("thread_id")
        batch.drop_column("reason")
    op.drop_table("staff")
