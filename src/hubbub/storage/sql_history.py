"""`SqlHistoryStore`: history in blocks over SQL (SQLite or PostgreSQL).

Appends go to a `GroupCommit`, whose writer task stores each batch in one
transaction as one block per history it touched (`blocks.py`); on SQLite it
stages the small ones in `history_blocks_staged` and moves them into
`history_blocks` in bulk, and before any read (`schema.history_blocks_staged`,
`STAGE_BELOW_BYTES`); reads,
`targets()` and retention are SQLAlchemy Core queries over the blocks, one
code path for both databases (the differences live in `dialect.py`). A read
fetches the blocks of one history whose span of times reaches the range it
asks for, newest or oldest first, until no further block can hold an item
it would take. A private history's blocks are its own and those it shares
with the other party of a conversation (as its peer): a read goes through
each kind in its index's order, and merges them.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core import msgids
from hubbub.core.ports import Cursor, HistoryItem
from hubbub.storage import blocks, dialect
from hubbub.storage.blocks import AT, SEQ, Entry, History
from hubbub.storage.database import Database
from hubbub.storage.errors import StorageError
from hubbub.storage.group_commit import GroupCommit
from hubbub.storage.schema import counters, history_blocks, history_blocks_staged
from hubbub.storage.sqlite_writer import SqliteWriter, insert_rows

# Retention rewrites at most this many blocks per transaction, so the history
# writer (which waits for SQLite's single write lock) is never held up long.
RETENTION_CHUNK_BLOCKS = 50

# `find` reads blocks this many at a time.
FIND_PAGE_BLOCKS = 64

# A read fetches blocks this many at a first, then more at a time.
FIRST_PAGE_BLOCKS = 8
MAX_PAGE_BLOCKS = 512

# How far a message's time may be from the millisecond its id carries
# (rounded down, and float arithmetic on both sides).
MSGID_SLACK = 0.002

HISTORY_SEQ = "history_seq"  # the counters row of the last seq given

# SQLite's writer moves its staged blocks into `history_blocks` once this many
# blocks, or this many bytes of entries, have gathered (and before any read).
# Between moves a commit writes only its blocks' own pages: the index pages
# of a conversation are written once per move instead of once per commit.
MOVE_STAGED_BLOCKS = 2048
MOVE_STAGED_BYTES = 8 << 20

# Only blocks whose entries take fewer bytes than this (four or five
# messages) are staged. Staging pays where a commit holds a few messages of
# each of many conversations: 50 private messages over 50 conversations cost
# 16 against 40 CPU µs and 2.2 against 15 kB written per message
# (`benchmarks/history_writes.py`). A bigger block costs more in its own
# pages, written twice if staged, than in the two to four index pages it
# dirties (at 10 messages a block the two ways cost the same; at 40 staging
# cost half again more), so it goes straight to `history_blocks`.
STAGE_BELOW_BYTES = 1024

_STAGED_COLUMNS = ", ".join(blocks.BLOCK_COLUMNS)
_MOVE_STAGED = (
    f"INSERT INTO {history_blocks.name} ({_STAGED_COLUMNS})"
    f" SELECT {_STAGED_COLUMNS} FROM {history_blocks_staged.name} ORDER BY seq"
)
_CLEAR_STAGED = f"DELETE FROM {history_blocks_staged.name}"

logger = logging.getLogger(__name__)


def _let_the_loop_run() -> None:
    # In the writer's thread: let go of the interpreter lock for a moment,
    # so that a thread waiting for it (the event loop) takes it now rather
    # than after the switch interval.
    time.sleep(0)


b = history_blocks.c


class SqlHistoryStore:
    """`HistoryStore` over SQL: appends are group-committed by one writer task.

    Reads first wait for what is pending, so they see every item appended
    before them, as the in-memory store does.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self.writes = GroupCommit(self._write_batch)  # `batches_written` for tests
        # `append` (HistoryStore): queue an item; it becomes durable at the next
        # group commit. The engine calls it for every message recorded: the
        # group commit's own (compiled) method, not a method that calls it.
        self.append: Callable[[HistoryItem], None] = self.writes.append
        self._insert = dialect.insert_many_sql(
            database.dialect, history_blocks.name, blocks.BLOCK_COLUMNS
        )
        # A SQLite file gets a writer of its own, one thread hop per batch
        # (see sqlite_writer.py); PostgreSQL's inserts go through asyncpg.
        path = database.sqlite_file
        self.sqlite_writer = (
            None if path is None else SqliteWriter(path, database.retry)
        )
        self._last_seq: int | None = None  # the SQLite writer's, once read
        # SQLite's staged blocks, and the bytes of their entries: counted and
        # kept by the writer's thread only; None until it has counted them
        # (at first, and after a failed transaction).
        self._staged: int | None = None
        self._staged_bytes = 0
        # What is staged as of the last writer transaction that committed,
        # set on the event loop's side once it has (None: not known). The
        # writer's own `_staged` changes before its commit: a read that
        # took its 0 for "nothing staged" would miss blocks being moved.
        self._staged_committed: int | None = None
        self.moves = 0  # moves of staged blocks that moved some, for tests

    async def commit(self) -> None:
        """Return once everything appended so far is durable.

        Raises:
            StorageError: some of it could not be written.
        """
        await self.writes.flush()

    # Writing

    async def _write_batch(self, items: list[HistoryItem]) -> None:
        if self.sqlite_writer is not None:
            try:
                (
                    self._last_seq,
                    self._staged_committed,
                ) = await self.sqlite_writer.transaction(
                    "history batch not written",
                    lambda connection: self._write_sqlite(connection, items),
                )
            except StorageError:
                self._staged = self._staged_committed = None  # count again
                raise
            return
        taken = (
            counters.update()
            .where(counters.c.name == HISTORY_SEQ)
            .values(value=counters.c.value + len(items))
            .returning(counters.c.value)
        )

        # The first seq each attempt took: a retry after a COMMIT that went
        # through, its answer lost with the connection, must not store the
        # batch again (`Database.transaction` runs `insert` once more).
        tried: list[int] = []

        async def insert(connection: AsyncConnection) -> None:
            if tried and await _stored(connection, items[0], tried):
                return
            last = (await connection.execute(taken)).scalar_one()
            tried.append(last - len(items) + 1)
            rows = blocks.block_rows(items, tried[-1])
            await connection.exec_driver_sql(self._insert, rows)

        await self._database.transaction(insert)

    def _write_sqlite(
        self, connection: sqlite3.Connection, items: Sequence[HistoryItem]
    ) -> tuple[int, int]:
        # In the writer's thread, in its transaction; the last seq given, and
        # how many blocks are staged once it commits.
        # One writer per file: the counter is read once, then kept here.
        last = self._last_seq
        if last is None:
            (last,) = connection.execute(
                "SELECT value FROM counters WHERE name = ?", (HISTORY_SEQ,)
            ).fetchone()
        small: list[tuple[Any, ...]] = []
        big: list[tuple[Any, ...]] = []
        for row in blocks.block_rows(items, last + 1, pause=_let_the_loop_run):
            (small if len(row[-1]) < STAGE_BELOW_BYTES else big).append(row)
        staged = self._count_staged(connection)
        columns = blocks.BLOCK_COLUMNS
        insert_rows(connection, history_blocks_staged.name, columns, small)
        insert_rows(connection, history_blocks.name, columns, big)
        self._staged = staged + len(small)
        self._staged_bytes += sum(len(row[-1]) for row in small)
        if (
            self._staged >= MOVE_STAGED_BLOCKS
            or self._staged_bytes >= MOVE_STAGED_BYTES
        ):
            self._move_staged(connection)
        last += len(items)
        connection.execute(
            "UPDATE counters SET value = ? WHERE name = ?", (last, HISTORY_SEQ)
        )
        return int(last), self._staged

    def _count_staged(self, connection: sqlite3.Connection) -> int:
        # In the writer's thread: what is staged, counted once (a restart
        # finds what the last run left staged).
        if self._staged is None:
            self._staged, self._staged_bytes = connection.execute(
                "SELECT count(*), coalesce(sum(length(entries)), 0)"
                f" FROM {history_blocks_staged.name}"
            ).fetchone()
        return self._staged

    def _move_staged(self, connection: sqlite3.Connection) -> None:
        # In the writer's thread, in its transaction: every staged block into
        # history_blocks, in the order staged (which gives them their seqs).
        if self._count_staged(connection):
            connection.execute(_MOVE_STAGED)
            connection.execute(_CLEAR_STAGED)
            self.moves += 1
        self._staged, self._staged_bytes = 0, 0

    async def _settled(self) -> None:
        """Return once everything appended so far is written (or failed to
        be) and where reads look: SQLite's staged blocks are moved into
        `history_blocks` first.

        A batch that failed does not fail the read: its items are not stored
        (the writer logged it, and whoever waited on them was told), so the
        read returns what is. Otherwise one sender's lost batch would fail
        every reader until the next batch went through.

        Raises:
            StorageError: the staged blocks could not be moved.
        """
        with contextlib.suppress(StorageError):
            await self.commit()
        if self.sqlite_writer is None or self._staged_committed == 0:
            return
        try:
            self._staged_committed = await self.sqlite_writer.transaction(
                "staged history blocks not moved", self._move_all_staged
            )
        except StorageError:
            self._staged = self._staged_committed = None  # count again
            raise

    def _move_all_staged(self, connection: sqlite3.Connection) -> int:
        self._move_staged(connection)
        return 0  # staged, once this commits

    # Reading

    async def find(self, owner: str, target: str, msgid: str) -> HistoryItem | None:
        """The item with this msgid in this history, if any."""
        await self._settled()
        query = select(b.seq, b.entries).where(_of(owner, target))
        at = msgids.time_of(msgid)
        if at is not None:  # only the blocks of that moment (to the millisecond)
            query = query.where(
                b.last_at >= at - MSGID_SLACK, b.first_at <= at + MSGID_SLACK
            )
        # Else (an id from before ids carried their time) every block of the
        # history, a page at a time.

        async def read(connection: AsyncConnection) -> HistoryItem | None:
            after = 0
            while True:
                page = (
                    query.where(b.seq > after).order_by(b.seq).limit(FIND_PAGE_BLOCKS)
                )
                rows = (await connection.execute(page)).all()
                for _, data in rows:
                    for entry in blocks.entries_of(data):
                        if entry[blocks.MSGID] == msgid:
                            return blocks.item_of(entry, owner, target)
                if len(rows) < FIND_PAGE_BLOCKS:
                    return None
                after = rows[-1][0]

        return await self._database.transaction(read)

    async def select(
        self,
        owner: str,
        target: str,
        *,
        after: Cursor | None,
        before: Cursor | None,
        limit: int,
        newest_first: bool,
    ) -> list[HistoryItem]:
        """Up to `limit` items strictly between the cursors, oldest first, or
        the newest ones, newest first, when `newest_first`."""
        if limit <= 0:
            return []
        await self._settled()
        reader = _Reader(owner, target, after, before, newest_first)
        return await self._database.transaction(
            lambda connection: reader.read(connection, limit)
        )

    async def targets(
        self, owner: str, channels: list[str], after: float, before: float, limit: int
    ) -> list[tuple[str, float]]:
        """Conversations with activity in (after, before): this owner's private
        ones and the given channels, as (target, latest time), most recent first."""
        await self._settled()
        spans = union_all(
            select(b.target, b.last_at, b.last_seq).where(
                or_(b.owner == owner, and_(b.owner == "", b.target.in_(channels)))
            ),
            select(b.peer_target, b.last_at, b.last_seq).where(b.peer_owner == owner),
        ).subquery()
        s = spans.c
        latest = func.max(s.last_at)
        query = (
            select(s.target, latest)
            .group_by(s.target)
            .having(and_(latest > after, latest < before))
            .order_by(latest.desc(), func.max(s.last_seq).desc())
            .limit(limit)
        )

        async def read(connection: AsyncConnection) -> list[tuple[str, float]]:
            result = await connection.execute(query)
            return [(str(target), float(at)) for target, at in result]

        return await self._database.transaction(read)

    # Retention and shutdown

    async def apply_retention(
        self, *, older_than: float | None, keep_per_target: int | None
    ) -> int:
        """Delete items older than `older_than` and beyond the newest
        `keep_per_target` of each history; return how many items are gone
        from every history (a private message trimmed from one party's
        history only is still the other's)."""
        await self._settled()
        gone = _Gone()
        if older_than is not None:
            cutoff = older_than
            await self._drop(
                gone,
                b.first_at < cutoff,
                keep=lambda entry: entry[AT] >= cutoff,
                whole=lambda last_at: last_at < cutoff,
                side=None,
            )
        if keep_per_target is not None:
            for owner, target in await self._crowded(keep_per_target):
                await self._trim(gone, owner, target, keep_per_target)
        return gone.counted + await self._gone_from_both(gone)

    async def forget(self, owner: str) -> int:
        """Delete every history `owner` holds (a private message stays the
        other party's, in a block of its own); return how many items are
        gone from every history.

        Raises:
            ValueError: `owner` is "", the channels' (never forgotten so).
        """
        if not owner:
            raise ValueError("channel histories are not forgotten by owner")
        await self._settled()
        gone = _Gone()
        for target in await self._targets_of(owner):
            await self._drop(
                gone,
                _of(owner, target),
                keep=lambda entry: False,
                whole=lambda last_at: False,
                side=(owner, target),
            )
        return gone.counted + await self._gone_from_both(gone)

    async def owners(self, prefix: str) -> list[str]:
        """Every owner of a private history whose name starts with `prefix`,
        in blocks of its own or as the other party of shared ones.

        Reads every block's owners (no index orders them by prefix in both
        databases): for a sweep at start-up, not for every message.
        """
        await self._settled()
        query = union_all(
            select(b.owner).where(b.owner.startswith(prefix, autoescape=True)),
            select(b.peer_owner).where(
                b.peer_owner.startswith(prefix, autoescape=True)
            ),
        )

        async def read(connection: AsyncConnection) -> list[str]:
            found = {str(owner) for (owner,) in await connection.execute(query)}
            # SQLite's LIKE ignores ASCII case: keep the exact prefix only.
            return sorted(
                owner for owner in found if owner and owner.startswith(prefix)
            )

        return await self._database.transaction(read)

    async def _targets_of(self, owner: str) -> list[str]:
        """The targets of every history `owner` holds, in blocks of its own
        or shared with the other party of a conversation."""
        query = union_all(
            select(b.target).where(b.owner == owner),
            select(b.peer_target).where(b.peer_owner == owner),
        )

        async def read(connection: AsyncConnection) -> list[str]:
            return sorted(
                {str(target) for (target,) in await connection.execute(query)}
            )

        return await self._database.transaction(read)

    async def _crowded(self, keep: int) -> list[History]:
        sizes = union_all(
            select(b.owner, b.target, b.count),
            select(b.peer_owner, b.peer_target, b.count).where(
                b.peer_owner.is_not(None)
            ),
        ).subquery()
        s = sizes.c
        query = (
            select(s.owner, s.target)
            .group_by(s.owner, s.target)
            .having(func.sum(s.count) > keep)
        )

        async def read(connection: AsyncConnection) -> list[History]:
            return [
                (owner, target) for owner, target in await connection.execute(query)
            ]

        return await self._database.transaction(read)

    async def _trim(self, gone: _Gone, owner: str, target: str, keep: int) -> None:
        # The newest item to go is the (keep+1)th newest; it and all older go.
        newest = await self.select(
            owner, target, after=None, before=None, limit=keep + 1, newest_first=True
        )
        if len(newest) <= keep:
            return
        edge = (newest[keep].at, newest[keep].seq)
        await self._drop(
            gone,
            and_(_of(owner, target), b.first_at <= edge[0]),
            keep=lambda entry: (entry[AT], entry[SEQ]) > edge,
            whole=lambda last_at: last_at < edge[0],
            side=(owner, target),
        )

    async def _drop(
        self,
        gone: _Gone,
        where: ColumnElement[bool],
        *,
        keep: Callable[[Entry], bool],
        whole: Callable[[float], bool],
        side: History | None,
    ) -> None:
        """Take the entries that `keep` refuses out of the blocks `where`
        picks, a chunk of blocks per transaction; `whole` says of a block
        that none of its entries is kept (a channel's is then not read).
        They go from every history of a block, or only from `side`'s: what a
        shared block loses then stays the other party's, in a block of its
        own."""
        after_seq = 0
        while True:
            query = (
                select(
                    b.seq,
                    b.owner,
                    b.target,
                    b.peer_owner,
                    b.peer_target,
                    b.last_at,
                    b.count,
                    b.entries,
                )
                .where(where, b.seq > after_seq)
                .order_by(b.seq)
                .limit(RETENTION_CHUNK_BLOCKS)
            )

            async def drop(
                connection: AsyncConnection, query: Select[Any] = query
            ) -> int:
                rows = (await connection.execute(query)).all()
                emptied: list[int] = []
                for (
                    seq,
                    owner,
                    target,
                    peer_owner,
                    peer_target,
                    last_at,
                    count,
                    items,
                ) in rows:
                    if whole(last_at) and not owner:  # a channel's: no other copy
                        gone.counted += count
                        emptied.append(seq)
                        continue
                    entries = blocks.entries_of(items)
                    kept = [entry for entry in entries if keep(entry)]
                    if len(kept) == len(entries):
                        continue
                    refused = [entry for entry in entries if not keep(entry)]
                    await _refuse(
                        connection,
                        gone,
                        refused,
                        (owner, target),
                        None if peer_owner is None else (peer_owner, peer_target),
                        side,
                    )
                    if not kept:
                        emptied.append(seq)
                    else:
                        await connection.execute(
                            history_blocks.update()
                            .where(b.seq == seq)
                            .values(blocks.rebuilt_row(kept))
                        )
                if emptied:
                    await connection.execute(
                        history_blocks.delete().where(b.seq.in_(emptied))
                    )
                return int(rows[-1][0]) if len(rows) == RETENTION_CHUNK_BLOCKS else 0

            after_seq = await self._database.transaction(drop, write_lock=True)
            if not after_seq:
                return

    async def _gone_from_both(self, gone: _Gone) -> int:
        """How many of the private messages that left one history this time
        are no longer in the other either."""
        wanted: dict[History, set[int]] = {}
        for seq, other in gone.waiting.items():
            wanted.setdefault(other, set()).add(seq)

        async def still_held(connection: AsyncConnection) -> int:
            held = 0
            for (owner, target), seqs in wanted.items():
                query = select(b.entries).where(
                    _of(owner, target),
                    b.first_seq <= max(seqs),
                    b.last_seq >= min(seqs),
                )
                for (items,) in await connection.execute(query):
                    held += len(seqs & blocks.seqs(blocks.entries_of(items)))
            return held

        if not wanted:
            return 0
        return len(gone.waiting) - await self._database.transaction(still_held)

    async def close(self) -> None:
        """Commit what is pending and stop the writer (`Storage.close` closes the
        database)."""
        await self.writes.close()
        if self.sqlite_writer is not None:
            await self.sqlite_writer.close()


