"""The database handle: an async engine, and transactions that ride out outages.

Every statement hubbub sends goes through `Database.transaction`, so retrying
with backoff, and giving up with `StorageError`, happens in this one place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Executable

from hubbub.storage import dialect
from hubbub.storage.errors import StorageError
from hubbub.storage.failures import TRANSIENT, describe, unreachable, worth_retrying

logger = logging.getLogger(__name__)

T = TypeVar("T")

_NO_FILE = (None, "", ":memory:")  # SQLite URLs of an in-memory database

# How long a running server's statement may wait for PostgreSQL's answer.
STATEMENT_TIMEOUT_SECONDS = 10.0

# PostgreSQL's advisory lock for `Database.transaction(write_lock=True)`: one
# number for the whole database ("hubbub" in ASCII, and 1).
WRITE_LOCK_KEY = 0x6875_6262_7562_0001
_ADVISORY_LOCK = text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to ride out an outage before telling the caller."""

    attempts: int = 4
    first_delay_seconds: float = 0.1  # doubled after each failure: 0.1, 0.2, 0.4
    # Once retries are spent (an outage), transactions fail at once for this
    # long; then one is tried, once, and either ends the outage or starts
    # the wait again (`Database.transaction`).
    outage_retry_seconds: float = 2.0
    # After a statement's timeout: how long a new connection may take to
    # answer `SELECT 1` (each of connecting and the query) before the
    # database counts as not answering (`Database._answers`).
    probe_seconds: float = 2.0


class UnreachableError(StorageError):
    """The database could not be reached (refused, lost, restarting, not
    answering) for as long as the retries lasted."""


