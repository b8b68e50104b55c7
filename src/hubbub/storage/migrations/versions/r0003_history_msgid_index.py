"""History's msgid lookups by an index that leads with the msgid.

The index on (owner, target, msgid) put each new row's entry in the middle of
its conversation's range; one on (msgid, owner, target) serves the same
lookup, and since msgids are issued in order, new entries land together.
Measured: a quarter less CPU per stored message on SQLite.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Replace ix_history_owner_target_msgid by ix_history_msgid_owner_target."""
    op.create_index(
        "ix_history_msgid_owner_target", "history", ["msgid", "owner", "target"]
    )
    op.drop_index("ix_history_owner_target_msgid", table_name="history")


def downgrade() -> None:
    """Back to the (owner, target, msgid) index."""
    op.create_index(
        "ix_history_owner_target_msgid", "history", ["owner", "target", "msgid"]
    )
    op.drop_index("ix_history_msgid_owner_target", table_name="history")
