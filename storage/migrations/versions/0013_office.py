"""office: the back office's accounts, one-time links, sessions, failed sign-ins, audit log

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "office_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("email", name="uq_office_account_email"),
    )
    for table, key in (("office_link", "digest"), ("office_session", "digest")):
        stamps = (
            [sa.Column("created_at", WHEN, nullable=False),
             sa.Column("expires_at", WHEN, nullable=False),
             sa.Column("used_at", WHEN)]
            if table == "office_link"
            else [sa.Column("started_at", WHEN, nullable=False),
                  sa.Column("seen_at", WHEN, nullable=False)]
        )  # fmt: skip
        op.create_table(
            table,
            sa.Column(key, sa.String(64), primary_key=True),
            sa.Column(
                "account_id",
                sa.Integer(),
                sa.ForeignKey(
                    "office_account.id",
                    ondelete="CASCADE",
                    name=f"fk_{table}_account_id_office_account",
                ),
                nullable=False,
            ),
            *stamps,
        )
    op.create_table(
        "office_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_index("ix_office_failure_who", "office_failure", ["email", "address", "at"])
    op.create_table(
        "office_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_index("ix_office_audit_at", "office_audit", ["at"])


def downgrade() -> None:
    for table in ("office_audit", "office_failure", "office_session", "office_link"):
        op.drop_table(table)
    op.drop_table("office_account")
