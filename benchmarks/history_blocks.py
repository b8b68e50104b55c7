"""What history would cost in blocks: a write-cost prototype, not hubbub's layout.

    .venv/bin/python benchmarks/history_blocks.py            # medians of 3 runs
    .venv/bin/python benchmarks/history_blocks.py --rows 20000 --runs 1

hubbub stores one SQLite row per message, with two index entries scattered
over the conversations (three for a private message), and that is most of
what history costs the server (benchmarks/RESULTS.md). This measures the
layout that could replace it, before anyone builds it: each group commit
writes one row per conversation (a *block*, both directions of a private
conversation together) holding that conversation's new messages, indexed
by the conversation and the time of its last message, with no index per
message (a msgid would carry its time, so a lookup would search the blocks
of that time). Two encodings of a block's messages:

- JSON blocks: a JSON array of each message's fields;
- line blocks: each message's wire line as delivery already rendered it
  (`:nick!user@host PRIVMSG target :text`), after its msgid and time, one
  per line of text: nothing to encode that the server has not built anyway.

All three layouts (rows, as hubbub has them, and the two kinds of block) get
the same messages (`sqlite_rows.py`'s shapes: private messages among 50
pairs, messages to one channel) in batches of the same sizes, in a fresh WAL
file with `synchronous=FULL`. The figure is the process's CPU (user +
system, all threads) per message, from the `HistoryItem`s to the COMMIT:
for rows, hubbub's own `history_tuples` and `SqliteBatchWriter` (as
`sqlite_rows.py`); for blocks, the grouping, the encoding and the INSERTs
below (the wire lines themselves are made beforehand, as the server would
have them). Reading blocks back is not measured: a query would fetch the
few blocks that overlap a request and decode them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import tempfile
from pathlib import Path

from sqlite_rows import (
    channel_items,
    cpu_seconds,
    measure,
    median_range,
    private_items,
)

from hubbub.core.ports import HistoryItem

BLOCKS_SCHEMA = (
    """CREATE TABLE history_blocks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        target TEXT NOT NULL,
        peer_owner TEXT,
        peer_target TEXT,
        first_at REAL NOT NULL,
        last_at REAL NOT NULL,
        items TEXT NOT NULL
    )""",
    "CREATE INDEX ix_blocks_owner ON history_blocks (owner, target, last_at, seq)",
    "CREATE INDEX ix_blocks_peer ON history_blocks"
    " (peer_owner, peer_target, last_at, seq) WHERE peer_owner IS NOT NULL",
)
INSERT_BLOCK = (
    "INSERT INTO history_blocks"
    " (owner, target, peer_owner, peer_target, first_at, last_at, items)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode

Conversation = tuple[str, str, str, str]  # owner, target, peer_owner, peer_target
Row = tuple[str, str, str | None, str | None, float, float, str]


def by_conversation(items: list[HistoryItem]) -> dict[Conversation, list[int]]:
    """The positions of `items` in each conversation, in order.

    Both directions of a private conversation share a block: its key names
    the two histories in a fixed order.
    """
    groups: dict[Conversation, list[int]] = {}
    for position, item in enumerate(items):
        key = (item.owner, item.target, item.peer_owner, item.peer_target)
        if item.peer_owner and (item.peer_owner, item.peer_target) < key[:2]:
            key = (item.peer_owner, item.peer_target, item.owner, item.target)
        group = groups.get(key)
        if group is None:
            groups[key] = [position]
        else:
            group.append(position)
    return groups


def block_row(key: Conversation, first_at: float, last_at: float, items: str) -> Row:
    """A `history_blocks` row."""
    owner, target, peer_owner, peer_target = key
    return (
        owner,
        target,
        peer_owner or None,
        peer_target or None,
        first_at,
        last_at,
        items,
    )


def json_block_rows(items: list[HistoryItem]) -> list[Row]:
    """One row per conversation in `items`: its messages as a JSON array."""
    rows = []
    for key, positions in by_conversation(items).items():
        group = [items[p] for p in positions]
        messages = [
            [
                *(i.msgid, i.at, i.source, i.account, i.command, i.params),
                dict(i.tags) if i.tags else None,
                i.owner == key[0],  # sent from the first history's side
            ]
            for i in group
        ]
        rows.append(block_row(key, group[0].at, group[-1].at, _encode(messages)))
    return rows


def line_block_rows(items: list[HistoryItem], lines: list[str]) -> list[Row]:
    """One row per conversation in `items`: its messages' wire lines as
    delivered, one `msgid time line` per line of text (no JSON to build)."""
    rows = []
    for key, positions in by_conversation(items).items():
        entries = [f"{items[p].msgid} {items[p].at!r} {lines[p]}" for p in positions]
        first_at, last_at = items[positions[0]].at, items[positions[-1]].at
        rows.append(block_row(key, first_at, last_at, "\n".join(entries)))
    return rows


def wire_lines(items: list[HistoryItem]) -> list[str]:
    """Each item's line as delivery renders it (`:source COMMAND target :text`):
    the server has it already when it records a message."""
    return [f":{i.source} {i.command} {i.params[0]} :{i.params[-1]}" for i in items]


def measure_blocks(
    items: list[HistoryItem], batch: int, lines: list[str] | None = None
) -> float:
    """CPU µs per message to store `items` as blocks, in batches of `batch`
    (with `lines`, blocks of those wire lines instead of JSON)."""
    with tempfile.TemporaryDirectory(prefix="hubbub-history-blocks-") as folder:
        path = Path(folder) / "blocks.db"
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            for statement in BLOCKS_SCHEMA:
                db.execute(statement)
            started = cpu_seconds()
            for start in range(0, len(items), batch):
                chunk = items[start : start + batch]
                rows = (
                    json_block_rows(chunk)
                    if lines is None
                    else line_block_rows(chunk, lines[start : start + batch])
                )
                db.execute("BEGIN IMMEDIATE")
                db.executemany(INSERT_BLOCK, rows)
                db.execute("COMMIT")
            spent = cpu_seconds() - started
            count = (
                "json_array_length(items)"
                if lines is None
                else "length(items) - length(replace(items, char(10), '')) + 1"
            )
            (stored,) = db.execute(
                f"SELECT sum({count}) FROM history_blocks"
            ).fetchone()
    assert stored == len(items), f"{stored} of {len(items)} messages stored"
    return spent / len(items) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40_000, help="messages per case")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = [
        ("private, 50 pairs", private_items(args.rows)),
        ("channel, one target", channel_items(args.rows)),
    ]
    print(
        f"CPU µs per message, rows (hubbub today) against blocks (prototype);"
        f" median of {args.runs}, {args.rows:,} messages"
    )
    for name, items in cases:
        lines = wire_lines(items)
        for batch in (40, 400, 4000):
            rows = [await measure(items, batch) for _ in range(args.runs)]
            blocks = [measure_blocks(items, batch) for _ in range(args.runs)]
            line_blocks = [
                measure_blocks(items, batch, lines) for _ in range(args.runs)
            ]
            label = f"{name}, batches of {batch}"
            print(
                f"  {label:<36} rows {median_range(rows)}"
                f"  JSON blocks {median_range(blocks)}"
                f"  line blocks {median_range(line_blocks)}"
            )


if __name__ == "__main__":
    asyncio.run(main())
