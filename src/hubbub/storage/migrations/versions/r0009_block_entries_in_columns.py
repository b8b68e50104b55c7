"""History blocks' entries may be stored column by column (format 2).

`storage/blocks.py` writes each new block's `entries` as a pickled tuple of
columns (format 2) instead of a pickled list of entry tuples (format 1),
and reads both. No table changes and nothing is converted on the way up:
blocks written before stay in format 1.

The downgrade turns every format-2 block (in `history_blocks` and
`history_blocks_staged`) back into format 1, which is all that 0008 reads.
This module keeps its own copy of both layouts: a migration is frozen, and
must not change when `blocks.py` does.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import io
import pickle
import sys
from array import array
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_PAGE = 500  # blocks read at a time
_FIXED = 4  # an entry's fields in the text before its params


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not a history block: names {module}.{name}")


def _column(typecode: str, data: bytes) -> array[Any]:
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _format_1(data: bytes) -> bytes | None:
    """A format-2 block's entries in format 1 (None if already in format 1)."""
    value = _Loader(io.BytesIO(data)).load()
    if isinstance(value, list):
        return None
    _, seqs, ats, shapes, sides, names, text, tags = value
    fields = text.split("\0")
    entries = []
    start = 0
    for index, (seq, at, shape, side) in enumerate(
        zip(
            _column("q", seqs),
            _column("d", ats),
            _column("I", shapes),
            _column("H", sides),
            strict=True,
        )
    ):
        end = start + _FIXED + shape // 2
        msgid, source, account, command = fields[start : start + _FIXED]
        entries.append(
            (
                seq,
                msgid,
                at,
                source,
                None if shape & 1 else account,
                command,
                tuple(fields[start + _FIXED : end]),
                (tags or {}).get(index),
                *names[side],
            )
        )
        start = end
    entries.sort(key=lambda entry: entry[0])
    return pickle.dumps(entries, protocol=5)


def upgrade() -> None:
    """Nothing to change: format-1 blocks stay as they are and read back."""


def downgrade() -> None:
    """Turn every format-2 block back into format 1."""
    connection = op.get_bind()
    for name in ("history_blocks", "history_blocks_staged"):
        table = sa.table(name, sa.column("seq"), sa.column("entries"))
        after = 0
        while True:
            rows = connection.execute(
                sa.select(table.c.seq, table.c.entries)
                .where(table.c.seq > after)
                .order_by(table.c.seq)
                .limit(_PAGE)
            ).all()
            for seq, entries in rows:
                converted = _format_1(entries)
                if converted is not None:
                    connection.execute(
                        table.update()
                        .where(table.c.seq == seq)
                        .values(entries=converted)
                    )
            if len(rows) < _PAGE:
                break
            after = rows[-1][0]
