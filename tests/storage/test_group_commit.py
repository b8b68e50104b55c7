"""Group commit: one writer, one transaction per batch, waiters woken by their batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from hubbub.storage import group_commit
from hubbub.storage.database import Database, open_database
from hubbub.storage.errors import StorageError
from hubbub.storage.group_commit import GroupCommit
from hubbub.storage.open import Storage, open_sql_storage
from hubbub.storage.sql import SqlHistoryStore
from tests.storage.conftest import QUICK_RETRY
from tests.storage.samples import item


class FakeWriter:
    """A `write_batch` that records its batches and can be held or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()  # not holding by default
        self.failure: Exception | None = None
        self.wrote = asyncio.Event()  # set once a batch is recorded

    async def write(self, batch: list[int]) -> None:
        """Record `batch` once released; raise the failure, if any, instead."""
        await self.release.wait()
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        self.batches.append(batch)
        self.wrote.set()


@pytest.fixture
def writer() -> FakeWriter:
    """A fake batch writer."""
    return FakeWriter()


@pytest.fixture
def group(writer: FakeWriter) -> GroupCommit[int]:
    """A group commit over the fake writer."""
    return GroupCommit(writer.write)


async def test_items_appended_together_are_written_in_one_batch(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    for n in range(100):
        group.append(n)
    await group.flush()
    assert writer.batches == [list(range(100))]
    assert group.batches_written == 1


async def test_items_appended_during_a_write_form_the_next_batch(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    writer.release.clear()
    group.append(1)
    first = asyncio.create_task(group.flush())
    # Someone waits: the writer lingers briefly, takes [1], and waits for the
    # release.
    await asyncio.sleep(group.linger_seconds * 4)
    for n in (2, 3, 4):
        group.append(n)
    writer.release.set()
    await group.flush()
    await first
    assert writer.batches == [[1], [2, 3, 4]]


async def test_when_nobody_waits_items_gather_past_the_short_linger(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    group.relaxed_linger_seconds = 10.0  # only the flush below ends it
    group.append(1)
    await asyncio.sleep(group.linger_seconds * 4)
    assert writer.batches == []  # still gathering
    group.append(2)
    await asyncio.wait_for(group.flush(), 5.0)  # asks: written at once
    assert writer.batches == [[1, 2]]


async def test_when_nobody_waits_a_full_batch_is_written_at_once(
    writer: FakeWriter,
) -> None:
    group = GroupCommit(writer.write, relaxed_linger_seconds=10.0, max_batch=10)
    for n in range(10):
        group.append(n)
    await asyncio.wait_for(writer.wrote.wait(), 5.0)  # no flush: the batch was full
    assert writer.batches == [list(range(10))]
    await group.close()


async def test_when_nobody_waits_the_batch_goes_after_the_relaxed_linger(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    group.relaxed_linger_seconds = 0.05
    group.append(1)
    # No flush, not full: the linger ends.
    await asyncio.wait_for(writer.wrote.wait(), 5.0)
    assert writer.batches == [[1]]
    assert not group.someone_waits()


async def test_a_big_batch_makes_the_next_linger_longer_and_a_small_one_short(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    group.busy_linger_seconds = 0.5  # far past the sleep below, however slow
    assert group.next_linger() == group.linger_seconds  # nothing written yet
    for n in range(group.busy_batch):
        group.append(n)
    await group.flush()
    assert group.next_linger() == group.busy_linger_seconds > group.linger_seconds
    # Under load, items appended within the longer linger share the batch.
    group.append(-1)
    await asyncio.sleep(group.linger_seconds * 2)  # past the short linger
    group.append(-2)
    await group.flush()
    assert writer.batches[-1] == [-1, -2]
    assert group.next_linger() == group.linger_seconds  # that batch was small


async def test_flush_waits_until_its_items_are_written(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    writer.release.clear()
    group.append(1)
    flush = asyncio.create_task(group.flush())
    await asyncio.sleep(0.01)
    assert not flush.done()
    writer.release.set()
    await flush
    assert writer.batches == [[1]]


async def test_many_concurrent_committers_share_one_batch(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    async def send(n: int) -> None:
        group.append(n)
        await group.flush()

    await asyncio.gather(*(send(n) for n in range(50)))
    assert writer.batches == [list(range(50))]


def test_flush_with_nothing_pending_returns_without_waiting(
    group: GroupCommit[int],
) -> None:
    flush = group.flush()
    with pytest.raises(StopIteration):
        flush.send(None)  # finished on its first step: it never suspended


async def test_close_writes_what_is_pending_and_refuses_more(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    group.append(1)
    group.append(2)
    await group.close()
    assert writer.batches == [[1, 2]]
    with pytest.raises(StorageError):
        group.append(3)


async def test_close_without_any_append_returns(group: GroupCommit[int]) -> None:
    await group.close()


async def test_failed_batch_fails_its_waiters_and_the_next_batch_succeeds(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    writer.failure = StorageError("database unavailable")
    group.append(1)
    with pytest.raises(StorageError, match="unavailable"):
        await group.flush()
    group.append(2)
    await group.flush()
    assert writer.batches == [[2]]


async def test_unexpected_error_becomes_storage_error_and_writer_survives(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    writer.failure = TypeError("not serialisable")
    group.append(1)
    with pytest.raises(StorageError, match="not serialisable"):
        await group.flush()
    group.append(2)
    await group.flush()
    assert writer.batches == [[2]]


async def test_a_cancelled_flush_does_not_disturb_the_others(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    writer.release.clear()
    group.append(1)
    cancelled = asyncio.create_task(group.flush())
    waiting = asyncio.create_task(group.flush())
    await asyncio.sleep(0)
    cancelled.cancel()
    writer.release.set()
    await waiting
    assert cancelled.cancelled()


# Over a real database


class Commits:
    """Counts the COMMITs of a storage's database from now on: SQLAlchemy's,
    and those of the SQLite history writer's own connection."""

    def __init__(self, storage: Storage) -> None:
        assert storage.database is not None
        assert isinstance(storage.history, SqlHistoryStore)
        self._writer = storage.history.sqlite_writer
        self._writer_before = self._writer.commits if self._writer else 0
        self._engine = 0
        event.listen(storage.database.engine.sync_engine, "commit", self._on_commit)

    def _on_commit(self, _connection: Any) -> None:
        self._engine += 1

    @property
    def count(self) -> int:
        """COMMITs since this counter was made."""
        writer = self._writer.commits - self._writer_before if self._writer else 0
        return self._engine + writer


async def test_many_appends_take_one_transaction(database: Database) -> None:
    storage = await open_sql_storage(database)
    commits = Commits(storage)
    for n in range(500):
        storage.history.append(item(str(n)))
    await storage.history.commit()
    assert commits.count == 1
    await storage.close()


async def test_concurrent_senders_share_transactions(database: Database) -> None:
    storage = await open_sql_storage(database)
    commits = Commits(storage)

    async def send(n: int) -> None:
        storage.history.append(item(str(n)))
        await storage.history.commit()

    for _ in range(5):
        await asyncio.gather(*(send(n) for n in range(40)))
    assert 1 <= commits.count <= 10
    assert isinstance(storage.history, SqlHistoryStore)
    assert storage.history.writes.batches_written == commits.count
    await storage.close()


async def test_close_commits_what_is_pending(database: Database) -> None:
    storage = await open_sql_storage(database)
    storage.history.append(item("last words"))
    await storage.history.close()
    reopened = SqlHistoryStore(database)
    found = await reopened.find("", "#tea", "id-last words")
    assert found is not None
    await reopened.close()
    await storage.close()


async def test_commit_raises_storage_error_when_the_database_is_down() -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused.
    down = open_database("postgresql://hubbub@127.0.0.1:1/hubbub", retry=QUICK_RETRY)
    history = SqlHistoryStore(down)
    history.append(item("lost"))
    with pytest.raises(StorageError, match="unavailable"):
        await history.commit()
    await history.close()
    await down.close()


async def test_a_trickle_of_items_shares_a_batch_thanks_to_the_linger(
    group: GroupCommit[int], writer: FakeWriter
) -> None:
    group.append(1)
    await asyncio.sleep(group.linger_seconds / 5)
    group.append(2)
    await group.flush()
    assert writer.batches == [[1, 2]]


async def test_a_run_of_lost_batches_is_logged_once_then_summed_up(
    group: GroupCommit[int],
    writer: FakeWriter,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An outage under load loses a batch every few milliseconds: the log
    gets its first, then a sum at most every LOST_LOG_SECONDS, and a line
    when batches are written again."""
    monkeypatch.setattr(group_commit, "LOST_LOG_SECONDS", 0.2)
    for n in range(5):
        writer.failure = StorageError("database unavailable for 3 s")
        group.append(n)
        group.append(n + 100)
        with pytest.raises(StorageError):
            await group.flush()
    await asyncio.sleep(0.25)
    writer.failure = StorageError("database unavailable for 4 s")
    group.append(6)
    with pytest.raises(StorageError):
        await group.flush()
    writer.failure = StorageError("database unavailable for 4 s")
    group.append(7)
    with pytest.raises(StorageError):
        await group.flush()
    group.append(8)
    await group.flush()
    assert writer.batches == [[8]]
    assert [r.getMessage() for r in caplog.records] == [
        "! storage: lost a batch of 2 items: database unavailable for 3 s",
        "! storage: lost 9 more items in 5 batches: database unavailable for 4 s",
        "= storage: history is written again; 1 items in 1 batches lost since"
        " the last line about it",
    ]
