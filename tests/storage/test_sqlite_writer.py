"""`SqliteWriter`: the history writer's own SQLite connection and thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from hubbub.core.ports import HistoryItem
from hubbub.storage import blocks, dialect, sql_history
from hubbub.storage.database import RetryPolicy, open_database
from hubbub.storage.errors import StorageError
from hubbub.storage.migrate import upgrade
from hubbub.storage.open import open_storage
from hubbub.storage.sql import SqlHistoryStore
from hubbub.storage.sqlite_writer import MAX_INSERT_ROWS, SqliteWriter, insert_rows
from tests.storage.samples import T0, item

INSERT = dialect.insert_many_sql(dialect.SQLITE, "history_blocks", blocks.BLOCK_COLUMNS)


class Writes:
    """Work for the writer: blocks of items, numbered from 1 on."""

    def __init__(self) -> None:
        self.runs = 0  # how many times the writer ran it

    def blocks_of(self, *texts: str) -> Callable[[sqlite3.Connection], int]:
        def work(connection: sqlite3.Connection) -> int:
            self.runs += 1
            rows = blocks.block_rows([item(text) for text in texts], 1)
            connection.executemany(INSERT, rows)
            return len(rows)

        return work


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
) -> SqliteWriter:
    return SqliteWriter(path, retry, busy_timeout_seconds=busy_timeout_seconds)


def stored(path: str) -> list[str]:
    """The texts of the stored items, block by block (another connection)."""
    with sqlite3.connect(path) as connection:
        return [
            entry[6][-1]
            for (entries,) in connection.execute(
                "SELECT entries FROM history_blocks ORDER BY seq"
            )
            for entry in blocks.entries_of(entries)
        ]


async def test_a_transaction_is_committed_when_it_returns(path: str) -> None:
    writer = history_writer(path)
    work = Writes()
    assert await writer.transaction("not written", work.blocks_of("m1", "m2")) == 1
    assert stored(path) == ["m1", "m2"]  # read by another connection
    assert writer.commits == 1
    await writer.close()
    await writer.close()  # a second close does nothing


async def test_refused_work_keeps_nothing_and_says_what_did_not_happen(
    path: str,
) -> None:
    writer = history_writer(path)

    def half_done(connection: sqlite3.Connection) -> None:
        Writes().blocks_of("kept?")(connection)
        connection.execute(
            "INSERT INTO counters (name, value) VALUES ('history_seq', 1)"
        )

    with pytest.raises(StorageError, match="batch not written: UNIQUE"):
        await writer.transaction("batch not written", half_done)
    assert stored(path) == []
    await writer.transaction("not written", Writes().blocks_of("next"))  # goes on
    assert stored(path) == ["next"]
    await writer.close()


async def test_a_transaction_after_close_is_a_storage_error(path: str) -> None:
    writer = history_writer(path)
    await writer.close()
    with pytest.raises(StorageError, match="closed"):
        await writer.transaction("not written", Writes().blocks_of("late"))


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
    await writer.transaction("not written", Writes().blocks_of("after the lock"))
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
    work = Writes()
    await writer.transaction("not written", work.blocks_of("patient"))
    released.join()
    other.close()
    assert stored(path) == ["patient"]
    assert work.runs == 1  # only BEGIN IMMEDIATE was retried: the work ran once
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
        await writer.transaction("not written", Writes().blocks_of("lost"))
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


# The store's writes through it


async def test_seqs_continue_from_the_counter_after_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hubbub.db'}"
    storage = await open_storage(url)
    storage.history.append(item("first"))
    storage.history.append(private_item("to bob"))
    await storage.history.commit()
    [first] = await read(storage.history, "", "#tea")
    await storage.history.apply_retention(older_than=T0 + 1, keep_per_target=None)
    await storage.close()
    storage = await open_storage(url)  # counts on from what the file says
    storage.history.append(item("second"))
    await storage.history.commit()
    [second] = await read(storage.history, "", "#tea")
    assert second.seq == first.seq + 2  # past the private message's too
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    assert history.sqlite_writer is not None
    # One transaction for the batch, one that moved its block for the read.
    assert history.sqlite_writer.commits == 2
    await storage.close()


async def read(history: object, owner: str, target: str) -> list[HistoryItem]:
    assert isinstance(history, SqlHistoryStore)
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


# Multi-row inserts


@pytest.mark.parametrize("count", [0, 1, 3, 255, 256, 257, 700])
def test_insert_rows_stores_every_row_in_order_in_few_statements(count: int) -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE t (n INTEGER, text TEXT)")
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    rows = [(n, f"row {n}") for n in range(count)]
    insert_rows(connection, "t", ["n", "text"], rows)
    connection.set_trace_callback(None)
    assert connection.execute("SELECT n, text FROM t ORDER BY rowid").fetchall() == (
        rows
    )
    # The binary digits of the count, in chunks of at most 256 rows.
    full, rest = divmod(count, MAX_INSERT_ROWS)
    assert len(statements) == full + bin(rest).count("1")


def test_insert_rows_keeps_within_sqlites_limit_of_parameters() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
    connection.execute("CREATE TABLE t (a, b, c)")
    rows = [(n, n + 1, n + 2) for n in range(100)]
    insert_rows(connection, "t", ["a", "b", "c"], rows)  # 32 rows at most a time
    assert connection.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall() == (
        rows
    )


# Staged blocks


def staged_and_moved(path: Path) -> tuple[int, list[str]]:
    """How many blocks are staged, and the texts in history_blocks in order."""
    with sqlite3.connect(path) as connection:
        (staged,) = connection.execute(
            "SELECT count(*) FROM history_blocks_staged"
        ).fetchone()
    return staged, stored(str(path))


async def test_blocks_are_staged_then_moved_in_order_before_a_read(
    tmp_path: Path,
) -> None:
    file = tmp_path / "hubbub.db"
    storage = await open_storage(f"sqlite:///{file}")
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    for text in ("one", "two", "three"):  # three batches, a block each
        history.append(item(text))
        await history.commit()
    assert staged_and_moved(file) == (3, [])  # durable, not indexed yet
    assert history.moves == 0
    texts = [i.params[-1] for i in await read(history, "", "#tea")]
    assert texts == ["one", "two", "three"]
    assert staged_and_moved(file) == (0, ["one", "two", "three"])
    assert history.moves == 1
    await read(history, "", "#tea")  # nothing staged: nothing to move
    assert history.moves == 1
    await storage.close()


async def test_the_writer_moves_staged_blocks_once_enough_have_gathered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_history, "MOVE_STAGED_BLOCKS", 4)
    file = tmp_path / "hubbub.db"
    storage = await open_storage(f"sqlite:///{file}")
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    for n in range(5):
        history.append(item(f"m{n}"))
        await history.commit()
    # The fourth batch's writer moved four blocks; the fifth is staged.
    assert staged_and_moved(file) == (1, ["m0", "m1", "m2", "m3"])
    assert history.moves == 1
    monkeypatch.setattr(sql_history, "MOVE_STAGED_BYTES", 1)  # every batch
    history.append(item("m5"))
    await history.commit()
    assert staged_and_moved(file) == (0, [f"m{n}" for n in range(6)])
    await storage.close()


async def test_blocks_left_staged_by_a_crash_are_read_after_a_restart(
    tmp_path: Path,
) -> None:
    file = tmp_path / "hubbub.db"
    url = f"sqlite:///{file}"
    storage = await open_storage(url)
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    history.append(item("before"))
    history.append(private_item("hi"))
    await history.commit()
    assert staged_and_moved(file)[0] == 2
    # No close: the process is gone, its staged blocks stay in the file.
    assert history.sqlite_writer is not None
    history.writes._closed = True
    await history.sqlite_writer.close()
    assert storage.database is not None
    await storage.database.close()
    storage = await open_storage(url)
    assert [i.params[-1] for i in await read(storage.history, "", "#tea")] == ["before"]
    assert [i.params[-1] for i in await read(storage.history, "n:bob", "alice")] == [
        "hi"
    ]
    storage.history.append(item("after"))  # and staging goes on from there
    await storage.history.commit()
    assert [i.params[-1] for i in await read(storage.history, "", "#tea")] == [
        "before",
        "after",
    ]
    assert staged_and_moved(file)[0] == 0
    await storage.close()


async def test_a_big_block_goes_straight_to_history_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "hubbub.db"
    storage = await open_storage(f"sqlite:///{file}")
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    history.append(item("small"))
    await history.commit()
    monkeypatch.setattr(sql_history, "STAGE_BELOW_BYTES", 200)
    history.append(item("big " + "x" * 200))
    history.append(item("small too"))  # the same history's block: big as well
    await history.commit()
    assert staged_and_moved(file) == (1, ["big " + "x" * 200, "small too"])
    texts = [i.params[-1] for i in await read(history, "", "#tea")]
    assert texts == ["small", "big " + "x" * 200, "small too"]  # by time and seq
    await storage.close()


async def test_a_read_during_a_move_waits_for_its_commit(tmp_path: Path) -> None:
    # The writer's thread counts the staged blocks as moved (0) before its
    # COMMIT: a read that took that 0 for "nothing staged" read history_blocks
    # before the move was in it, and missed what was staged (an ended
    # session's history at start-up, left until the next start).
    storage = await open_storage(f"sqlite:///{tmp_path / 'hubbub.db'}")
    history = storage.history
    assert isinstance(history, SqlHistoryStore)
    history.append(private_item("staged"))
    await history.commit()  # written to the staging table
    moved, release = threading.Event(), threading.Event()
    move = history._move_staged

    def move_then_wait(connection: sqlite3.Connection) -> None:
        move(connection)  # counted as moved, not committed yet
        moved.set()
        release.wait(10)

    history._move_staged = move_then_wait  # type: ignore[method-assign]
    first = asyncio.ensure_future(history.owners("n:"))
    await asyncio.to_thread(moved.wait, 10)
    second = asyncio.ensure_future(history.owners("n:"))
    await asyncio.sleep(0.2)  # the second read, taken in the gap
    history._move_staged = move  # type: ignore[method-assign]
    release.set()
    assert await first == ["n:alice", "n:bob"]  # both parties' owners
    assert await second == ["n:alice", "n:bob"]
    await storage.close()
