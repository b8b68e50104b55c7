"""`SqlHistoryStore`: history over SQL (SQLite or PostgreSQL), with group commit.

Appends go to a `GroupCommit`, whose writer task inserts each batch in one
transaction; reads, `targets()` and retention are SQLAlchemy Core queries,
one code path for both databases (the differences live in `dialect.py`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core.ports import Cursor, HistoryItem
from hubbub.storage import dialect, rows
from hubbub.storage.database import Database
from hubbub.storage.errors import StorageError
from hubbub.storage.group_commit import GroupCommit
from hubbub.storage.schema import history, history_staged
from hubbub.storage.sqlite_writer import SqliteBatchWriter

# Retention deletes at most this many rows per transaction, so the history
# writer (which waits for SQLite's single write lock) is never held up long.
RETENTION_CHUNK_ROWS = 5000

logger = logging.getLogger(__name__)


class SqlHistoryStore:
    """`HistoryStore` over SQL: appends are group-committed by one writer task.

    Reads first wait for what is pending, so they see every item appended
    before them, as the in-memory store does.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self.writes = GroupCommit(self._write_batch)  # `batches_written` for tests
        self._insert = dialect.insert_many_sql(
            database.dialect, history.name, rows.HISTORY_COLUMNS
        )
        # A SQLite file gets a writer of its own, one thread hop per batch,
        # which appends to history_staged and moves those rows into history in
        # bulk (see sqlite_writer.py); PostgreSQL's inserts go through asyncpg.
        path = database.sqlite_file
        self.sqlite_writer = (
            None
            if path is None
            else SqliteBatchWriter(
                path,
                history.name,
                rows.HISTORY_COLUMNS,
                database.retry,
                staged=history_staged.name,
                stage_if=rows.is_private_row,
            )
        )

    def append(self, item: HistoryItem) -> None:
        """Queue an item; it becomes durable at the next group commit."""
        self.writes.append(item)

    async def commit(self) -> None:
        """Return once everything appended so far is durable.

        Raises:
            StorageError: some of it could not be written.
        """
        await self.writes.flush()

    async def _readable(self, owner: str | None = None) -> None:
        """Return once everything appended so far is in `history`, where
        reads and retention look: committed, and moved there if staged.
        `owner`: only one history of this owner is read ("" for a channel's,
        whose rows are never staged).

        Raises:
            StorageError: some of it could not be written or moved.
        """
        await self.commit()
        if self.sqlite_writer is not None and owner != "":
            await self.sqlite_writer.settle()

    async def _write_batch(self, items: list[HistoryItem]) -> None:
        values = rows.history_tuples(items)
        if self.sqlite_writer is not None:
            await self.sqlite_writer.write(values)
            return

        async def insert(connection: AsyncConnection) -> None:
            await connection.exec_driver_sql(self._insert, values)

        await self._database.transaction(insert)

    # Reading

    async def find(self, owner: str, target: str, msgid: str) -> HistoryItem | None:
        """The item with this msgid in this history, if any."""
        query = (
            select(history)
            .where(history.c.msgid == msgid, _in_history(owner, target))
            .order_by(history.c.seq)
            .limit(1)
        )
        found = await self._read(query, owner, target)
        return found[0] if found else None

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

        def between(query: Select[Any]) -> Select[Any]:
            if after is not None:
                query = query.where(_later_than(after))
            if before is not None:
                query = query.where(_earlier_than(before))
            return query

        def ordered(query: Select[Any], at: Any, seq: Any) -> Select[Any]:
            if newest_first:
                return query.order_by(at.desc(), seq.desc()).limit(limit)
            return query.order_by(at, seq).limit(limit)

        # A history is its own rows plus, for a private one, the rows where it
        # is the peer: each side through its own index, limited, then merged.
        own = between(select(history).where(_as_owner(owner, target)))
        if not owner:  # a channel: no peer rows
            query = ordered(own, history.c.at, history.c.seq)
        else:
            peer = between(select(history).where(_as_peer(owner, target)))
            sides = [
                select(ordered(side, history.c.at, history.c.seq).subquery())
                for side in (own, peer)
            ]
            merged = union_all(*sides).subquery()
            query = ordered(select(merged), merged.c.at, merged.c.seq)
        return await self._read(query, owner, target)

    async def targets(
        self, owner: str, channels: list[str], after: float, before: float, limit: int
    ) -> list[tuple[str, float]]:
        """Conversations with activity in (after, before): this owner's private
        ones and the given channels, as (target, latest time), most recent first."""
        await self._readable()
        c = history.c
        own = select(c.target.label("name"), c.at, c.seq).where(
            or_(c.owner == owner, and_(c.owner == "", c.target.in_(channels)))
        )
        peer = select(c.peer_target.label("name"), c.at, c.seq).where(
            c.peer_owner == owner
        )
        rows_ = union_all(own, peer).subquery()
        latest = func.max(rows_.c.at)
        query = (
            select(rows_.c.name, latest)
            .group_by(rows_.c.name)
            .having(and_(latest > after, latest < before))
            .order_by(latest.desc(), func.max(rows_.c.seq).desc())
            .limit(limit)
        )

        async def read(connection: AsyncConnection) -> list[tuple[str, float]]:
            result = await connection.execute(query)
            return [(str(target), float(at)) for target, at in result]

        return await self._database.transaction(read)

    async def _read(
        self, query: Select[Any], owner: str, target: str
    ) -> list[HistoryItem]:
        await self._readable(owner)

        async def read(connection: AsyncConnection) -> list[HistoryItem]:
            result = await connection.execute(query)
            return [rows.history_item_from_row(row, owner, target) for row in result]

        return await self._database.transaction(read)

    # Retention and shutdown

    async def apply_retention(
        self, *, older_than: float | None, keep_per_target: int | None
    ) -> int:
        """Delete items older than `older_than` and beyond the newest
        `keep_per_target` of each history; return how many items are gone
        from every history (a private message trimmed from one party's
        history only is still the other's)."""
        try:
            await self._readable()
        except StorageError as error:
            # Staged rows are the newest: trimming without them is safe, and
            # it may be what frees the room that moving them needs.
            logger.warning("! storage: retention without staged rows: %s", error)
        deleted = 0
        if older_than is not None:
            deleted += await self._delete_older_than(older_than)
        if keep_per_target is not None:
            deleted += await self._delete_beyond(keep_per_target)
        return deleted

    async def _delete_older_than(self, older_than: float) -> int:
        chunk = (
            select(history.c.seq)
            .where(history.c.at < older_than)
            .order_by(history.c.seq)
            .limit(RETENTION_CHUNK_ROWS)
        )
        statement = history.delete().where(history.c.seq.in_(chunk.scalar_subquery()))

        async def delete(connection: AsyncConnection) -> int:
            return (await connection.execute(statement)).rowcount

        deleted = 0
        while True:
            count = await self._database.transaction(delete)
            deleted += count
            if count < RETENTION_CHUNK_ROWS:
                return deleted

    async def _delete_beyond(self, keep: int) -> int:
        # Every history's rows: its own, and those where it is a private
        # message's peer.
        c = history.c
        views = union_all(
            select(c.owner.label("owner"), c.target.label("target")),
            select(c.peer_owner, c.peer_target).where(c.peer_owner.is_not(None)),
        ).subquery()
        crowded = (
            select(views.c.owner, views.c.target)
            .group_by(views.c.owner, views.c.target)
            .having(func.count() > keep)
        )

        async def read(connection: AsyncConnection) -> list[tuple[str, str]]:
            return [
                (owner, target) for owner, target in await connection.execute(crowded)
            ]

        deleted = 0
        for owner, target in await self._database.transaction(read):
            deleted += await self._trim_history(owner, target, keep)
        return deleted

    async def _trim_history(self, owner: str, target: str, keep: int) -> int:
        # The newest item to go is the (keep+1)th newest; it and all older go.
        # A private message's row stays for the other party (whose history
        # may hold fewer): this history lets go of it, and the row is deleted
        # only once neither history holds it.
        newest_to_go = (
            select(history.c.at, history.c.seq)
            .where(_in_history(owner, target))
            .order_by(history.c.at.desc(), history.c.seq.desc())
            .offset(keep)
            .limit(1)
        )
        c = history.c

        async def trim(connection: AsyncConnection) -> int:
            row = (await connection.execute(newest_to_go)).first()
            if row is None:
                return 0
            old = ~_later_than(Cursor(row.at, row.seq))
            own, peer = _as_owner(owner, target), _as_peer(owner, target)
            only_here = c.peer_owner.is_(None)
            deleted = await connection.execute(
                history.delete().where(own, only_here, old)
            )
            # Rows this history is the peer of: the owner keeps them.
            await connection.execute(
                history.update()
                .where(peer, old)
                .values(peer_owner=None, peer_target=None)
            )
            # Rows this history owns, with a peer: they become the peer's own.
            await connection.execute(
                history.update()
                .where(own, c.peer_owner.is_not(None), old)
                .values(
                    owner=c.peer_owner,
                    target=c.peer_target,
                    peer_owner=None,
                    peer_target=None,
                )
            )
            return deleted.rowcount

        return await self._database.transaction(trim)

    async def close(self) -> None:
        """Commit what is pending and stop the writer (`Storage.close` closes the
        database)."""
        await self.writes.close()
        if self.sqlite_writer is not None:
            await self.sqlite_writer.close()


def _as_owner(owner: str, target: str) -> ColumnElement[bool]:
    return and_(history.c.owner == owner, history.c.target == target)


def _as_peer(owner: str, target: str) -> ColumnElement[bool]:
    return and_(history.c.peer_owner == owner, history.c.peer_target == target)


def _in_history(owner: str, target: str) -> ColumnElement[bool]:
    """The rows of the history (owner, target): its own, and a private
    message's rows where it is the peer."""
    if not owner:
        return _as_owner(owner, target)
    return or_(_as_owner(owner, target), _as_peer(owner, target))


def _later_than(cursor: Cursor) -> ColumnElement[bool]:
    # (at, seq) > (cursor.at, cursor.seq); the `at >=` term lets the index range.
    return and_(
        history.c.at >= cursor.at,
        or_(history.c.at > cursor.at, history.c.seq > cursor.seq),
    )


def _earlier_than(cursor: Cursor) -> ColumnElement[bool]:
    return and_(
        history.c.at <= cursor.at,
        or_(history.c.at < cursor.at, history.c.seq < cursor.seq),
    )
