"""`open_storage(url)`: the stores for a storage URL, migrated and ready.

memory                        nothing kept (tests, `--storage memory`)
sqlite:///relative/path.db    SQLite, through aiosqlite
sqlite:////absolute/path.db
postgresql://user@host/db     PostgreSQL, through asyncpg (the `postgres` extra)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from hubbub.core.ports import AccountStore, HistoryStore
from hubbub.storage import dialect
from hubbub.storage.database import (
    STATEMENT_TIMEOUT_SECONDS,
    Database,
    RetryPolicy,
    UnreachableError,
    open_database,
)
from hubbub.storage.errors import StorageError
from hubbub.storage.memory import MemoryAccountStore, MemoryHistoryStore
from hubbub.storage.migrate import upgrade
from hubbub.storage.sql import SqlAccountStore, SqlHistoryStore

MEMORY = "memory"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Storage:
    """The stores the core needs, and the database behind them."""

    accounts: AccountStore
    history: HistoryStore
    database: Database | None = None  # None for the in-memory stores

    async def close(self) -> None:
        """Commit pending history, then close the database (for a clean shutdown)."""
        await self.accounts.close()
        await self.history.close()
        if self.database is not None:
            await self.database.close()


async def open_storage(
    url: str,
    *,
    statement_timeout: float | None = STATEMENT_TIMEOUT_SECONDS,
    wait_seconds: float = 0.0,
) -> Storage:
    """The stores for `url`; a database is first migrated to the newest schema.

    `statement_timeout` bounds each of the stores' statements on PostgreSQL
    (`open_database`); the migration runs without it, over a connection of
    its own: a schema change on a big database may rightly take longer.
    `wait_seconds`: how long to keep trying a PostgreSQL server that cannot
    be reached yet (started at the same time as hubbub, say), saying so
    once; any other failure ends at once.

    Raises:
        ValueError: `url` is not one of the forms above.
        StorageError: the database stayed unreachable.
    """
    if url == MEMORY:
        return Storage(MemoryAccountStore(), MemoryHistoryStore())
    database = open_database(url, statement_timeout=statement_timeout)
    if database.dialect == dialect.POSTGRESQL and statement_timeout is not None:
        try:
            await _migrate(url, wait_seconds)
        except BaseException:
            await database.close()
            raise
    return await open_sql_storage(database)  # migrated: only checks it is


async def _migrate(url: str, wait_seconds: float) -> None:
    # One database for every try: once unreachable, its outage breaker tries
    # again once a second (failing at once in between), and says when it
    # answers. Any other failure ends start-up at once.
    database = open_database(url, retry=RetryPolicy(outage_retry_seconds=1.0))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    said = False
    try:
        while True:
            try:
                await upgrade(database)
                return
            except UnreachableError as error:
                if loop.time() >= deadline:
                    raise StorageError(f"{database.where}: {error}") from error
            except StorageError as error:
                raise StorageError(f"{database.where}: {error}") from error
            if not said:
                logger.warning(
                    "! storage: waiting up to %g s for %s", wait_seconds, database.where
                )
                said = True
            await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))
    finally:
        await database.close()


async def open_sql_storage(database: Database) -> Storage:
    """The SQL stores over `database`, after migrating it to the newest schema.

    On failure the database is closed before the error propagates; a
    `StorageError` then names the database.
    """
    try:
        await upgrade(database)
    except StorageError as error:
        await database.close()
        raise StorageError(f"{database.where}: {error}") from error
    except BaseException:
        await database.close()
        raise
    return Storage(SqlAccountStore(database), SqlHistoryStore(database), database)
