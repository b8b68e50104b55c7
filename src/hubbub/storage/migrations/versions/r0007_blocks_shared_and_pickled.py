"""A conversation's two histories share its blocks; entries are pickled.

`history_blocks` gains `peer_owner` and `peer_target`: the second history of
a block that two parties share (NULL in any other block), with the owner's
two indexes repeated for the peer's side, over shared blocks only. Blocks
written before stay one per history: both kinds read back alike.

`entries` becomes binary: each block's entries as one pickle of a list of
tuples instead of a JSON array of arrays (`storage/blocks.py`), with no tags
stored as None. Every block is converted.

The downgrade gives each party of a shared block its own copy again, and
turns the entries back into JSON. This module keeps its own copy of both
layouts: a migration is frozen, and must not change when `blocks.py` does.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable
from typing import Any

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
_PAGE = 500  # blocks converted at a time
_TAGS = 7  # an entry's tags
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not a history block: names {module}.{name}")


def _pickled(text: str) -> bytes:
    entries = []
    for entry in json.loads(text):
        entry[6] = tuple(entry[6])  # params
        entry[_TAGS] = entry[_TAGS] or None
        entries.append(tuple(entry))
    return pickle.dumps(entries, protocol=5)


def _json(data: bytes) -> str:
    entries = []
    for entry in _Loader(io.BytesIO(data)).load():
        entry = list(entry)
        entry[6] = list(entry[6])
        entry[_TAGS] = entry[_TAGS] or {}
        entries.append(entry)
    return _encode(entries)


def _convert(into: str, convert: Callable[[Any], Any]) -> None:
    """Fill the column `into` of every block with its entries, converted."""
    connection = op.get_bind()
    blocks = sa.table(
        "history_blocks", sa.column("seq"), sa.column("entries"), sa.column(into)
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(blocks.c.seq, blocks.c.entries)
            .where(blocks.c.seq > after)
            .order_by(blocks.c.seq)
            .limit(_PAGE)
        ).all()
        for seq, entries in rows:
            connection.execute(
                blocks.update()
                .where(blocks.c.seq == seq)
                .values({into: convert(entries)})
            )
        if len(rows) < _PAGE:
            return
        after = rows[-1][0]


def _replace_entries(new: str, kind: sa.types.TypeEngine[Any]) -> None:
    """Drop `entries`; the column `new` takes its name (and NOT NULL)."""
    # SQLite rebuilds the table: keep seq AUTOINCREMENT (never reused).
    with op.batch_alter_table(
        "history_blocks", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("entries")
        batch.alter_column(
            new, new_column_name="entries", existing_type=kind, nullable=False
        )


def upgrade() -> None:
    """Add peer_owner and peer_target and their indexes; pickle the entries."""
    op.add_column("history_blocks", sa.Column("peer_owner", sa.Text(), nullable=True))
    op.add_column("history_blocks", sa.Column("peer_target", sa.Text(), nullable=True))
    op.add_column(
        "history_blocks", sa.Column("pickled", sa.LargeBinary(), nullable=True)
    )
    _convert("pickled", _pickled)
    _replace_entries("pickled", sa.LargeBinary())
    for name, edge in _INDEXES.items():
        op.create_index(
            name,
            "history_blocks",
            ["peer_owner", "peer_target", edge, "seq"],
            sqlite_where=_SHARED,
            postgresql_where=_SHARED,
        )


def downgrade() -> None:
    """Copy each shared block into a block of the peer's own, turn the entries
    back into JSON, then drop the peer's columns."""
    op.execute(
        f"INSERT INTO history_blocks (owner, target, {_SPAN})"
        f" SELECT peer_owner, peer_target, {_SPAN} FROM history_blocks"
        " WHERE peer_owner IS NOT NULL ORDER BY seq"
    )
    for name in _INDEXES:
        op.drop_index(name, table_name="history_blocks")
    op.add_column("history_blocks", sa.Column("json", sa.Text(), nullable=True))
    _convert("json", _json)
    with op.batch_alter_table(
        "history_blocks", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("peer_target")
        batch.drop_column("peer_owner")
    _replace_entries("json", sa.Text())
