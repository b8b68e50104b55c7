"""`SqlAccountStore`: accounts and registered channels over SQL (SQLite or PostgreSQL).

Keys are casefolded names; the rows are laid out by `storage/rows.py`, and
every transaction goes through `Database.transaction` (retries, then
`StorageError`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core.ports import Account, RegisteredChannel
from hubbub.protocol.casemap import casefold
from hubbub.storage import rows
from hubbub.storage.database import Database
from hubbub.storage.errors import StorageError
from hubbub.storage.schema import account_certfps, accounts, channels

logger = logging.getLogger(__name__)

# How stale the set of account names behind `account_exists` may get before it
# is read again (accounts made by another process, such as `hubbub accounts`).
NAMES_REFRESH_SECONDS = 5.0


class SqlAccountStore:
    """`AccountStore` over SQL. Keys are casefolded names (rfc1459).

    Every NICK asks `account_exists` (nick protection). A query each time cost
    more than the rest of registration together, so the store keeps the
    account names (and when each was created) in memory: its own writes
    update them at once, and once they are `names_refresh_seconds` old they
    are read again (in the background when the answer is "yes", which
    `get_account` confirms; before answering "no").
    """

    def __init__(
        self,
        database: Database,
        *,
        names_refresh_seconds: float = NAMES_REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        # Account names (casefolded) and when each was created; None until read.
        self._names: dict[str, float] | None = None
        self._names_read_at = 0.0
        self._names_refresh_seconds = names_refresh_seconds
        self._monotonic = monotonic
        self._names_reading: asyncio.Task[None] | None = None
        # Our own writes made while a read is in flight: (key, the creation
        # time, or None when deleted), replayed over its result, which may
        # predate them.
        self._names_changed: list[tuple[str, float | None]] = []

    async def account_exists(self, name: str) -> bool:
        """Whether an account may be called `name` (from the in-memory set)."""
        key = casefold(name)
        return key in await self._fresh_names(key)

    async def account_created_at(self, name: str) -> float | None:
        """When the account called `name` was created (None: there is none),
        from the in-memory names, as stale as `account_exists`."""
        key = casefold(name)
        return (await self._fresh_names(key)).get(key)

    async def _fresh_names(self, key: str) -> dict[str, float]:
        """The account names (and creation times), read again first when
        they are stale and do not hold `key`."""
        if self._names is None:
            await asyncio.shield(self._read_names())
        elif self._monotonic() - self._names_read_at > self._names_refresh_seconds:
            reading = self._read_names()
            if key not in self._names:
                # A "no" from an old set could let a nick go unprotected for
                # good: read again first. (A stale "yes" is confirmed anyway.)
                await asyncio.shield(reading)
        assert self._names is not None
        return self._names

    def _read_names(self) -> asyncio.Task[None]:
        """The read of every account name in flight, started if there is none."""
        if self._names_reading is None or self._names_reading.done():
            self._names_changed = []
            self._names_reading = asyncio.get_running_loop().create_task(
                self._load_names()
            )
        return self._names_reading

    async def _load_names(self) -> None:
        started = self._monotonic()

        async def read(connection: AsyncConnection) -> dict[str, float]:
            query = select(accounts.c.key, accounts.c.created_at)
            return {str(key): float(at) for key, at in await connection.execute(query)}

        try:
            names = await self._database.transaction(read)
        except Exception as error:
            if self._names is None:
                raise  # the first read: the caller waiting for it hears why
            if isinstance(error, StorageError):  # an outage: one line
                logger.error("! could not read the account names again: %s", error)
            else:
                logger.exception("! could not read the account names again")
            self._names_read_at = started  # try again after another interval
            return
        for key, created_at in self._names_changed:
            if created_at is not None:
                names[key] = created_at
            else:
                names.pop(key, None)
        self._names_changed = []
        self._names = names
        self._names_read_at = started

    async def close(self) -> None:
        """Wait for a read of the names still in flight (it holds a connection).

        Before the database closes; its failure was logged, or raised to the
        caller that waited for it.
        """
        reading = self._names_reading
        if reading is not None and not reading.done():
            await asyncio.wait([reading])
        if reading is not None and not reading.cancelled():
            reading.exception()  # retrieved: asyncio does not warn of it again

    def _name_changed(self, key: str, *, created_at: float | None) -> None:
        # An account made (created_at) or deleted (None) through this store.
        if self._names is not None:
            if created_at is not None:
                self._names[key] = created_at
            else:
                self._names.pop(key, None)
        if self._names_reading is not None and not self._names_reading.done():
            self._names_changed.append((key, created_at))

    # Accounts

    async def get_account(self, name: str) -> Account | None:
        """The account called `name`, if any."""

        async def read(connection: AsyncConnection) -> Account | None:
            return await _read_account(connection, casefold(name))

        return await self._database.transaction(read)

    async def create_account(self, account: Account) -> bool:
        """Store a new account; False when the name is taken."""
        key = casefold(account.name)
        runs = 0

        async def insert(connection: AsyncConnection) -> None:
            nonlocal runs
            runs += 1
            if runs > 1 and await _is_stored(connection, key, account):
                # A retry after a COMMIT that went through, its answer lost
                # with the connection: the account is this one, not taken.
                return
            await connection.execute(accounts.insert(), rows.account_values(account))
            await _insert_certfps(connection, account)

        try:
            await self._database.transaction(insert)
        except IntegrityError:
            return False
        self._name_changed(key, created_at=account.created_at)
        return True

    async def update_account(self, account: Account) -> bool:
        """Replace the account with the same name; False when there is none."""
        key = casefold(account.name)

        async def update(connection: AsyncConnection) -> bool:
            result = await connection.execute(
                accounts.update().where(accounts.c.key == key),
                rows.account_values(account),
            )
            if result.rowcount == 0:
                return False
            await connection.execute(
                account_certfps.delete().where(account_certfps.c.account_key == key)
            )
            await _insert_certfps(connection, account)
            return True

        return await self._database.transaction(update)

    async def delete_account(self, name: str) -> bool:
        """Remove an account and its certfps (not its channels); False when none."""
        key = casefold(name)

        async def delete(connection: AsyncConnection) -> bool:
            await connection.execute(
                account_certfps.delete().where(account_certfps.c.account_key == key)
            )
            result = await connection.execute(
                accounts.delete().where(accounts.c.key == key)
            )
            return result.rowcount > 0

        deleted = await self._database.transaction(delete)
        self._name_changed(key, created_at=None)
        return deleted

    async def list_accounts(self) -> list[Account]:
        """Every account, by casefolded name."""

        async def read(connection: AsyncConnection) -> list[Account]:
            certfps: defaultdict[str, list[str]] = defaultdict(list)
            for key, certfp in await connection.execute(select(account_certfps)):
                certfps[key].append(certfp)
            result = await connection.execute(select(accounts))
            return [rows.account_from_row(row, certfps[row.key]) for row in result]

        found = await self._database.transaction(read)
        return sorted(found, key=lambda account: casefold(account.name))

    async def find_account_by_certfp(self, certfp: str) -> Account | None:
        """The account holding this certificate fingerprint, if any."""

        async def read(connection: AsyncConnection) -> Account | None:
            keys = await connection.scalars(
                select(account_certfps.c.account_key).where(
                    account_certfps.c.certfp == certfp
                )
            )
            # Fingerprints are not unique across accounts; take the first by name.
            key = min(keys, default=None)
            return None if key is None else await _read_account(connection, key)

        return await self._database.transaction(read)

    # Registered channels

    async def get_channel(self, name: str) -> RegisteredChannel | None:
        """The registration of channel `name`, if any."""

        async def read(connection: AsyncConnection) -> RegisteredChannel | None:
            query = select(channels).where(channels.c.key == casefold(name))
            row = (await connection.execute(query)).first()
            return None if row is None else rows.channel_from_row(row)

        return await self._database.transaction(read)

    async def save_channel(self, channel: RegisteredChannel) -> None:
        """Insert or replace a channel registration."""
        upsert = self._database.upsert(channels, rows.channel_values(channel), ["key"])

        async def save(connection: AsyncConnection) -> None:
            await connection.execute(upsert)

        await self._database.transaction(save)

    async def delete_channel(self, name: str) -> bool:
        """Drop a channel registration; False when there was none."""

        async def delete(connection: AsyncConnection) -> bool:
            statement = channels.delete().where(channels.c.key == casefold(name))
            return (await connection.execute(statement)).rowcount > 0

        return await self._database.transaction(delete)

    async def list_channels(self) -> list[RegisteredChannel]:
        """Every registered channel, by casefolded name."""

        async def read(connection: AsyncConnection) -> list[RegisteredChannel]:
            result = await connection.execute(select(channels))
            return [rows.channel_from_row(row) for row in result]

        found = await self._database.transaction(read)
        return sorted(found, key=lambda channel: casefold(channel.name))


async def _read_account(connection: AsyncConnection, key: str) -> Account | None:
    row = (
        await connection.execute(select(accounts).where(accounts.c.key == key))
    ).first()
    if row is None:
        return None
    certfps = await connection.scalars(
        select(account_certfps.c.certfp).where(account_certfps.c.account_key == key)
    )
    return rows.account_from_row(row, certfps)


async def _is_stored(connection: AsyncConnection, key: str, account: Account) -> bool:
    """Whether the account called `key` is `account` as this store wrote it:
    the same password hash (argon2's salt is drawn anew for every hash) and
    creation time, which no one else's REGISTER of the name would share."""
    query = select(accounts.c.password_hash, accounts.c.created_at).where(
        accounts.c.key == key
    )
    row = (await connection.execute(query)).first()
    return row is not None and tuple(row) == (account.password_hash, account.created_at)


async def _insert_certfps(connection: AsyncConnection, account: Account) -> None:
    values = rows.certfp_values(account)
    if values:
        await connection.execute(account_certfps.insert(), values)
