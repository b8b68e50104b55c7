"""History blocks' entries may share their side's head (format 3).

`storage/blocks.py` writes each new block's `entries` in format 3: as
format 2 (columns, every string joined by NUL), plus, for each side of the
block, its heads (per source, the source, account, command and first param
of its first entry with a param); an entry that shares its source's head
stores only its msgid and the params after the first, and the head's index
in its shape. No table changes and nothing is converted on the way up:
blocks written before stay in formats 1 and 2.

The downgrade turns every format-3 block (in `history_blocks` and
`history_blocks_staged`) into format 2, which 0009 reads (and its own
downgrade turns into format 1). This module keeps its own copy of both
layouts: a migration is frozen, and must not change when `blocks.py` does.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import io
import pickle
import sys
from array import array
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_PAGE = 500  # blocks read at a time
_FIXED = 4  # an entry's strings before its params, when it does not share a head


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not a history block: names {module}.{name}")


def _column(typecode: str, data: bytes) -> array[Any]:
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _bytes(typecode: str, values: list[Any]) -> bytes:
    column = array(typecode, values)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tobytes()


def _format_3_entries(value: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The entry tuples of a format-3 block, in the block's order."""
    _, seqs, ats, shapes, sides, names, heads, text, tags = value
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
        if shape & 2:  # shares a head of its side
            count = (shape & 0xFF) >> 2
            source, account, command, first = heads[side][shape >> 8]
            msgid = fields[start]
            params = (first, *fields[start + 1 : start + count])
            start += count
        else:
            count = shape >> 2
            msgid, source, account, command = fields[start : start + _FIXED]
            if shape & 1:
                account = None
            params = tuple(fields[start + _FIXED : start + _FIXED + count])
            start += _FIXED + count
        entry_tags = (tags or {}).get(index)
        entries.append(
            (seq, msgid, at, source, account, command, params, entry_tags, *names[side])
        )
    return entries


def _format_2(entries: list[tuple[Any, ...]]) -> bytes:
    """Entry tuples as a format-2 block."""
    seqs: list[int] = []
    ats: list[float] = []
    shapes: list[int] = []
    sides: list[int] = []
    fields: list[str] = []
    names: list[tuple[Any, ...]] = []
    tags = {}
    for index, entry in enumerate(entries):
        seq, msgid, at, source, account, command, params, entry_tags = entry[:8]
        view = tuple(entry[8:])
        if view not in names:
            names.append(view)
        seqs.append(seq)
        ats.append(at)
        shapes.append(2 * len(params) + (account is None))
        sides.append(names.index(view))
        fields.extend((msgid, source, account or "", command, *params))
        if entry_tags:
            tags[index] = entry_tags
    return pickle.dumps(
        (
            2,
            _bytes("q", seqs),
            _bytes("d", ats),
            _bytes("I", shapes),
            _bytes("H", sides),
            names,
            "\0".join(fields),
            tags or None,
        ),
        protocol=5,
    )


def _format_3_as_2(data: bytes) -> bytes | None:
    """A format-3 block in format 2 (None if in another format)."""
    value = _Loader(io.BytesIO(data)).load()
    if not isinstance(value, tuple) or value[0] != 3:
        return None
    return _format_2(_format_3_entries(value))


def upgrade() -> None:
    """Nothing to change: blocks in formats 1 and 2 stay and read back."""


def downgrade() -> None:
    """Turn every format-3 block into format 2."""
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
                converted = _format_3_as_2(entries)
                if converted is not None:
                    connection.execute(
                        table.update()
                        .where(table.c.seq == seq)
                        .values(entries=converted)
                    )
            if len(rows) < _PAGE:
                break
            after = rows[-1][0]
