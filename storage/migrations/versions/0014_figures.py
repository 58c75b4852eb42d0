"""figures: the indexes the Figures page's aggregates read by (issue 19)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    # a member's purchases in order: the window over them, an event's buyers after it
    "ix_purchase_member_at": ("purchase", ["member_id", "purchased_at"]),
    # a range of months of purchases, of messages written
    "ix_purchase_purchased_at": ("purchase", ["purchased_at"]),
    "ix_outbox_message_created_at": ("outbox_message", ["created_at"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
