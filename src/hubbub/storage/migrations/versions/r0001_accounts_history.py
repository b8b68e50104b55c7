"""Accounts and history.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# SQLite makes only "INTEGER PRIMARY KEY" an alias of its rowid (autoincrement).
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the accounts and history tables."""
    op.create_table(
        "accounts",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("scram_salt", sa.LargeBinary(), nullable=True),
        sa.Column("scram_iterations", sa.Integer(), nullable=True),
        sa.Column("scram_stored_key", sa.LargeBinary(), nullable=True),
        sa.Column("scram_server_key", sa.LargeBinary(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification_code", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_accounts"),
    )
    op.create_table(
        "history",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("account", sa.Text(), nullable=True),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_history"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_history_owner_target_msgid", "history", ["owner", "target", "msgid"]
    )
    op.create_index(
        "ix_history_owner_target_at_seq", "history", ["owner", "target", "at", "seq"]
    )


def downgrade() -> None:
    """Drop the accounts and history tables."""
    op.drop_table("history")
    op.drop_table("accounts")
