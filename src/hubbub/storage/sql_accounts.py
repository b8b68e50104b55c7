"""`SqlAccountStore`: accounts and registered channels over SQL (SQLite or PostgreSQL).

Keys are casefolded names; the rows are laid out by `storage/rows.py`, and
every transaction goes through `Database.transaction` (retries, then
`StorageError`).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core.ports import Account, RegisteredChannel
from hubbub.protocol.casemap import casefold
from hubbub.storage import rows
from hubbub.storage.database import Database
from hubbub.storage.schema import account_certfps, accounts, channels


class SqlAccountStore:
    """`AccountStore` over SQL. Keys are casefolded names (rfc1459)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    # Accounts

    async def get_account(self, name: str) -> Account | None:
        """The account called `name`, if any."""

        async def read(connection: AsyncConnection) -> Account | None:
            return await _read_account(connection, casefold(name))

        return await self._database.transaction(read)

    async def create_account(self, account: Account) -> bool:
        """Store a new account; False when the name is taken."""

        async def insert(connection: AsyncConnection) -> None:
            await connection.execute(accounts.insert(), rows.account_values(account))
            await _insert_certfps(connection, account)

        try:
            await self._database.transaction(insert)
        except IntegrityError:
            return False
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

        return await self._database.transaction(delete)

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


async def _insert_certfps(connection: AsyncConnection, account: Account) -> None:
    values = rows.certfp_values(account)
    if values:
        await connection.execute(account_certfps.insert(), values)
