"""`SqliteWriter`: history's write transactions on SQLite, one thread hop each.

Through SQLAlchemy and aiosqlite a history transaction is a dozen trips
between the event loop and aiosqlite's thread (pool checkout, BEGIN, the
insert, COMMIT, each a queued call and a wake-up of the loop), and its fixed
cost was paid by every batch. At a few messages a second, when each batch
holds one message, that fixed cost was most of what history cost: in the
1,000-client fanout at 50 messages a second it added 0.6 µs to every one of
the 999 deliveries of a message (benchmarks/RESULTS.md).

So the history writer keeps a plain `sqlite3` connection of its own to the
file and hands each whole transaction (BEGIN, the work, COMMIT) to its one
thread in a single call. Reads, accounts and retention still go through
SQLAlchemy; SQLite's write lock orders the two connections, and the writer
waits for it in its thread (`busy_timeout`), never on the event loop.

Durability is unchanged: the same WAL and `synchronous=FULL` (`dialect.py`),
and `transaction()` returns only after the COMMIT. One writer per file, as
one server process per data directory.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from hubbub.storage import dialect
from hubbub.storage.database import RetryPolicy
from hubbub.storage.errors import StorageError

logger = logging.getLogger(__name__)

R = TypeVar("R")

# The most rows of one multi-row INSERT that `insert_rows` sends (fewer when
# SQLite takes fewer parameters). A batch of n rows goes as the binary digits
# of n, past this in chunks of it: a few statements, each compiled once and
# then taken from the connection's statement cache, cover any n.
MAX_INSERT_ROWS = 256


class SqliteWriter:
    """Runs write transactions on a SQLite file in a thread of its own."""

    def __init__(
        self,
        path: str,
        retry: RetryPolicy | None = None,
        *,
        busy_timeout_seconds: float = 5.0,  # as dialect.SQLITE_PRAGMAS
    ) -> None:
        self._path = path
        self._retry = retry or RetryPolicy()
        self._busy_timeout_ms = round(busy_timeout_seconds * 1000)
        self._connection: sqlite3.Connection | None = None  # opened by the thread
        self.commits = 0  # transactions committed, for tests and benchmarks
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hubbub-history")
        self._closed = False

    async def transaction(
        self, failure: str, work: Callable[[sqlite3.Connection], R]
    ) -> R:
        """Run `work(connection)` in one transaction in the writer's thread;
        return what it returns once committed. A busy lock is ridden out as
        `Database.transaction` does, running `work` again.

        Raises:
            StorageError: SQLite refused (nothing of the transaction is kept);
                `failure` says what did not happen.
        """
        if self._closed:
            raise StorageError("history store is closed")
        loop = asyncio.get_running_loop()
        delay = self._retry.first_delay_seconds
        for attempt in range(1, self._retry.attempts + 1):
            try:
                result = await loop.run_in_executor(self._thread, self._run, work)
            except sqlite3.OperationalError as error:
                # Busy past busy_timeout (another connection kept the write
                # lock): ride it out as Database.transaction does.
                if not _is_busy(error) or attempt == self._retry.attempts:
                    raise StorageError(f"{failure}: {error}") from error
                logger.warning("! storage: %s; retrying in %.2f s", error, delay)
                await asyncio.sleep(delay)
                delay *= 2
            except sqlite3.Error as error:
                raise StorageError(f"{failure}: {error}") from error
            else:
                self.commits += 1
                return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _run(self, work: Callable[[sqlite3.Connection], R]) -> R:
        # In the writer's thread: the connection is only ever used here.
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return result

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


def insert_rows(
    connection: sqlite3.Connection,
    table: str,
    columns: list[str],
    rows: Sequence[tuple[object, ...]],
) -> None:
    """Insert `rows` (tuples of `columns`) with a few multi-row INSERTs.

    `executemany` runs one statement per row, and sqlite3 lets go of the
    interpreter lock around each: under load the event loop's thread holds
    it, so every row of a batch waited to get it back, and the two threads
    handed it to and fro (with a context switch each way) some fifty times a
    batch (benchmarks/RESULTS.md). One statement of many rows takes the lock
    back once.
    """
    limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    largest = MAX_INSERT_ROWS
    while largest > 1 and largest * len(columns) > limit:
        largest //= 2
    start = 0
    while start < len(rows):
        left = len(rows) - start
        size = largest if left >= largest else 1 << (left.bit_length() - 1)
        connection.execute(
            _insert_sql(table, tuple(columns), size),
            [value for row in rows[start : start + size] for value in row],
        )
        start += size


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    return dialect.insert_many_sql(dialect.SQLITE, table, list(columns), rows)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)
