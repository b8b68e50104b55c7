"""Fixtures: every store implementation, on a fresh database per test.

Memory and SQLite always run; PostgreSQL runs when HUBBUB_TEST_POSTGRES_URL
names a database (e.g. postgresql://postgres@127.0.0.1:5432/hubbub_test), each
test in a schema of its own, dropped afterwards. The contract tests' stores
start from a database migrated once per session (a copied SQLite file, an
emptied PostgreSQL schema): migrating for each test would take most of the time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.storage import dialect
from hubbub.storage.database import Database, RetryPolicy, open_database
from hubbub.storage.memory import MemoryAccountStore, MemoryHistoryStore
from hubbub.storage.migrate import upgrade
from hubbub.storage.open import Storage
from hubbub.storage.schema import counters, metadata
from hubbub.storage.sql import SqlAccountStore, SqlHistoryStore
from tests.storage.pg_relay import Relay

POSTGRES_URL = os.environ.get("HUBBUB_TEST_POSTGRES_URL")

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="set HUBBUB_TEST_POSTGRES_URL to test PostgreSQL"
)
SQL_KINDS = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]
ALL_KINDS = ["memory", *SQL_KINDS]

# Fail fast in tests: one short retry, never the production backoff.
QUICK_RETRY = RetryPolicy(attempts=2, first_delay_seconds=0.01)


@asynccontextmanager
async def fresh_database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty SQLite file, or an empty PostgreSQL schema, closed (dropped) after."""
    if kind == "sqlite":
        database = open_database(
            f"sqlite:///{tmp_path / 'hubbub.db'}", retry=QUICK_RETRY
        )
        try:
            yield database
        finally:
            await database.close()
        return
    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:16]}"
    await run_as_admin(f"CREATE SCHEMA {schema}")
    database = open_database(POSTGRES_URL, schema=schema, retry=QUICK_RETRY)
    try:
        yield database
    finally:
        await database.close()
        await run_as_admin(f"DROP SCHEMA {schema} CASCADE")


async def run_as_admin(statement: str) -> None:
    """Run `statement` on the PostgreSQL database itself, outside any test schema."""
    assert POSTGRES_URL is not None
    admin = open_database(POSTGRES_URL)

    async def run(connection: AsyncConnection) -> None:
        await connection.execute(text(statement))

    try:
        await admin.transaction(run)
    finally:
        await admin.close()


@pytest.fixture(params=SQL_KINDS)
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database]:
    """An empty database of each SQL kind."""
    async with fresh_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "hubbub.db"
    asyncio.run(_migrate(open_database(f"sqlite:///{path}")))
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL schema migrated to the head once; each test empties it."""
    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:16]}"
    asyncio.run(run_as_admin(f"CREATE SCHEMA {schema}"))
    asyncio.run(_migrate(open_database(POSTGRES_URL, schema=schema)))
    yield schema
    asyncio.run(run_as_admin(f"DROP SCHEMA {schema} CASCADE"))


async def _migrate(database: Database) -> None:
    try:
        await upgrade(database)
    finally:
        await database.close()


@dataclass(frozen=True)
class DatabaseAtHead:
    """Where a test's database at the head is: a URL, and a PostgreSQL schema."""

    url: str
    schema: str | None = None

    async def open_empty(self) -> Database:
        """Open it, emptied of what earlier tests stored."""
        database = open_database(self.url, schema=self.schema, retry=QUICK_RETRY)
        if self.schema is not None:
            tables = ", ".join(
                table.name for table in metadata.sorted_tables if table is not counters
            )

            async def empty(connection: AsyncConnection) -> None:
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
                # Its rows are the migration's: set them back, as it left them.
                await connection.execute(counters.update().values(value=0))

            await database.transaction(empty)
        return database


@pytest.fixture(params=ALL_KINDS)
def at_head(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseAtHead | None:
    """A database of each SQL kind at the head (None for the memory stores).

    A sync fixture: the session fixtures it asks for run their own event loop.
    """
    if request.param == "sqlite":
        path = tmp_path / "hubbub.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return DatabaseAtHead(f"sqlite:///{path}")
    if request.param == "postgresql":
        assert POSTGRES_URL is not None
        return DatabaseAtHead(POSTGRES_URL, request.getfixturevalue("postgres_schema"))
    return None


@pytest.fixture
async def storage(at_head: DatabaseAtHead | None) -> AsyncIterator[Storage]:
    """The stores of each kind, the SQL ones on an empty database at the head."""
    if at_head is None:
        storage = Storage(MemoryAccountStore(), MemoryHistoryStore())
    else:
        database = await at_head.open_empty()
        storage = Storage(
            SqlAccountStore(database), SqlHistoryStore(database), database
        )
    yield storage
    await storage.close()


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    """A relay in front of the test PostgreSQL server, to break its
    connections on cue (`pg_relay.py`)."""
    assert POSTGRES_URL is not None
    async with Relay(dialect.async_url(POSTGRES_URL)) as relay:
        yield relay


@pytest.fixture
async def relayed(relay: Relay, postgres_schema: str) -> AsyncIterator[Storage]:
    """The SQL stores on an empty PostgreSQL database at the head, through
    `relay`."""
    database = await DatabaseAtHead(relay.url, postgres_schema).open_empty()
    storage = Storage(SqlAccountStore(database), SqlHistoryStore(database), database)
    yield storage
    await storage.close()
