"""voucher.used_by: what used a voucher, so that the till's same call again is answered as
the first was, and any other use is told it was used (issue 20)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voucher") as batch:
        batch.add_column(sa.Column("used_by", sa.String(240)))


def downgrade() -> None:
    with op.batch_alter_table("voucher") as batch:
        batch.drop_column("used_by")
