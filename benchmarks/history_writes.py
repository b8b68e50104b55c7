"""What storing a message in history costs, outside the server: hubbub's own store.

    .venv/bin/python benchmarks/history_writes.py            # medians of 3 runs
    .venv/bin/python benchmarks/history_writes.py --messages 20000 --runs 1
    .venv/bin/python benchmarks/history_writes.py --batches 250,1000,2000
    .venv/bin/python benchmarks/history_writes.py --postgres postgresql://...

Each case migrates a fresh SQLite file (or an emptied PostgreSQL schema) to
hubbub's schema and hands the items the server would record to the history
store's own batch write (`SqlHistoryStore._write_batch`, what each group
commit runs), in batches of a given size. It prints the process's CPU (user
+ system, all threads: the SQLite writer's included) per message: what
history adds to the server's CPU once the item exists. (For PostgreSQL,
whose work is in its own processes, the figure is only the client's share.)

The cases are the shapes of the benchmark's scenarios: private messages
among 50 pairs (one block per conversation, read by both parties), and
messages to one channel from 10 senders, each with a body of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core.msgids import msgid
from hubbub.core.ports import HistoryItem
from hubbub.storage.database import open_database
from hubbub.storage.open import open_sql_storage
from hubbub.storage.sql import SqlHistoryStore

T0 = 1_800_000_000.0


def body(n: int) -> str:
    """A 100-character body of its own for message `n`, as the server sees
    (`hubbub bench` puts a sequence number and a time in each): the same
    string every time would make a block smaller than real traffic's (a
    format-1 block pickled it once and referred to it after)."""
    return f"{n:010d} " + "x" * 89


def private_items(count: int, pairs: int = 50) -> list[HistoryItem]:
    """Private messages back and forth within `pairs` pairs of users.

    Each user's names are one string object each, as the server's are (a
    user's mask, key and history owner are kept on the user), so the dict
    lookups see what they see in the server."""
    names = {}
    for pair in range(pairs):
        for nick in (f"a{pair}", f"b{pair}"):
            names[nick] = (f"n:{nick}", nick, f"{nick}!{nick}@127.0.0.1")
    items = []
    for n in range(count):
        pair, back = divmod(n % (2 * pairs), 2)
        sender, recipient = (f"a{pair}", f"b{pair}")[:: -1 if back else 1]
        sender_owner, sender_key, sender_mask = names[sender]
        recipient_owner, recipient_key, _ = names[recipient]
        items.append(
            HistoryItem(
                owner=sender_owner,
                target=recipient_key,
                msgid=msgid(T0 + n / 1000, "be0c4000", n),
                at=T0 + n / 1000,
                source=sender_mask,
                account=None,
                command="PRIVMSG",
                params=(recipient_key, body(n)),
                peer_owner=recipient_owner,
                peer_target=sender_key,
            )
        )
    return items


def channel_items(count: int) -> list[HistoryItem]:
    """Messages from 10 senders to one channel."""
    sources = [f"s{sender}!s@127.0.0.1" for sender in range(10)]
    return [
        HistoryItem(
            owner="",
            target="#bench",
            msgid=msgid(T0 + n / 1000, "be0c4000", n),
            at=T0 + n / 1000,
            source=sources[n % 10],
            account=None,
            command="PRIVMSG",
            params=("#bench", body(n)),
        )
        for n in range(count)
    ]


def cpu_seconds() -> float:
    """User + system CPU of this process, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(items: list[HistoryItem], batch: int, postgres: str | None) -> float:
    """CPU µs per message to store `items` in batches of `batch`, in a fresh
    SQLite file (or a fresh schema of the PostgreSQL database `postgres`)."""
    with tempfile.TemporaryDirectory(prefix="hubbub-history-writes-") as folder:
        schema = None
        if postgres is None:
            database = open_database(f"sqlite:///{Path(folder) / 'hubbub.db'}")
        else:
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            await _admin(postgres, f"CREATE SCHEMA {schema}")
            database = open_database(postgres, schema=schema)
        storage = await open_sql_storage(database)
        history = storage.history
        assert isinstance(history, SqlHistoryStore)
        started = cpu_seconds()
        for start in range(0, len(items), batch):
            await history._write_batch(items[start : start + batch])
        spent = cpu_seconds() - started
        stored = await history.select(
            items[-1].owner,
            items[-1].target,
            after=None,
            before=None,
            limit=1,
            newest_first=True,
        )
        assert [item.msgid for item in stored] == [items[-1].msgid]
        await storage.close()
        if schema is not None:
            assert postgres is not None
            await _admin(postgres, f"DROP SCHEMA {schema} CASCADE")
    return spent / len(items) * 1e6


async def _admin(url: str, statement: str) -> None:
    database = open_database(url)

    async def run(connection: AsyncConnection) -> None:
        await connection.execute(text(statement))

    try:
        await database.transaction(run)
    finally:
        await database.close()


def median_range(figures: list[float]) -> str:
    """`median  (low-high)` of the figures."""
    ordered = sorted(figures)
    return f"{statistics.median(ordered):6.1f}  ({ordered[0]:.1f}-{ordered[-1]:.1f})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL: measure it, not SQLite")
    parser.add_argument(
        "--batches",
        default="40,400,4000",
        help="comma-separated batch sizes (default 40,400,4000)",
    )
    args = parser.parse_args()
    cases = [
        ("private, 50 pairs", private_items(args.messages)),
        ("channel, one target", channel_items(args.messages)),
    ]
    where = "PostgreSQL (client side only)" if args.postgres else "SQLite"
    print(
        f"CPU µs per message stored, {where}"
        f" (median of {args.runs}; {args.messages:,} messages)"
    )
    for name, items in cases:
        for batch in [int(size) for size in args.batches.split(",")]:
            figures = [
                await measure(items, batch, args.postgres) for _ in range(args.runs)
            ]
            print(f"  {name + f', batches of {batch}':<40} {median_range(figures)}")


if __name__ == "__main__":
    asyncio.run(main())
