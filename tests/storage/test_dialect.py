"""Dialect differences: the async driver for each URL, SQLite's connection settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.storage.database import Database
from hubbub.storage.dialect import async_url


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///hubbub.db", "sqlite+aiosqlite"),
        ("sqlite:////var/lib/hubbub/hubbub.db", "sqlite+aiosqlite"),
        ("sqlite+pysqlite:///hubbub.db", "sqlite+aiosqlite"),
        ("postgresql://hubbub@localhost/hubbub", "postgresql+asyncpg"),
        ("postgres://hubbub@localhost/hubbub", "postgresql+asyncpg"),
        ("postgresql+psycopg2://hubbub@localhost/hubbub", "postgresql+asyncpg"),
    ],
)
def test_url_gets_the_async_driver_of_its_database(url: str, driver: str) -> None:
    assert async_url(url).drivername == driver


def test_url_keeps_path_and_credentials() -> None:
    url = async_url("postgresql://hubbub:secret@db.example:5433/chat?ssl=require")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "hubbub",
        "secret",
        "db.example",
        5433,
        "chat",
    )
    assert url.query == {"ssl": "require"}


@pytest.mark.parametrize("url", ["mysql://localhost/hubbub", "not a url", ""])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"storage URL|use memory"):
        async_url(url)


async def sqlite_setting(database: Database, pragma: str) -> object:
    """The value of `PRAGMA <pragma>` on a pooled connection."""

    async def read(connection: AsyncConnection) -> object:
        return (await connection.execute(text(f"PRAGMA {pragma}"))).scalar()

    return await database.transaction(read)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_sqlite_is_durable_wal_with_a_busy_timeout(database: Database) -> None:
    assert await sqlite_setting(database, "journal_mode") == "wal"
    assert await sqlite_setting(database, "synchronous") == 2  # FULL
    assert await sqlite_setting(database, "busy_timeout") == 5000
    assert await sqlite_setting(database, "foreign_keys") == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_sqlite_transactions_include_ddl_and_roll_back(
    database: Database,
) -> None:
    async def create_then_fail(connection: AsyncConnection) -> None:
        await connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("abandon the transaction")

    with pytest.raises(RuntimeError):
        await database.transaction(create_then_fail)

    async def tables(connection: AsyncConnection) -> list[str]:
        query = text("SELECT name FROM sqlite_master WHERE type = 'table'")
        return list((await connection.execute(query)).scalars())

    assert "scratch" not in await database.transaction(tables)
