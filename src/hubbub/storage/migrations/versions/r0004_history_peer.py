"""A private message is one history row, in both parties' histories.

Rows gain `peer_owner` and `peer_target`: the recipient's history, next to
the sender's in `owner` and `target` (NULL for channel rows). Each private
message used to be stored twice, one row per party, and those rows stay as
they are: both read back as before.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_INDEX = "ix_history_peer_owner_peer_target_at_seq"
_PRIVATE = sa.text("peer_owner IS NOT NULL")


def upgrade() -> None:
    """Add history.peer_owner and peer_target, and their partial index."""
    op.add_column("history", sa.Column("peer_owner", sa.Text(), nullable=True))
    op.add_column("history", sa.Column("peer_target", sa.Text(), nullable=True))
    op.create_index(
        _INDEX,
        "history",
        ["peer_owner", "peer_target", "at", "seq"],
        sqlite_where=_PRIVATE,
        postgresql_where=_PRIVATE,
    )


def downgrade() -> None:
    """Split each one-row private message into its two rows again, then drop
    the columns."""
    op.execute(
        "INSERT INTO history (owner, target, msgid, at, source, account, command,"
        " params, tags) SELECT peer_owner, peer_target, msgid, at, source, account,"
        " command, params, tags FROM history WHERE peer_owner IS NOT NULL"
    )
    op.drop_index(_INDEX, table_name="history")
    # SQLite rebuilds the table: keep seq AUTOINCREMENT (never reused).
    with op.batch_alter_table(
        "history", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("peer_target")
        batch.drop_column("peer_owner")