class Database:
    """An async engine for SQLite or PostgreSQL, and retried transactions."""

    def __init__(
        self,
        engine: AsyncEngine,
        retry: RetryPolicy | None = None,
        statement_timeout: float | None = None,
    ) -> None:
        self.engine = engine
        self.statement_timeout = statement_timeout
        self.dialect = engine.dialect.name  # dialect.SQLITE or dialect.POSTGRESQL
        self.retry = retry or RetryPolicy()
        # An outage (`transaction`): when it began (loop time, None when
        # there is none), what failed, and when the next try may be.
        self._outage_since: float | None = None
        self._outage_error = ""
        self._next_try = 0.0
        self._probe: asyncio.Task[bool] | None = None  # `_answers`, in flight
        # The same pool, for `transaction(write_lock=True)`: SQLite's
        # transactions begin holding the write lock; PostgreSQL's read what
        # was committed before each statement, whatever the database's default
        # isolation (under REPEATABLE READ, the lock's own statement would fix
        # the snapshot before the lock was granted).
        if self.dialect == dialect.POSTGRESQL:
            self._locking_engine = engine.execution_options(
                isolation_level="READ COMMITTED"
            )
        else:
            self._locking_engine = engine.execution_options(
                **{dialect.SQLITE_WRITE_LOCK: True}
            )

    @property
    def sqlite_file(self) -> str | None:
        """The file of a SQLite database (None for PostgreSQL or `:memory:`)."""
        url = self.engine.url
        if self.dialect != dialect.SQLITE or url.database in _NO_FILE:
            return None
        if "uri" in url.query:  # sqlite:///file:...?uri=true: SQLAlchemy's only
            return None
        return url.database

    @property
    def where(self) -> str:
        """The database, for messages: its file, or its URL without the password."""
        url = self.engine.url  # without the driver SQLAlchemy is told to use
        url = url.set(drivername=url.get_backend_name())
        return self.sqlite_file or url.render_as_string(hide_password=True)

    async def transaction(
        self,
        work: Callable[[AsyncConnection], Awaitable[T]],
        *,
        write_lock: bool = False,
    ) -> T:
        """Run `work` in one transaction, committed when it returns.

        A lost connection, a refused one, an exhausted pool or a busy SQLite
        file is retried with backoff (the whole transaction, so `work` must be
        safe to run again, even after a COMMIT that went through but whose
        answer was lost with the connection). A database that is broken (a
        file that is not SQLite's, say, or PostgreSQL's "permission denied"),
        or a statement without an answer in `statement_timeout`, is not
        retried, and raises `StorageError` too (an `UnreachableError`, which
        opens the outage breaker, only when a new connection gets no answer
        either: `_timed_out`). Only a constraint violated (`IntegrityError`,
        which callers answer) is raised as it is.
        `write_lock`: transactions that ask for it run one at a time, each
        seeing what the one before committed, as a transaction that reads
        what it then rewrites must (history's deletions). SQLite: the write
        lock is taken before `work` starts (`dialect.SQLITE_WRITE_LOCK`;
        taken at its first write, a concurrent writer would refuse it
        without waiting). PostgreSQL: a transaction-level advisory lock
        (`WRITE_LOCK_KEY`), whose statements then see everything committed
        before it was granted.

        Raises:
            StorageError: the database stayed unavailable.
        """
        if asyncio.current_task() is None:
            # The transport runs command handlers inline, outside any Task, and
            # SQLAlchemy's timeouts need one: give the transaction its own.
            return await asyncio.ensure_future(self._guarded(work, write_lock))
        return await self._guarded(work, write_lock)

    async def _guarded(
        self, work: Callable[[AsyncConnection], Awaitable[T]], write_lock: bool
    ) -> T:
        """`_transaction`, through an outage breaker: once a transaction has
        spent its retries, the next ones fail at once (an echoed message, a
        REGISTER, is answered at once instead of after the whole backoff,
        and the log gets one line, not three per command), but one every
        `outage_retry_seconds` is tried, once: the first that passes ends the
        outage."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        since = self._outage_since
        if since is not None:
            if now < self._next_try:
                raise UnreachableError(
                    f"database unavailable for {now - since:.0f} s: "
                    f"{self._outage_error}"
                )
            # This one is the try: the others fail at once meanwhile.
            self._next_try = now + self.retry.outage_retry_seconds
        try:
            result = await self._transaction(
                work, write_lock, attempts=1 if since is not None else None
            )
        except UnreachableError as error:
            # As things stand now: transactions under way when the outage
            # began fail one after another; the first says so.
            if self._outage_since is None:
                logger.error(
                    "! storage: %s; failing at once, trying again every %g s",
                    error,
                    self.retry.outage_retry_seconds,
                )
                self._outage_since = loop.time()
            self._outage_error = str(error)
            self._next_try = loop.time() + self.retry.outage_retry_seconds
            raise
        began = self._outage_since
        if began is not None:
            logger.warning(
                "= storage: the database answers again, after %.0f s",
                loop.time() - began,
            )
            self._outage_since = None
        return result

    async def _transaction(
        self,
        work: Callable[[AsyncConnection], Awaitable[T]],
        write_lock: bool,
        attempts: int | None = None,
    ) -> T:
        engine = self._locking_engine if write_lock else self.engine
        advisory_lock = write_lock and self.dialect == dialect.POSTGRESQL
        delay = self.retry.first_delay_seconds
        attempts = attempts or self.retry.attempts
        for attempt in range(1, attempts + 1):
            connected = False
            try:
                async with engine.begin() as connection:
                    connected = True
                    if advisory_lock:
                        await connection.execute(_ADVISORY_LOCK)
                    return await work(connection)
            except TimeoutError as error:
                # No answer in time (`statement_timeout`, or connecting):
                # waiting again would only hold the caller as long again.
                raise await self._timed_out(connected) from error
            except PoolTimeoutError as error:
                # Every pooled connection stayed busy for `pool_timeout`: held
                # by statements the database does not answer.
                raise UnreachableError(
                    f"no database connection free in time: {describe(error)}"
                ) from error
            except TRANSIENT as error:
                if not worth_retrying(error):
                    raise StorageError(f"database error: {describe(error)}") from error
                failure: Exception = error
            except IntegrityError:
                raise  # a constraint: the caller answers it (a name taken)
            except DBAPIError as error:
                if not (error.connection_invalidated or worth_retrying(error)):
                    raise StorageError(f"database error: {describe(error)}") from error
                failure = error
            if attempt == attempts:
                # Unreachable (not merely busy: SQLite's lock held by another
                # writer is no outage) is what the breaker is for.
                kind = UnreachableError if unreachable(failure) else StorageError
                raise kind(
                    f"database unavailable after {attempt} attempts: "
                    f"{describe(failure)}"
                ) from failure
            logger.warning(
                "! storage: %s; retrying in %.2f s", describe(failure), delay
            )
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _timed_out(self, connected: bool) -> StorageError:
        """The error for a statement, or a connection attempt (not
        `connected`), without an answer in time. A server that answers a
        new connection at once is up: the statement waited for a lock, or
        was too heavy, and fails alone. One that does not (or that let a
        connection attempt time out) is frozen, or cut off without a reset:
        an outage, for the breaker (`_guarded`)."""
        if not connected:
            bound = dialect.CONNECT_TIMEOUT_SECONDS
        else:
            bound = self.statement_timeout or dialect.CONNECT_TIMEOUT_SECONDS
            if await self._answers():
                return StorageError(
                    f"no answer in {bound:g} s from a database that answers: "
                    "a statement waiting for a lock, or too slow"
                )
        return UnreachableError(f"database did not answer in time ({bound:g} s)")

    async def _answers(self) -> bool:
        """Whether the database answers `SELECT 1` on a new connection of
        its own (not the pool's: every pooled one may be held by a slow
        statement) within `retry.probe_seconds`. Transactions that time out
        together share one probe."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._probe_once())
        probe = self._probe
        try:
            return await asyncio.shield(probe)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if probe.cancelled() and task is not None and not task.cancelling():
                # `close` stopped the probe, not this transaction's caller.
                return False
            raise

    async def _probe_once(self) -> bool:
        seconds = self.retry.probe_seconds
        url = self.engine.url
        args = dialect.connect_args(url, None, seconds, connect_timeout=seconds)
        probe = create_async_engine(url, poolclass=NullPool, connect_args=args)
        try:
            # The driver bounds connecting and the query; this bounds what
            # follows a failure too (a rollback, a goodbye unanswered).
            async with asyncio.timeout(3 * seconds):
                async with probe.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except (TimeoutError, OSError, DBAPIError):
            return False
        finally:
            await probe.dispose()
        return True

    def upsert(
        self, table: Table, values: dict[str, Any], key: list[str]
    ) -> Executable:
        """INSERT `values`, or UPDATE the row of `table` with the same `key`."""
        return dialect.upsert(self.dialect, table, values, key)

    async def close(self) -> None:
        """Close every pooled connection (and stop a probe still waiting)."""
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            await asyncio.wait([self._probe])
        await self.engine.dispose()


