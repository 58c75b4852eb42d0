"""event kind: what an event is (preview, trunk show...), as the back office files it

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(32), server_default="preview", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("kind")
