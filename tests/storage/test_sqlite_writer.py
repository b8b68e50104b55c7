"""`SqliteBatchWriter`: the history writer's own SQLite connection."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from hubbub.core.ports import HistoryItem
from hubbub.storage import dialect, rows
from hubbub.storage.database import RetryPolicy, open_database
from hubbub.storage.errors import StorageError
from hubbub.storage.migrate import upgrade
from hubbub.storage.open import open_storage
from hubbub.storage.sql import SqlHistoryStore
from hubbub.storage.sqlite_writer import SqliteBatchWriter
from tests.storage.samples import T0, item

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


# Staging: history's writer appends to history_staged, then moves rows in bulk.


def staging_writer(path: str, settle_rows: int = 1000) -> SqliteBatchWriter:
    return SqliteBatchWriter(
        path,
        "history",
        rows.HISTORY_COLUMNS,
        staged="history_staged",
        settle_rows=settle_rows,
    )


def rows_of(path: str, table: str) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(f"SELECT seq, msgid FROM {table} ORDER BY seq"))


async def test_staged_rows_are_committed_then_moved_in_order(path: str) -> None:
    writer = staging_writer(path)
    await writer.write([row("m1"), row("m2")])
    await writer.write([row("m3")])
    assert rows_of(path, "history_staged") == [(1, "m1"), (2, "m2"), (3, "m3")]
    assert rows_of(path, "history") == []
    await writer.settle()
    assert rows_of(path, "history") == [(1, "m1"), (2, "m2"), (3, "m3")]
    assert rows_of(path, "history_staged") == []
    assert (writer.commits, writer.settled) == (2, 3)
    await writer.settle()  # nothing staged: nothing to do
    assert writer.settled == 3
    await writer.close()


async def test_staged_seqs_never_reuse_one_history_had(path: str) -> None:
    # AUTOINCREMENT: a seq stays used after its row is deleted (retention).
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO history (seq, owner, target, msgid, at, source, command,"
            " params, tags) VALUES (41, '', '#tea', 'old', 1.0, 's', 'PRIVMSG',"
            " '[]', '{}')"
        )
        connection.execute("DELETE FROM history")
    writer = staging_writer(path)
    await writer.write([row("m1")])
    await writer.write([row("m2")])  # past the staged one too
    await writer.settle()
    await writer.write([row("m3")])  # past the moved ones
    await writer.close()  # moves what is staged
    assert rows_of(path, "history") == [(42, "m1"), (43, "m2"), (44, "m3")]


async def test_a_batch_that_fills_the_stage_moves_it(path: str) -> None:
    writer = staging_writer(path, settle_rows=5)
    await writer.write([row(f"a{n}") for n in range(3)])
    assert len(rows_of(path, "history_staged")) == 3
    await writer.write([row(f"b{n}") for n in range(3)])  # 6 >= 5
    assert [m for _, m in rows_of(path, "history")] == [
        "a0", "a1", "a2", "b0", "b1", "b2"
    ]  # fmt: skip
    assert rows_of(path, "history_staged") == []
    await writer.close()


async def test_rows_left_staged_are_moved_by_the_next_writer(path: str) -> None:
    with sqlite3.connect(path) as connection:  # as a killed server leaves them
        connection.execute(
            "INSERT INTO history_staged (seq, owner, target, msgid, at, source,"
            " command, params, tags) VALUES (7, '', '#tea', 'left', 1.0, 's',"
            " 'PRIVMSG', '[]', '{}')"
        )
    writer = staging_writer(path)
    await writer.settle()
    assert rows_of(path, "history") == [(7, "left")]
    await writer.write([row("next")])
    await writer.close()
    assert rows_of(path, "history") == [(7, "left"), (8, "next")]


async def test_a_refused_staged_batch_keeps_none_of_its_rows(path: str) -> None:
    writer = staging_writer(path)
    await writer.write([row("first")])
    with pytest.raises(StorageError, match="not written"):
        await writer.write([row("ok"), row("bad", source=None)])  # NOT NULL
    await writer.write([row("next")])
    await writer.close()
    assert rows_of(path, "history") == [(1, "first"), (2, "next")]


def private_row(msgid: str) -> tuple[object, ...]:
    return ("n:alice", "bob", msgid, 1.0, "alice!a@h", None, "PRIVMSG",
            '["bob", "hi"]', "{}", "n:bob", "alice")  # fmt: skip


async def test_only_the_rows_stage_if_picks_are_staged_numbered_in_order(
    path: str,
) -> None:
    writer = SqliteBatchWriter(
        path,
        "history",
        rows.HISTORY_COLUMNS,
        staged="history_staged",
        stage_if=rows.is_private_row,
    )
    await writer.write([row("c1"), private_row("p2"), row("c3")])
    await writer.write([private_row("p4"), row("c5")])
    assert rows_of(path, "history") == [(1, "c1"), (3, "c3"), (5, "c5")]
    assert rows_of(path, "history_staged") == [(2, "p2"), (4, "p4")]
    await writer.settle()
    assert [m for _, m in rows_of(path, "history")] == ["c1", "p2", "c3", "p4", "c5"]
    await writer.close()


async def test_a_store_moves_staged_rows_only_to_read_a_private_history(
    tmp_path: Path,
) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path / 'hubbub.db'}")
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    writer = history.sqlite_writer
    assert writer is not None
    history.append(item("to the channel"))
    history.append(private_item("to bob"))
    await history.commit()
    assert [i.params[-1] for i in await read(history, "", "#tea")] == ["to the channel"]
    assert writer.settled == 0  # a channel's rows are never staged
    assert [i.params[-1] for i in await read(history, "n:bob", "alice")] == ["to bob"]
    assert writer.settled == 1
    await storage.close()


async def read(history: SqlHistoryStore, owner: str, target: str) -> list[HistoryItem]:
    return await history.select(
        owner, target, after=None, before=None, limit=10, newest_first=False
    )


def private_item(text: str) -> HistoryItem:
    return HistoryItem(
        owner="n:alice",
        target="bob",
        msgid="p-" + text,
        at=T0,
        source="alice!a@h",
        account=None,
        command="PRIVMSG",
        params=("bob", text),
        peer_owner="n:bob",
        peer_target="alice",
    )


async def test_settle_after_close_is_a_storage_error(path: str) -> None:
    writer = staging_writer(path)
    await writer.write([row("m1")])
    await writer.close()  # moves what is staged
    assert rows_of(path, "history") == [(1, "m1")]
    writer._staged_rows = 1  # as if a row were still staged
    with pytest.raises(StorageError, match="closed"):
        await writer.settle()
