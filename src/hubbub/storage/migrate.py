"""Alembic migrations, applied at start-up: any database comes up to the newest schema.

The Alembic configuration is built here, in code: no alembic.ini, and the
script directory is the `migrations` package installed with hubbub.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.storage import dialect
from hubbub.storage.database import Database

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")  # Alembic's script directory
HEAD = "head"


def alembic_config(
    *, connection: Connection | None = None, url: str | None = None
) -> Config:
    """An Alembic `Config` for hubbub's migrations, on a connection or a URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Revision files are modules: their names must not start with a digit.
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    return config


async def upgrade(database: Database, revision: str = HEAD) -> None:
    """Bring the schema to `revision` (the newest by default), in one transaction.

    A no-op when it is there already; retried like any transaction.

    Raises:
        StorageError: the database stayed unavailable.
    """

    async def migrate(connection: AsyncConnection) -> tuple[str | None, str | None]:
        lock = dialect.migration_lock(database.dialect)
        if lock is not None:
            await connection.execute(lock)
        return await connection.run_sync(_upgrade, revision)

    before, after = await database.transaction(migrate)
    if after != before:  # said once committed: a retried attempt says nothing
        logger.info("= storage: schema migrated from %s to %s", before, after)


async def current_revision(database: Database) -> str | None:
    """The revision the database is at; None when it has no hubbub tables."""

    async def read(connection: AsyncConnection) -> str | None:
        return await connection.run_sync(_current_revision)

    return await database.transaction(read)


def _upgrade(connection: Connection, revision: str) -> tuple[str | None, str | None]:
    before = _current_revision(connection)
    command.upgrade(alembic_config(connection=connection), revision)
    return before, _current_revision(connection)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
