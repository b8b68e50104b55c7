"""History in blocks: one row per history per group commit (`storage/blocks.py`).

Every row of `history` and `history_staged` becomes an entry in a block of
its history, in seq order, up to `_BLOCK_ENTRIES` entries a block; a private
message's row becomes an entry in both parties' histories. `counters`
keeps the last seq given, so that no seq is used twice. The downgrade turns
the blocks back into rows: one per message, with its peer when both parties
still hold it.

This module keeps its own copy of the entry layout: a migration is frozen,
and must not change when `blocks.py` does.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BLOCK_ENTRIES = 1000
_ROW_COLUMNS = (
    "seq, owner, target, msgid, at, source, account, command, params, tags,"
    " peer_owner, peer_target"
)
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode

_blocks = sa.table(
    "history_blocks",
    sa.column("owner"),
    sa.column("target"),
    sa.column("first_at"),
    sa.column("last_at"),
    sa.column("first_seq"),
    sa.column("last_seq"),
    sa.column("count"),
    sa.column("entries"),
)
_history = sa.table(
    "history", *(sa.column(name.strip()) for name in _ROW_COLUMNS.split(","))
)


def upgrade() -> None:
    """Create history_blocks and counters, move every row into blocks, drop
    history and history_staged."""
    op.create_table(
        "history_blocks",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("first_at", sa.Double(), nullable=False),
        sa.Column("last_at", sa.Double(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_history_blocks"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_history_blocks_owner_target_last_at_seq",
        "history_blocks",
        ["owner", "target", "last_at", "seq"],
    )
    op.create_index(
        "ix_history_blocks_owner_target_first_at_seq",
        "history_blocks",
        ["owner", "target", "first_at", "seq"],
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    connection = op.get_bind()
    last_seq = _move_rows_into_blocks(connection)
    if connection.dialect.name == "sqlite":
        used = connection.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'history'"
        ).scalar()
        last_seq = max(last_seq, used or 0)
    op.execute(
        sa.text(
            "INSERT INTO counters (name, value) VALUES ('history_seq', :value)"
        ).bindparams(value=last_seq)
    )
    op.drop_table("history_staged")
    op.drop_table("history")


def _move_rows_into_blocks(connection: sa.Connection) -> int:
    """Write every history row as entries of blocks; the last seq seen."""
    pending: dict[tuple[str, str], list[tuple[float, list[Any]]]] = {}
    last_seq = 0

    def write(history: tuple[str, str], entries: list[tuple[float, list[Any]]]) -> None:
        times = [at for at, _ in entries]
        connection.execute(
            _blocks.insert(),
            {
                "owner": history[0],
                "target": history[1],
                "first_at": min(times),
                "last_at": max(times),
                "first_seq": entries[0][1][0],
                "last_seq": entries[-1][1][0],
                "count": len(entries),
                "entries": _encode([entry for _, entry in entries]),
            },
        )

    rows = connection.exec_driver_sql(
        f"SELECT {_ROW_COLUMNS} FROM history UNION ALL"
        f" SELECT {_ROW_COLUMNS} FROM history_staged ORDER BY seq"
    )
    for row in rows.fetchall():
        (seq, owner, target, msgid, at, source, account, command, params, tags) = row[
            :10
        ]
        peer_owner, peer_target = row[10:]
        entry = [seq, msgid, at, source, account, command, json.loads(params)]
        entry.append(json.loads(tags))
        histories = [(owner, target)]
        if peer_owner is not None:
            entry += [owner, target, peer_owner, peer_target]
            histories.append((peer_owner, peer_target))
        for history in histories:
            entries = pending.setdefault(history, [])
            entries.append((at, entry))
            if len(entries) == _BLOCK_ENTRIES:
                write(history, entries)
                del pending[history]
        last_seq = seq
    for history, entries in pending.items():
        write(history, entries)
    return int(last_seq)


def downgrade() -> None:
    """Recreate history (and an empty history_staged) from the blocks, drop
    history_blocks and counters."""
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
        sa.Column("peer_owner", sa.Text(), nullable=True),
        sa.Column("peer_target", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_history"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_history_msgid_owner_target", "history", ["msgid", "owner", "target"]
    )
    op.create_index(
        "ix_history_owner_target_at_seq", "history", ["owner", "target", "at", "seq"]
    )
    private = sa.text("peer_owner IS NOT NULL")
    op.create_index(
        "ix_history_peer_owner_peer_target_at_seq",
        "history",
        ["peer_owner", "peer_target", "at", "seq"],
        sqlite_where=private,
        postgresql_where=private,
    )
    op.create_table(
        "history_staged",
        *(
            sa.Column(name, kind, nullable=nullable)
            for name, kind, nullable in (
                ("seq", _SEQ, False),
                ("owner", sa.Text(), False),
                ("target", sa.Text(), False),
                ("msgid", sa.Text(), False),
                ("at", sa.Double(), False),
                ("source", sa.Text(), False),
                ("account", sa.Text(), True),
                ("command", sa.Text(), False),
                ("params", sa.Text(), False),
                ("tags", sa.Text(), False),
                ("peer_owner", sa.Text(), True),
                ("peer_target", sa.Text(), True),
            )
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_history_staged"),
    )
    connection = op.get_bind()
    rows = sorted(_rows_of_blocks(connection), key=lambda row: row["seq"])
    for start in range(0, len(rows), _BLOCK_ENTRIES):
        connection.execute(_history.insert(), rows[start : start + _BLOCK_ENTRIES])
    if rows and connection.dialect.name == "postgresql":  # seqs were explicit
        op.execute(
            "SELECT setval(pg_get_serial_sequence('history', 'seq'),"
            " (SELECT max(seq) FROM history))"
        )
    op.drop_table("counters")
    op.drop_table("history_blocks")


def _rows_of_blocks(connection: sa.Connection) -> Iterator[dict[str, Any]]:
    """One history row per message: a private message held by both parties
    keeps its peer; held by one, it is that party's own row."""
    alone: dict[int, tuple[list[Any], str, str]] = {}  # seq -> the one copy met
    blocks = connection.exec_driver_sql(
        "SELECT owner, target, entries FROM history_blocks ORDER BY seq"
    )
    for owner, target, items in blocks.fetchall():
        for entry in json.loads(items):
            if len(entry) == 8:
                yield _row(entry, owner, target, None, None)
                continue
            seq = entry[0]
            if seq in alone:
                del alone[seq]
                yield _row(entry, *entry[8:12])
            else:
                alone[seq] = (entry, owner, target)
    for entry, owner, target in alone.values():
        yield _row(entry, owner, target, None, None)


def _row(
    entry: list[Any],
    owner: str,
    target: str,
    peer_owner: str | None,
    peer_target: str | None,
) -> dict[str, Any]:
    seq, msgid, at, source, account, command, params, tags = entry[:8]
    return {
        "seq": seq,
        "owner": owner,
        "target": target,
        "msgid": msgid,
        "at": at,
        "source": source,
        "account": account,
        "command": command,
        "params": json.dumps(params),
        "tags": json.dumps(tags),
        "peer_owner": peer_owner,
        "peer_target": peer_target,
    }
