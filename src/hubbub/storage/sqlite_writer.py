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

Given a staging table (history's is `schema.history_staged`), the rows that
`stage_if` picks (history's private messages) go there instead, and are
moved into the table proper in one INSERT ... SELECT once `settle_rows` have
gathered, and whenever `settle()` is called (before any read of a private
history). The writer numbers every row itself, from one counter, so the
table's order is the order of the batches. A staged row costs a plain
append; its index entries are then made thousands at a time, when each
conversation's place in an index takes many rows at once instead of one per
batch: for private messages among 50 pairs, 10.3 µs of CPU per stored row
instead of 20.9 in batches of 400 (benchmarks/sqlite_rows.py). Staged rows
are as durable as any: the same transaction commits them, and a restart
finds them where they were. The count of staged rows is kept by this
writer: one writer per file, as one server process per data directory.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
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

# Staged rows that make the writer move them into the table proper, after
# the batch that brought them there. Bounds what a read may have to move
# first (tens of milliseconds' work).
SETTLE_ROWS = 10_000


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
        staged: str | None = None,
        stage_if: Callable[[tuple[Any, ...]], bool] | None = None,
        settle_rows: int = SETTLE_ROWS,
    ) -> None:
        self._path = path
        self._retry = retry or RetryPolicy()
        self._busy_timeout_ms = round(busy_timeout_seconds * 1000)
        self._columns = len(columns)
        self._staged = staged
        self._stage_if = stage_if  # None: every row is staged
        self._settle_rows = settle_rows
        self._table = table
        # Without staging, the table numbers its rows; with it, the writer
        # numbers every row, staged or not, from one counter.
        numbered = columns if staged is None else ["seq", *columns]
        self._inserts = self._insert_statements(table, numbered)
        self._staged_inserts: dict[int, str] = {}
        if staged is not None:
            self._staged_inserts = self._insert_statements(staged, numbered)
            names = ", ".join(numbered)
            self._settle_sql = (
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged}"
                " ORDER BY seq"
            )
            self._clear_sql = f"DELETE FROM {staged}"
            # The first seq of a batch: past every one the table has used (its
            # AUTOINCREMENT counter, which explicit seqs move on too) and
            # every staged one.
            self._next_seq_sql = (
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
                f" WHERE name = '{table}'), 0),"
                f" coalesce((SELECT max(seq) FROM {table}), 0),"
                f" coalesce((SELECT max(seq) FROM {staged}), 0)) + 1"
            )
        # Rows in the staging table; None until the thread has counted them.
        self._staged_rows: int | None = None if staged is not None else 0
        self._connection: sqlite3.Connection | None = None  # opened by the thread
        self.commits = 0  # transactions committed, for tests and benchmarks
        self.settled = 0  # staged rows moved into the table, for tests and benchmarks
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hubbub-history")
        self._closed = False

    @staticmethod
    def _insert_statements(table: str, columns: list[str]) -> dict[int, str]:
        """rows -> an INSERT of that many rows, for each size in CHUNKS."""
        return {
            count: dialect.insert_many_sql(dialect.SQLITE, table, columns, count)
            for count in CHUNKS
        }

    async def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert `rows` in one transaction; return once it is committed.

        Raises:
            StorageError: SQLite refused the batch (none of it is kept).
        """
        await self._in_thread("history batch not written", self._write, rows)
        self.commits += 1

    async def settle(self) -> None:
        """Move every staged row into the table proper; return once committed.

        Raises:
            StorageError: SQLite refused (the rows stay staged, nothing is lost).
        """
        if self._staged_rows == 0:
            return
        if self._closed:
            raise StorageError("history store is closed")
        await self._in_thread("staged history rows not moved", self._settle)

    async def _in_thread(
        self, failure: str, work: Callable[..., None], *args: Any
    ) -> None:
        """Run `work(*args)` in the writer's thread, riding out a busy lock;
        `failure` says what did not happen when it gives up."""
        loop = asyncio.get_running_loop()
        delay = self._retry.first_delay_seconds
        for attempt in range(1, self._retry.attempts + 1):
            try:
                await loop.run_in_executor(self._thread, work, *args)
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
                return

    def _write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        # In the writer's thread: the connection is only ever used here.
        if any(len(row) != self._columns for row in rows):
            raise sqlite3.ProgrammingError(
                f"a history row does not have {self._columns} values"
            )
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        staged = 0
        try:
            if self._staged is None:
                self._insert(connection, self._inserts, rows)
            else:
                (seq,) = connection.execute(self._next_seq_sql).fetchone()
                stage_if = self._stage_if
                to_stage: list[tuple[Any, ...]] = []
                direct: list[tuple[Any, ...]] = []
                for index, row in enumerate(rows):
                    to = to_stage if stage_if is None or stage_if(row) else direct
                    to.append((seq + index, *row))
                self._insert(connection, self._inserts, direct)
                self._insert(connection, self._staged_inserts, to_stage)
                staged = len(to_stage)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        if not staged:
            return
        self._staged_rows = (self._staged_rows or 0) + staged
        if self._staged_rows >= self._settle_rows:
            try:
                self._settle()
            except sqlite3.Error as error:  # the batch is in: settle at the next read
                logger.warning(
                    "! storage: staged history rows not moved yet: %s", error
                )

    @staticmethod
    def _insert(
        connection: sqlite3.Connection,
        inserts: dict[int, str],
        rows: Sequence[tuple[Any, ...]],
    ) -> None:
        for count, chunk in _chunks(rows):
            parameters = list(itertools.chain.from_iterable(chunk))
            connection.execute(inserts[count], parameters)

    def _settle(self) -> None:
        # In the writer's thread, like _write.
        connection = self._connect()
        if not self._staged_rows:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            moved = connection.execute(self._settle_sql).rowcount
            connection.execute(self._clear_sql)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        self._staged_rows = 0
        self.settled += moved

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None)
            for pragma in dialect.SQLITE_PRAGMAS:
                connection.execute(pragma)
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            if self._staged is not None:  # rows a previous run left staged
                (count,) = connection.execute(
                    f"SELECT count(*) FROM {self._staged}"
                ).fetchone()
                self._staged_rows = count
            self._connection = connection
        return self._connection

    async def close(self) -> None:
        """Move what is staged, close the connection and stop the thread
        (after the last write)."""
        if self._closed:
            return
        try:
            await self.settle()
        except StorageError as error:  # still staged: the next start moves it
            logger.warning("! storage: staged history rows not moved: %s", error)
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