def open_database(
    url: str,
    *,
    schema: str | None = None,
    retry: RetryPolicy | None = None,
    statement_timeout: float | None = None,
) -> Database:
    """A `Database` for a `sqlite:///...` or `postgresql://...` URL.

    Connects lazily. For SQLite, creates the file's directory. `schema` keeps the
    tables in that PostgreSQL schema (the tests use one schema per test).
    `statement_timeout`: on PostgreSQL, the seconds a statement may wait for
    an answer before its transaction fails (`STATEMENT_TIMEOUT_SECONDS` for
    a running server; None, no bound, for migrations).
    Raises ValueError for another kind of URL, or when its driver is missing.
    """
    engine_url = dialect.async_url(url)
    database = engine_url.database
    if (
        engine_url.get_backend_name() == dialect.SQLITE
        and database not in _NO_FILE
        and "uri" not in engine_url.query  # file:...?uri=true: SQLite's to parse
    ):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    try:
        # A statement's bound is also the longest wait for a pooled
        # connection (SQLAlchemy's own default is 30 s).
        pool = {"pool_timeout": statement_timeout} if statement_timeout else {}
        engine = create_async_engine(
            engine_url,
            **pool,
            connect_args=dialect.connect_args(engine_url, schema, statement_timeout),
            # Statements' parameters (password hashes, e-mail addresses)
            # stay out of error messages, and so out of the log.
            hide_parameters=True,
        )
    except ModuleNotFoundError as error:  # asyncpg is the `postgres` extra
        raise ValueError(
            f"{error.name} is not installed (pip install 'hubbub[postgres]')"
        ) from error
    dialect.configure(engine)
    return Database(engine, retry, statement_timeout)
