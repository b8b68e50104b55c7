"""Registered channels and accounts' certificate fingerprints.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the account_certfps and channels tables."""
    op.create_table(
        "account_certfps",
        sa.Column("account_key", sa.Text(), nullable=False),
        sa.Column("certfp", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_key"],
            ["accounts.key"],
            name="fk_account_certfps_account_key_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_key", "certfp", name="pk_account_certfps"),
    )
    op.create_index("ix_account_certfps_certfp", "account_certfps", ["certfp"])
    op.create_table(
        "channels",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("founder", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.Double(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("topic_by", sa.Text(), nullable=False),
        sa.Column("topic_at", sa.Double(), nullable=False),
        sa.Column("modes", sa.Text(), nullable=False),
        sa.Column("mode_key", sa.Text(), nullable=True),
        sa.Column("mode_limit", sa.Integer(), nullable=True),
        sa.Column("ops", sa.Text(), nullable=False),
        sa.Column("public_history", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_channels"),
    )


def downgrade() -> None:
    """Drop the channels and account_certfps tables."""
    op.drop_table("channels")
    op.drop_index("ix_account_certfps_certfp", table_name="account_certfps")
    op.drop_table("account_certfps")
