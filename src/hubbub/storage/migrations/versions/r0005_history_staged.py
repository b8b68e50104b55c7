"""SQLite's history writer appends private messages to `history_staged` first.

The table has `history`'s columns and no index but its key; the writer moves
its rows into `history` in large batches and before any read of a private
history (see `schema.history_staged` and `sqlite_writer.py`).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = (
    "owner, target, msgid, at, source, account, command, params, tags,"
    " peer_owner, peer_target"
)


def upgrade() -> None:
    """Create history_staged, with history's columns and no index."""
    op.create_table(
        "history_staged",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("account", sa.Text(), nullable=True),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("peer_owner", sa.Text(), nullable=True),
        sa.Column("peer_target", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_history_staged"),
    )


def downgrade() -> None:
    """Move what is staged into history, then drop the table."""
    op.execute(
        f"INSERT INTO history (seq, {_COLUMNS}) SELECT seq, {_COLUMNS}"
        " FROM history_staged ORDER BY seq"
    )
    op.drop_table("history_staged")
