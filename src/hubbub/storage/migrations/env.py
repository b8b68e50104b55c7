"""Alembic's environment: runs the revisions on the connection hubbub passes in.

`hubbub.storage.migrate` calls Alembic inside `AsyncConnection.run_sync`, with
the connection in `config.attributes["connection"]`. Run by Alembic's own
commands instead (e.g. `alembic.command.revision(..., autogenerate=True)`), it
connects with an async engine to the config's `sqlalchemy.url`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from hubbub.storage.database import open_database
from hubbub.storage.schema import metadata


def run_migrations(connection: Connection) -> None:
    """Run the pending revisions on `connection`."""
    # render_as_batch: SQLite cannot ALTER most things; Alembic copies the table.
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_on_url(url: str) -> None:
    """Connect to `url` with an async engine and run the pending revisions."""
    database = open_database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await database.close()


def main() -> None:
    """Alembic's entry point: online with a given connection, or from the URL."""
    connection = context.config.attributes.get("connection")
    url = context.config.get_main_option("sqlalchemy.url")
    if connection is not None:
        run_migrations(connection)
    elif url is None:
        raise RuntimeError("hubbub migrations need a connection or sqlalchemy.url")
    elif context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_migrations_on_url(url))


main()
