"""Transactions ride out an outage with retries, then raise `StorageError`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.storage.database import Database, RetryPolicy, open_database
from hubbub.storage.errors import StorageError

FAST = RetryPolicy(attempts=3, first_delay_seconds=0.001)


class FlakyWork:
    """A transaction body that fails with `error` its first `failures` times."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self, connection: AsyncConnection) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return int((await connection.execute(text("SELECT 42"))).scalar_one())


def database_locked() -> OperationalError:
    """The error SQLite gives when another writer holds the lock too long."""
    return OperationalError("INSERT", {}, Exception("database is locked"))


@pytest.fixture
def sqlite(tmp_path: Path) -> Database:
    """A SQLite database that retries quickly."""
    return open_database(f"sqlite:///{tmp_path / 'retry.db'}", retry=FAST)


async def test_transient_failures_are_retried(sqlite: Database) -> None:
    work = FlakyWork(2, database_locked())
    assert await sqlite.transaction(work) == 42
    assert work.calls == 3
    await sqlite.close()


async def test_lasting_outage_raises_storage_error(sqlite: Database) -> None:
    work = FlakyWork(5, database_locked())
    with pytest.raises(StorageError, match=r"after 3 attempts: .*database is locked"):
        await sqlite.transaction(work)
    assert work.calls == 3
    await sqlite.close()


async def test_integrity_errors_are_not_retried(sqlite: Database) -> None:
    work = FlakyWork(1, IntegrityError("INSERT", {}, Exception("UNIQUE failed")))
    with pytest.raises(IntegrityError):
        await sqlite.transaction(work)
    assert work.calls == 1
    await sqlite.close()


async def test_unreachable_postgresql_raises_storage_error() -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused.
    database = open_database("postgresql://hubbub@127.0.0.1:1/hubbub", retry=FAST)
    with pytest.raises(StorageError, match="unavailable after 3 attempts"):
        await database.transaction(FlakyWork(0, database_locked()))
    await database.close()


def test_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    open_database(f"sqlite:///{tmp_path / 'data' / 'dir' / 'hubbub.db'}")
    assert (tmp_path / "data" / "dir").is_dir()


def test_schema_is_refused_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        open_database(f"sqlite:///{tmp_path / 'x.db'}", schema="other")


def test_sqlite_file_is_known_only_for_a_plain_file_url(tmp_path: Path) -> None:
    plain = open_database(f"sqlite:///{tmp_path / 'h.db'}")
    assert plain.sqlite_file == str(tmp_path / "h.db")
    assert open_database("sqlite://").sqlite_file is None  # in memory
    # A URI filename means something only SQLAlchemy's connection knows how
    # to open: the history writer leaves it to SQLAlchemy.
    assert open_database(f"sqlite:///file:{tmp_path}/u.db?uri=true").sqlite_file is None
    # ... nor does hubbub make a directory named "file:" for it.
    assert not Path("file:").exists()
