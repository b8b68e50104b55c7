"""SQLite's history writer stages blocks in `history_blocks_staged` first.

The table has the columns of `history_blocks` and no index but its key. The
writer appends each batch's blocks there and moves them into
`history_blocks` in bulk, and before any read (`storage/sql_history.py`), so
that a block's four index entries are written with many others instead of
costing a page each on every commit. PostgreSQL has the table and leaves it
empty.

The downgrade moves whatever is staged into `history_blocks`, in order.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = (
    "owner, target, peer_owner, peer_target, first_at, last_at, first_seq,"
    " last_seq, count, entries"
)


def upgrade() -> None:
    """Create history_blocks_staged, with the columns of history_blocks."""
    op.create_table(
        "history_blocks_staged",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("peer_owner", sa.Text(), nullable=True),
        sa.Column("peer_target", sa.Text(), nullable=True),
        sa.Column("first_at", sa.Double(), nullable=False),
        sa.Column("last_at", sa.Double(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("entries", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_history_blocks_staged"),
    )


def downgrade() -> None:
    """Move what is staged into history_blocks, then drop the table."""
    op.execute(
        f"INSERT INTO history_blocks ({_COLUMNS}) SELECT {_COLUMNS}"
        " FROM history_blocks_staged ORDER BY seq"
    )
    op.drop_table("history_blocks_staged")
