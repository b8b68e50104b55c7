"""A private conversation's two histories share its blocks.

`history_blocks` gains `peer_owner` and `peer_target`: the second history of
a block that two parties share (NULL in any other block), with the owner's
two indexes repeated for the peer's side, over shared blocks only. Blocks
written before stay as they are, one per history: both read back as before.
The downgrade gives each party of a shared block its own copy again.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_SHARED = sa.text("peer_owner IS NOT NULL")
_INDEXES = {
    "ix_history_blocks_peer_owner_peer_target_last_at_seq": "last_at",
    "ix_history_blocks_peer_owner_peer_target_first_at_seq": "first_at",
}
_SPAN = "first_at, last_at, first_seq, last_seq, count, entries"


def upgrade() -> None:
    """Add history_blocks.peer_owner and peer_target, and their indexes."""
    op.add_column("history_blocks", sa.Column("peer_owner", sa.Text(), nullable=True))
    op.add_column("history_blocks", sa.Column("peer_target", sa.Text(), nullable=True))
    for name, edge in _INDEXES.items():
        op.create_index(
            name,
            "history_blocks",
            ["peer_owner", "peer_target", edge, "seq"],
            sqlite_where=_SHARED,
            postgresql_where=_SHARED,
        )


def downgrade() -> None:
    """Copy each shared block into a block of the peer's own, then drop the
    columns."""
    op.execute(
        f"INSERT INTO history_blocks (owner, target, {_SPAN})"
        f" SELECT peer_owner, peer_target, {_SPAN} FROM history_blocks"
        " WHERE peer_owner IS NOT NULL ORDER BY seq"
    )
    for name in _INDEXES:
        op.drop_index(name, table_name="history_blocks")
    # SQLite rebuilds the table: keep seq AUTOINCREMENT (never reused).
    with op.batch_alter_table(
        "history_blocks", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("peer_target")
        batch.drop_column("peer_owner")