class _Reader:
    """Reads the items of one history between two cursors, block by block.

    Blocks come in the order of the edge of their span that the read reaches
    first (the latest item's time, newest first; else the earliest's). Once
    `limit` items are in hand, a block whose edge is past the last of them
    holds none that would be taken, nor does any block after it. A private
    history's own blocks and those it shares as the peer are read so, each
    kind in its index's order, and merged.
    """

    def __init__(
        self,
        owner: str,
        target: str,
        after: Cursor | None,
        before: Cursor | None,
        newest_first: bool,
    ) -> None:
        self.owner, self.target = owner, target
        self.low = (after.at, after.seq) if after is not None else None
        self.high = (before.at, before.seq) if before is not None else None
        self.newest_first = newest_first
        self.edge = edge = b.last_at if newest_first else b.first_at
        order = (edge.desc(), b.seq.desc()) if newest_first else (edge, b.seq)
        self.queries = []
        for side in _sides(owner, target):
            query = select(b.seq, b.first_at, b.last_at, b.entries).where(side)
            if after is not None:
                query = query.where(b.last_at >= after.at)
            if before is not None:
                query = query.where(b.first_at <= before.at)
            self.queries.append(query.order_by(*order))

    def wanted(self, item: HistoryItem) -> bool:
        """Whether `item` is strictly between the cursors."""
        key = (item.at, item.seq)
        low, high = self.low, self.high
        return (low is None or key > low) and (high is None or key < high)

    async def read(self, connection: AsyncConnection, limit: int) -> list[HistoryItem]:
        """Up to `limit` items, in the read's order."""
        found: list[HistoryItem] = []
        for query in self.queries:
            found.extend(await self._read(connection, query, limit))
        found.sort(key=_time_and_seq, reverse=self.newest_first)
        return found[:limit]

    async def _read(
        self, connection: AsyncConnection, ordered: Select[Any], limit: int
    ) -> list[HistoryItem]:
        """Up to `limit` items of the blocks `ordered` gives, in the read's order."""
        found: list[HistoryItem] = []
        query, page = ordered, FIRST_PAGE_BLOCKS
        while True:
            rows = (await connection.execute(query.limit(page))).all()
            for _, _, _, items in rows:
                found.extend(
                    item
                    for item in blocks.items_of(items, self.owner, self.target)
                    if self.wanted(item)
                )
            found.sort(key=_time_and_seq, reverse=self.newest_first)
            del found[limit:]
            if len(rows) < page:
                return found
            last_seq, first_at, last_at, _ = rows[-1]
            reached = last_at if self.newest_first else first_at
            if len(found) == limit and self._beyond(found[-1].at, reached):
                return found
            query = ordered.where(self._after_block(reached, last_seq))
            page = min(page * 4, MAX_PAGE_BLOCKS)

    def _beyond(self, at: float, reached: float) -> bool:
        """Whether an item at `at` is taken before any in a block whose edge
        is `reached`."""
        return at > reached if self.newest_first else at < reached

    def _after_block(self, reached: float, seq: int) -> ColumnElement[bool]:
        """The blocks after the one with this edge and seq, in the read's order."""
        edge = self.edge
        if self.newest_first:
            return or_(edge < reached, and_(edge == reached, b.seq < seq))
        return or_(edge > reached, and_(edge == reached, b.seq > seq))


