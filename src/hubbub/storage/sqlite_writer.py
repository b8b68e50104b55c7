"""`SqliteBatchWriter`: history batches into a SQLite file, one thread hop each.

Through SQLAlchemy and aiosqlite a history transaction is a dozen trips
between the event loop and aiosqlite's thread (pool checkout, BEGIN, the
insert, COMMIT, each a queued call and a wake-up of the loop), and its fixed
cost was paid by every batch. At a few messages a second, when each batch
holds one message, that fixed cost was most of what history cost: in the
1,000-client fanout at 50 messages a second it added 0.6 µs to every one of
the 999 deliveries of a message (benchmarks/RESULTS.md).

So the history writer keeps a plain `sqlite3` connection of its own to the
file and hands each whole batch (BEGIN, executemany, COMMIT) to its one
thread in a single call. Reads, accounts and retention still go through
SQLAlchemy; SQLite's write lock orders the two connections, and the writer
waits for it in its thread (`busy_timeout`), never on the event loop.

Each batch goes in as a few multi-row INSERTs (`CHUNKS` rows at a time),
not an `executemany`: sqlite3 lets go of the GIL around every step of a
statement and takes it back after, so `executemany` handed the GIL between
this thread and the event loop twice for every row, and each handoff is a
pair of context switches that both threads pay for. A multi-row INSERT binds
all its parameters in one go and steps once: a handoff per chunk. Measured on
private-message ping-pong with history (benchmarks/RESULTS.md).

Durability is unchanged: the same WAL and `synchronous=FULL` (`dialect.py`),
and `write()` returns only after the COMMIT.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hubbub.storage import dialect
from hubbub.storage.database import RetryPolicy
from hubbub.storage.errors import StorageError

logger = logging.getLogger(__name__)

# Rows per INSERT, largest first: a batch is cut into as many of each as fit,
# so that only these few statements are ever prepared (sqlite3 caches them).
# 256 rows of a dozen columns stay far below SQLite's 32,766 parameters.
CHUNKS = (256, 64, 16, 4, 1)


class SqliteBatchWriter:
    """Inserts batches of rows into a SQLite file, one transaction per batch."""

    def __init__(
        self,
        path: str,
        table: str,
        columns: list[str],
        retry: RetryPolicy | None = None,
        *,
        busy_timeout_seconds: float = 5.0,  # as dialect.SQLITE_PRAGMAS
    ) -> None:
        self._path = path
        self._retry = retry or RetryPolicy()
        self._busy_timeout_ms = round(busy_timeout_seconds * 1000)
        self._columns = len(columns)
        self._inserts = {  # rows -> an INSERT of that many rows
            count: dialect.insert_many_sql(dialect.SQLITE, table, columns, count)
            for count in CHUNKS
        }
        self._connection: sqlite3.Connection | None = None  # opened by the thread
        self.commits = 0  # transactions committed, for tests and benchmarks
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hubbub-history")
        self._closed = False

    async def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert `rows` in one transaction; return once it is committed.

        Raises:
            StorageError: SQLite refused the batch (none of it is kept).
        """
        loop = asyncio.get_running_loop()
        delay = self._retry.first_delay_seconds
        for attempt in range(1, self._retry.attempts + 1):
            try:
                await loop.run_in_executor(self._thread, self._write, rows)
            except sqlite3.OperationalError as error:
                # Busy past busy_timeout (another connection kept the write
                # lock): ride it out as Database.transaction does.
                if not _is_busy(error) or attempt == self._retry.attempts:
                    raise StorageError(f"history batch not written: {error}") from error
                logger.warning("! storage: %s; retrying in %.2f s", error, delay)
                await asyncio.sleep(delay)
                delay *= 2
            except sqlite3.Error as error:
                raise StorageError(f"history batch not written: {error}") from error
            else:
                self.commits += 1
                return

    def _write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        # In the writer's thread: the connection is only ever used here.
        if any(len(row) != self._columns for row in rows):
            raise sqlite3.ProgrammingError(
                f"a history row does not have {self._columns} values"
            )
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            for count, chunk in _chunks(rows):
                parameters = list(itertools.chain.from_iterable(chunk))
                connection.execute(self._inserts[count], parameters)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None)
            for pragma in dialect.SQLITE_PRAGMAS:
                connection.execute(pragma)
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            self._connection = connection
        return self._connection

    async def close(self) -> None:
        """Close the connection and stop the thread (after the last write)."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=True)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _chunks(
    rows: Sequence[tuple[Any, ...]],
) -> Iterator[tuple[int, Sequence[tuple[Any, ...]]]]:
    """(size, rows) pieces of `rows`, in order, each size one of `CHUNKS`."""
    start = 0
    for count in CHUNKS:
        while len(rows) - start >= count:
            yield count, rows[start : start + count]
            start += count


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)
