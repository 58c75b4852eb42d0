"""office accounts: disabled accounts, their last sign-in, and audit lines long enough to
name an account by its e-mail

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("office_account") as batch:
        batch.add_column(sa.Column("signed_in_at", WHEN))
        batch.add_column(sa.Column("disabled_at", WHEN))
    with op.batch_alter_table("office_audit") as batch:
        batch.alter_column(
            "action", existing_type=sa.String(64), type_=sa.String(320), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("office_audit") as batch:
        batch.alter_column(
            "action", existing_type=sa.String(320), type_=sa.String(64), existing_nullable=False
        )
    with op.batch_alter_table("office_account") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("signed_in_at")