def _time_and_seq(item: HistoryItem) -> tuple[float, int]:
    return (item.at, item.seq)


class _Gone:
    """What one retention pass took out: items counted, and private messages
    that left one history, whose other copy is yet to be seen gone."""

    def __init__(self) -> None:
        self.counted = 0
        self.waiting: dict[int, History] = {}  # seq -> the other history

    def add(self, entry: Entry, history: History) -> None:
        other = blocks.other_history(entry, history)
        if other is None:
            self.counted += 1
        elif self.waiting.pop(entry[SEQ], None) is not None:
            self.counted += 1  # its other copy went in this pass too
        else:
            self.waiting[entry[SEQ]] = other


async def _refuse(
    connection: AsyncConnection,
    gone: _Gone,
    refused: list[Entry],
    history: History,
    peer: History | None,
    side: History | None,
) -> None:
    """Count the entries that retention takes out of a block of `history`
    (shared with `peer`), from `side`'s history only or from both; what a
    shared block loses for one party only goes into a block of the other's."""
    if peer is None:
        for entry in refused:
            gone.add(entry, history)
        return
    if side is None:  # gone from both parties at once
        gone.counted += len(refused)
        return
    other = peer if side == history else history
    await connection.execute(
        history_blocks.insert().values(
            owner=other[0], target=other[1], **blocks.rebuilt_row(refused)
        )
    )
    for entry in refused:
        gone.add(entry, side)


async def _stored(
    connection: AsyncConnection, first: HistoryItem, seqs: list[int]
) -> bool:
    """Whether an earlier attempt at a batch committed: the batch's `first`
    item is stored under one of `seqs` (the first seq each attempt took),
    in a block that begins with it. The msgid tells it from another node's
    item that took the same seq after an attempt rolled back. (Through the
    index of the newest blocks of the item's history.)"""
    query = select(b.first_seq, b.entries).where(
        _of(first.owner, first.target),
        b.last_at >= first.at,
        b.first_seq.in_(seqs),
    )
    return any(
        entry[SEQ] == seq and entry[blocks.MSGID] == first.msgid
        for seq, data in await connection.execute(query)
        for entry in blocks.entries_of(data)
    )


def _sides(owner: str, target: str) -> list[ColumnElement[bool]]:
    """The blocks of the history (owner, target), in one condition per index:
    its own, and for a private history those it shares as the peer."""
    own = and_(b.owner == owner, b.target == target)
    if not owner:  # a channel's: never shared
        return [own]
    return [own, and_(b.peer_owner == owner, b.peer_target == target)]


def _of(owner: str, target: str) -> ColumnElement[bool]:
    """The blocks of the history (owner, target)."""
    return or_(*_sides(owner, target))
