"""`SqliteBatchWriter`: the history writer's own SQLite connection."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from hubbub.storage import dialect, rows
from hubbub.storage.database import RetryPolicy, open_database
from hubbub.storage.errors import StorageError
from hubbub.storage.migrate import upgrade
from hubbub.storage.sqlite_writer import SqliteBatchWriter

PARAMS = '["#tea", "hi"]'


def row(msgid: str, source: object = "alice!a@h") -> tuple[object, ...]:
    return ("", "#tea", msgid, 1.0, source, None, "PRIVMSG", PARAMS, "{}", None, None)


@pytest.fixture
async def path(tmp_path: Path) -> str:
    """A SQLite file migrated to the head."""
    file = tmp_path / "hubbub.db"
    database = open_database(f"sqlite:///{file}")
    await upgrade(database)
    await database.close()
    return str(file)


def history_writer(
    path: str, retry: RetryPolicy | None = None, busy_timeout_seconds: float = 5.0
) -> SqliteBatchWriter:
    return SqliteBatchWriter(
        path,
        "history",
        rows.HISTORY_COLUMNS,
        retry,
        busy_timeout_seconds=busy_timeout_seconds,
    )


def stored(path: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [msgid for (msgid,) in connection.execute("SELECT msgid FROM history")]


async def test_a_batch_is_committed_when_write_returns(path: str) -> None:
    writer = history_writer(path)
    await writer.write([row("m1"), row("m2")])
    assert stored(path) == ["m1", "m2"]  # read by another connection
    assert writer.commits == 1
    await writer.close()
    await writer.close()  # a second close does nothing


async def test_a_big_batch_goes_in_whole_and_in_order(path: str) -> None:
    # 345 = 256 + 64 + 16 + 4 + 4 + 1: every chunk size of the multi-row INSERTs.
    writer = history_writer(path)
    msgids = [f"m{index:03}" for index in range(345)]
    await writer.write([row(msgid) for msgid in msgids])
    with sqlite3.connect(path) as connection:
        found = [
            m for (m,) in connection.execute("SELECT msgid FROM history ORDER BY seq")
        ]
    assert found == msgids
    assert writer.commits == 1
    await writer.close()


async def test_a_row_of_the_wrong_width_is_refused_with_its_batch(path: str) -> None:
    writer = history_writer(path)
    with pytest.raises(StorageError, match="not written"):
        await writer.write([row("ok"), row("short")[:-1]])
    assert stored(path) == []
    await writer.close()


async def test_a_refused_batch_keeps_none_of_its_rows(path: str) -> None:
    writer = history_writer(path)
    with pytest.raises(StorageError, match="not written"):
        await writer.write([row("ok"), row("bad", source=None)])  # NOT NULL
    assert stored(path) == []
    await writer.write([row("next")])  # the writer goes on
    assert stored(path) == ["next"]
    await writer.close()


async def test_waits_in_its_thread_while_another_connection_writes(path: str) -> None:
    writer = history_writer(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
    released = threading.Timer(0.3, other.execute, ("COMMIT",))
    released.start()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await writer.write([row("after the lock")])
    ticker.cancel()
    released.join()
    other.close()
    assert stored(path) == ["after the lock"]
    assert ticks >= 10  # the loop kept running while the writer waited
    await writer.close()


async def test_retries_when_the_lock_stays_taken_past_busy_timeout(path: str) -> None:
    writer = history_writer(
        path, RetryPolicy(attempts=6, first_delay_seconds=0.05), 0.05
    )
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.4, other.execute, ("COMMIT",))
    released.start()
    await writer.write([row("patient")])
    released.join()
    other.close()
    assert stored(path) == ["patient"]
    await writer.close()


async def test_gives_up_with_storage_error_when_the_lock_never_frees(
    path: str,
) -> None:
    writer = history_writer(
        path, RetryPolicy(attempts=2, first_delay_seconds=0.01), 0.02
    )
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StorageError, match="locked"):
        await writer.write([row("lost")])
    other.execute("ROLLBACK")
    other.close()
    assert stored(path) == []
    await writer.close()


def test_multi_row_inserts_number_their_placeholders_per_driver() -> None:
    columns = ["a", "b"]
    assert dialect.insert_many_sql(dialect.SQLITE, "t", columns, 2) == (
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
    )
    assert dialect.insert_many_sql(dialect.POSTGRESQL, "t", columns, 2) == (
        "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
    )
    assert dialect.insert_many_sql(dialect.POSTGRESQL, "t", columns) == (
        "INSERT INTO t (a, b) VALUES ($1, $2)"
    )
