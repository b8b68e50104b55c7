"""Group commit: many synchronous appends, one writer task, one transaction per batch.

The message path appends without awaiting. A single writer task takes
everything pending, writes it in one transaction, and wakes every `flush()`
whose items were in it; whatever was appended meanwhile forms the next batch.
How long the writer lingers before taking a batch depends on who is
waiting. A batch costs about the same whatever it holds (a commit, and a
block per conversation in it), so the longer it gathers, the less each
message costs (benchmarks/RESULTS.md):

- When someone waits for a pending item (`flush()`: the core echoes a
  message only once it is durable, and a read first waits for what is
  pending), the writer lingers a few milliseconds (`linger_seconds`), so
  that concurrent senders share a transaction, and longer under load
  (`busy_linger_seconds`, once the last batch held `busy_batch` items or
  more); a message then waits at most that long (plus the commit).
- When nobody waits, it gathers for up to `relaxed_linger_seconds`, or until
  `max_batch` items are pending, or until a `flush()` asks, whichever comes
  first. Nobody has been told these items are kept, so the promise is the
  same (an echoed message is durable); a crash of the process loses at most
  that long of history that no client was waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from hubbub.storage.errors import StorageError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# While batches keep failing, a line about them at most this often.
LOST_LOG_SECONDS = 10.0


class GroupCommit(Generic[T]):
    """Batches items for `write_batch`, which stores a list in one transaction."""

    def __init__(
        self,
        write_batch: Callable[[list[T]], Awaitable[None]],
        *,
        linger_seconds: float = 0.005,
        busy_linger_seconds: float = 0.020,
        busy_batch: int = 100,
        relaxed_linger_seconds: float = 0.2,
        max_batch: int = 5000,
    ) -> None:
        self._write_batch = write_batch
        self.linger_seconds = linger_seconds
        self.busy_linger_seconds = busy_linger_seconds
        self.busy_batch = busy_batch  # a batch this big means load: linger longer
        self.relaxed_linger_seconds = relaxed_linger_seconds  # when nobody waits
        self._last_batch = 0  # items in the last batch taken
        self._taken = 0  # items ever taken into a batch
        self._hurry = asyncio.Event()  # set to end a relaxed linger early
        self.max_batch = max_batch  # a batch this big is written without lingering
        self._pending: list[T] = []
        self._appended = 0  # items ever appended
        self._done = 0  # items ever taken by a finished batch, written or not
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []  # (items, future)
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.batches_written = 0  # for tests and benchmarks
        # A run of lost batches (`_write`): when the last one was logged, and
        # the batches and items lost since, or since the run began.
        self._lost_logged_at: float | None = None
        self._lost_batches = 0
        self._lost_items = 0

    def append(self, item: T) -> None:
        """Queue `item` for the next batch; starts the writer on first use.

        Raises:
            StorageError: the store was closed.
        """
        if self._closed:
            raise StorageError("history store is closed")
        self._pending.append(item)
        self._appended += 1
        if len(self._pending) == 1:  # the writer may be waiting for it
            self._wakeup.set()
        elif len(self._pending) >= self.max_batch:
            self._hurry.set()
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(
                self._write_forever(), name="hubbub-history-writer"
            )

    async def flush(self) -> None:
        """Return once every item appended so far is written.

        Raises:
            StorageError: a batch holding some of those items could not be written.
        """
        if self._done >= self._appended:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((self._appended, waiter))
        self._hurry.set()
        await waiter

    def next_linger(self) -> float:
        """How long the writer lingers before taking its next batch when
        someone waits for it: longer when the last one was big."""
        if self._last_batch >= self.busy_batch:
            return self.busy_linger_seconds
        return self.linger_seconds

    def someone_waits(self) -> bool:
        """Whether a `flush()` waits for an item not yet taken into a batch."""
        return any(upto > self._taken for upto, _ in self._waiters)

    async def _linger(self) -> None:
        if self.someone_waits():
            await asyncio.sleep(self.next_linger())
            return
        self._hurry.clear()
        if self._closed or len(self._pending) >= self.max_batch:
            return  # what set it came before the clear
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurry.wait(), self.relaxed_linger_seconds)

    async def close(self) -> None:
        """Write what is pending, then stop the writer; appending is refused after."""
        self._closed = True
        self._wakeup.set()
        self._hurry.set()
        if self._writer is not None:
            await self._writer

    async def _write_forever(self) -> None:
        while True:
            if not self._pending:
                if self._closed:
                    return
                await self._wakeup.wait()
                self._wakeup.clear()
                continue
            if len(self._pending) < self.max_batch and not self._closed:
                await self._linger()
            batch, self._pending = self._pending, []
            self._last_batch = len(batch)
            self._taken += len(batch)
            error = await self._write(batch)
            self._done += len(batch)
            self._wake_waiters(error)

    async def _write(self, batch: list[T]) -> StorageError | None:
        try:
            await self._write_batch(batch)
        except StorageError as error:
            self._lost(len(batch), error)
            return error
        except Exception as error:  # the writer task must outlive a bad batch
            logger.exception("! storage: lost a batch of %d items", len(batch))
            return StorageError(f"could not write a batch: {error!r}")
        self.batches_written += 1
        if self._lost_logged_at is not None:
            logger.warning(
                "= storage: history is written again; %d items in %d batches "
                "lost since the last line about it",
                self._lost_items,
                self._lost_batches,
            )
            self._lost_logged_at = None
        return None

    def _lost(self, items: int, error: StorageError) -> None:
        """Log a lost batch: the first of a run of them, then at most one
        line every LOST_LOG_SECONDS for all lost since (an outage under load
        loses a batch every few milliseconds)."""
        now = asyncio.get_running_loop().time()
        self._lost_batches += 1
        self._lost_items += items
        logged_at = self._lost_logged_at
        if logged_at is not None and now - logged_at < LOST_LOG_SECONDS:
            return
        if logged_at is None:
            logger.error("! storage: lost a batch of %d items: %s", items, error)
        else:
            logger.error(
                "! storage: lost %d more items in %d batches: %s",
                self._lost_items,
                self._lost_batches,
                error,
            )
        self._lost_logged_at = now
        self._lost_batches = self._lost_items = 0

    def _wake_waiters(self, error: StorageError | None) -> None:
        # A failed batch fails every waiter: each one is waiting for all items
        # appended before it, and the failed items were among them.
        still_waiting = []
        for upto, waiter in self._waiters:
            if error is None and upto > self._done:
                still_waiting.append((upto, waiter))
            elif waiter.done():  # its flush() was cancelled
                continue
            elif error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
        self._waiters = still_waiting
