"""handoff: a chat's handoffs by when they closed, for where a sender stands (issue 21)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the aiogram router asks, for a shop's customer, whether staff handed them back lately
    op.create_index("ix_handoff_chat_closed", "handoff", ["channel", "address", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_chat_closed", table_name="handoff")
