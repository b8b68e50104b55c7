"""`SqlAccountStore.account_exists`: the in-memory set of names and its refresh."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hubbub.storage.database import Database
from hubbub.storage.sql_accounts import SqlAccountStore
from tests.storage.conftest import POSTGRES_URL, SQL_KINDS, DatabaseAtHead
from tests.storage.samples import T0, account


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=SQL_KINDS)
def sql_at_head(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseAtHead:
    """A database of each SQL kind at the head (sync: see `at_head`)."""
    if request.param == "sqlite":
        path = tmp_path / "hubbub.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return DatabaseAtHead(f"sqlite:///{path}")
    assert POSTGRES_URL is not None
    return DatabaseAtHead(POSTGRES_URL, request.getfixturevalue("postgres_schema"))


@pytest.fixture
async def database(sql_at_head: DatabaseAtHead) -> AsyncIterator[Database]:
    """That database, emptied."""
    database = await sql_at_head.open_empty()
    yield database
    await database.close()


async def settle() -> None:
    """Let a background read of the names finish."""
    for _ in range(50):
        await asyncio.sleep(0.01)


async def test_names_in_the_database_at_start_exist(database: Database) -> None:
    await SqlAccountStore(database).create_account(account("alice"))
    fresh = SqlAccountStore(database)
    assert await fresh.account_exists("ALICE")
    assert not await fresh.account_exists("bob")


async def test_another_writers_account_shows_after_the_refresh(
    database: Database,
) -> None:
    clock = Clock()
    server = SqlAccountStore(database, names_refresh_seconds=5.0, monotonic=clock)
    cli = SqlAccountStore(database)  # as `hubbub accounts create` would
    assert not await server.account_exists("carol")
    await cli.create_account(account("carol"))
    clock.now = 4.0
    assert not await server.account_exists("carol")  # still fresh: not read again
    # Stale, however long the server was quiet: a "no" is read again first.
    clock.now = 3600.0
    assert await server.account_exists("carol")
    # Deleted elsewhere: a stale "yes" answers at once (get_account confirms
    # it) and the names are read again in the background.
    await cli.delete_account("carol")
    clock.now = 7200.0
    assert await server.account_exists("carol")
    await settle()
    assert not await server.account_exists("carol")


async def test_own_write_during_a_refresh_is_kept(database: Database) -> None:
    clock = Clock()
    store = SqlAccountStore(database, names_refresh_seconds=1.0, monotonic=clock)
    await store.account_exists("x")
    clock.now = 2.0
    await store.account_exists("x")  # a refresh is now in flight
    await store.create_account(account("dave"))
    await settle()
    assert await store.account_exists("dave")


async def test_close_waits_for_a_refresh_in_flight(database: Database) -> None:
    clock = Clock()
    store = SqlAccountStore(database, names_refresh_seconds=1.0, monotonic=clock)
    await store.create_account(account("erin"))
    assert await store.account_exists("erin")
    clock.now = 2.0
    # A stale "yes" answers at once and reads the names again in the background.
    assert await store.account_exists("erin")
    others = {asyncio.current_task()}
    assert set(asyncio.all_tasks()) - others, "no read was in flight"
    await store.close()
    # Nothing of the store's is left running to hold a connection as the
    # database closes.
    assert set(asyncio.all_tasks()) == others


async def test_close_with_nothing_in_flight_returns(database: Database) -> None:
    store = SqlAccountStore(database)
    await store.close()
    assert not await store.account_exists("frank")  # still usable
    await store.close()


async def test_an_account_created_again_elsewhere_shows_after_the_refresh(
    database: Database,
) -> None:
    clock = Clock()
    server = SqlAccountStore(database, names_refresh_seconds=5.0, monotonic=clock)
    cli = SqlAccountStore(database)
    await cli.create_account(account("erin", created_at=T0))
    assert await server.account_created_at("erin") == T0
    await cli.delete_account("erin")
    await cli.create_account(account("erin", created_at=T0 + 1))
    clock.now = 4.0
    assert await server.account_created_at("erin") == T0  # fresh: not read again
    clock.now = 10.0
    assert await server.account_created_at("erin") == T0  # stale: read behind
    await settle()
    assert await server.account_created_at("erin") == T0 + 1
    await server.delete_account("erin")  # its own write shows at once
    assert await server.account_created_at("erin") is None
