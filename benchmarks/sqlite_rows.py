"""What a history row costs in SQLite, outside the server: hubbub's own writer.

    .venv/bin/python benchmarks/sqlite_rows.py            # medians of 3 runs
    .venv/bin/python benchmarks/sqlite_rows.py --rows 20000 --runs 1

Each case migrates a fresh SQLite file to hubbub's schema (the `history`
table, its AUTOINCREMENT key and its three indexes), builds the rows the
server would store (`rows.history_tuples`) and hands them to the
`SqliteBatchWriter` the server uses, in batches of a given size, then has it
move what it staged (private messages go to `history_staged` first and into
`history` in bulk: sqlite_writer.py). It prints the process's CPU (user +
system, all threads: the writer's included) per row, which is what history
adds to the server's CPU once the row exists.

The cases are the shapes of the benchmark's scenarios: private messages
among 50 pairs (one row in two histories, so all three indexes, scattered
over 100 conversations), and messages to one channel (two indexes, one
target). `--no-indexes` also measures the bare table, to show how much of a
row's cost is its index entries, and `--each-index` the table without each
one of them in turn (private messages, batches of 400), to show which entry
costs what.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import sqlite3
import statistics
import tempfile
from pathlib import Path

from hubbub.core.ports import HistoryItem
from hubbub.storage import rows
from hubbub.storage.open import open_storage
from hubbub.storage.sql import SqlHistoryStore

T0 = 1_800_000_000.0
TEXT = "x" * 100


def private_items(count: int, pairs: int = 50) -> list[HistoryItem]:
    """Private messages back and forth within `pairs` pairs of users."""
    items = []
    for n in range(count):
        pair, back = divmod(n % (2 * pairs), 2)
        sender, recipient = (f"a{pair}", f"b{pair}")[:: -1 if back else 1]
        items.append(
            HistoryItem(
                owner=f"n:{sender}",
                target=recipient,
                msgid=f"bench{n:x}",
                at=T0 + n / 1000,
                source=f"{sender}!{sender}@127.0.0.1",
                account=None,
                command="PRIVMSG",
                params=(recipient, TEXT),
                peer_owner=f"n:{recipient}",
                peer_target=sender,
            )
        )
    return items


def channel_items(count: int) -> list[HistoryItem]:
    """Messages from 10 senders to one channel."""
    return [
        HistoryItem(
            owner="",
            target="#bench",
            msgid=f"bench{n:x}",
            at=T0 + n / 1000,
            source=f"s{n % 10}!s@127.0.0.1",
            account=None,
            command="PRIVMSG",
            params=("#bench", TEXT),
        )
        for n in range(count)
    ]


def cpu_seconds() -> float:
    """User + system CPU of this process, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


ALL_INDEXES = ("",)  # a prefix of every index name: drop them all
MSGID_INDEX = "ix_history_msgid"  # (msgid, owner, target)
OWNER_INDEX = "ix_history_owner"  # (owner, target, at, seq)
PEER_INDEX = "ix_history_peer_owner"  # (peer_owner, peer_target, at, seq), partial


async def measure(
    items: list[HistoryItem], batch: int, drop: tuple[str, ...] = ()
) -> float:
    """CPU µs per row to store `items` in batches of `batch` in a fresh file.

    `drop`: the history indexes whose names start with one of these go first.
    """
    with tempfile.TemporaryDirectory(prefix="hubbub-sqlite-rows-") as folder:
        path = Path(folder) / "hubbub.db"
        storage = await open_storage(f"sqlite:///{path}")
        history = storage.history
        assert isinstance(history, SqlHistoryStore)
        writer = history.sqlite_writer
        assert writer is not None  # a SQLite file: the server's own writer
        if drop:  # before the writer's first batch prepares its INSERTs
            with contextlib.closing(sqlite3.connect(path)) as connection:
                found = connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index'"
                    " AND tbl_name = 'history' AND sql IS NOT NULL"
                ).fetchall()
                dropped = [name for (name,) in found if name.startswith(drop)]
                assert dropped, f"no history index starts with any of {drop}"
                for index in dropped:
                    connection.execute(f'DROP INDEX "{index}"')
        started = cpu_seconds()
        for start in range(0, len(items), batch):
            await writer.write(rows.history_tuples(items[start : start + batch]))
        await writer.settle()  # the staged rows' move into `history` counts too
        spent = cpu_seconds() - started
        await storage.close()
    return spent / len(items) * 1e6


def median_range(figures: list[float]) -> str:
    """`median  (low-high)` of the figures."""
    ordered = sorted(figures)
    return f"{statistics.median(ordered):6.1f}  ({ordered[0]:.1f}-{ordered[-1]:.1f})"


async def median_line(
    label: str,
    runs: int,
    items: list[HistoryItem],
    batch: int,
    drop: tuple[str, ...] = (),
) -> None:
    """Print the median (and range) of `runs` measurements of `measure`."""
    figures = [await measure(items, batch, drop) for _ in range(runs)]
    print(f"  {label:<62} {median_range(figures)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-indexes", action="store_true", help="also the bare table")
    parser.add_argument(
        "--each-index",
        action="store_true",
        help="also private messages without each index in turn (batches of 400)",
    )
    args = parser.parse_args()
    private = private_items(args.rows)
    cases = [
        ("private, 50 pairs", private, (40, 400, 1000, 4000)),
        ("channel, one target", channel_items(args.rows), (40, 400, 4000)),
    ]
    print(f"CPU µs per history row (median of {args.runs}; {args.rows:,} rows)")
    for name, items, batches in cases:
        for drop in ((), ALL_INDEXES) if args.no_indexes else ((),):
            for batch in batches:
                label = f"{name}, batches of {batch}" + (", no indexes" if drop else "")
                await median_line(label, args.runs, items, batch, drop)
    if args.each_index:
        for without, drop in (
            ("the msgid index", (MSGID_INDEX,)),
            ("the owner index", (OWNER_INDEX,)),
            ("the peer index", (PEER_INDEX,)),
        ):
            label = f"private, 50 pairs, batches of 400, without {without}"
            await median_line(label, args.runs, private, 400, drop)


if __name__ == "__main__":
    asyncio.run(main())
