"""What differs between SQLite and PostgreSQL, and nothing else.

Every other module of `hubbub.storage` is one code path for both databases;
the differences are the driver in the URL, SQLite's connection settings, the
spelling of an upsert, and PostgreSQL's lock around migrations.

What is durable when:

- **SQLite** runs in WAL mode with `synchronous=FULL`: a transaction is on disk
  (its WAL frames fsync'ed) before COMMIT returns. It survives a crash of the
  server process *and* a power loss or kernel crash. `synchronous=NORMAL` would
  also survive a process crash (the WAL is in the OS page cache), but the last
  transactions could roll back on power loss. FULL costs one fsync per
  transaction, and history is group-committed (one transaction per batch of
  messages), so that fsync is shared by everything said meanwhile: FULL is
  affordable, so hubbub takes it.
- **PostgreSQL**: a committed transaction is as durable as the server makes it;
  with its defaults (`fsync=on`, `synchronous_commit=on`) that is the same
  guarantee, crash and power loss. hubbub changes no server setting.
- In both, `HistoryStore.commit()` returns only after the COMMIT of every item
  appended before it, and the core echoes a message only after that, so an
  echoed message is durable. Items appended and not yet committed are lost by a
  crash (the sender never saw them echoed); a clean shutdown commits them.
  While no client waits for an item, the writer gathers them for up to 200 ms
  (`group_commit.py`), so a crash loses at most that much history that nobody
  was told was kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# The async driver for each database; "postgres://" is libpq's alias.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}

# Run on every new SQLite connection, outside any transaction.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never block the writer, nor it them
    "PRAGMA synchronous=FULL",  # see "What is durable when" above
    "PRAGMA busy_timeout=5000",  # wait up to 5 s for another writer's lock
    "PRAGMA foreign_keys=ON",  # enforce them, as PostgreSQL does
)

# Any constant shared by every hubbub node; only migrations take this lock.
_MIGRATION_LOCK_ID = 0x68756262  # "hubb"


def async_url(url: str) -> URL:
    """`url` with the async driver of its database (aiosqlite or asyncpg).

    Raises ValueError when `url` names neither SQLite nor PostgreSQL.
    (The driver itself is imported when the engine is created.)
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(f"cannot parse storage URL {url!r}") from error
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"{url!r}: use memory, sqlite:///... or postgresql://...")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


# How long connecting to PostgreSQL may take (asyncpg's own default is 60 s).
CONNECT_TIMEOUT_SECONDS = 10.0


def connect_args(
    url: URL,
    schema: str | None,
    statement_timeout: float | None = None,
    *,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Driver arguments. For PostgreSQL: the schema to keep the tables in, a
    bound on connecting, and `statement_timeout`, how long one statement
    may wait for the server's answer (None: as long as it takes). A server
    that stops answering (frozen, or cut off by the network without a reset)
    would otherwise hold every command that waits on it for good."""
    if url.get_backend_name() != POSTGRESQL:
        if schema is not None:
            raise ValueError("a schema can only be chosen on PostgreSQL")
        return {}
    args: dict[str, Any] = {"timeout": connect_timeout}
    if statement_timeout is not None:
        args["command_timeout"] = statement_timeout
    if schema is not None:
        args["server_settings"] = {"search_path": schema}
    return args


def configure(engine: AsyncEngine) -> None:
    """Install the per-connection settings of `engine`'s database."""
    if engine.dialect.name == SQLITE:
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module's own transaction handling skips BEGIN before DDL and
    # SELECT; turn it off and say BEGIN ourselves (_on_sqlite_begin) so that
    # migrations and reads are real transactions (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


# An execution option: begin SQLite's transaction holding the write lock
# (BEGIN IMMEDIATE). A plain BEGIN takes it at the first write; a transaction
# that read first is then refused at once (SQLITE_BUSY, with no wait) if
# another connection wrote since its read began. One that holds the lock from
# the start waits for it instead (busy_timeout). `Database.transaction`'s
# `write_lock`.
SQLITE_WRITE_LOCK = "hubbub_sqlite_write_lock"


def _on_sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(SQLITE_WRITE_LOCK):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def upsert(
    dialect: str, table: Table, values: dict[str, Any], key: list[str]
) -> Executable:
    """INSERT `values` into `table`, or UPDATE the row with the same `key`."""
    if dialect == SQLITE:
        sqlite_insert = sqlite.insert(table).values(values)
        updates = {name: sqlite_insert.excluded[name] for name in values}
        return sqlite_insert.on_conflict_do_update(index_elements=key, set_=updates)
    pg_insert = postgresql.insert(table).values(values)
    updates = {name: pg_insert.excluded[name] for name in values}
    return pg_insert.on_conflict_do_update(index_elements=key, set_=updates)


def migration_lock(dialect: str) -> Executable | None:
    """A statement serialising concurrent migrations (nodes starting together).

    SQLite needs none: its write lock already admits one migration at a time.
    """
    if dialect == POSTGRESQL:
        return text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
    return None


def insert_many_sql(dialect: str, table: str, columns: list[str], rows: int = 1) -> str:
    """A plain INSERT of `rows` rows with the driver's own placeholders.

    The history writer sends whole batches this way, skipping SQLAlchemy's
    per-row parameter processing, which costs more than the insert itself:
    one row for `executemany` (asyncpg), or several rows whose parameters
    follow one another (the SQLite writer's multi-row INSERTs; SQLite takes
    up to 32,766 parameters in a statement since 3.32).
    """
    width = len(columns)
    if dialect == POSTGRESQL:  # asyncpg: $1, $2, ...
        values = (
            "("
            + ", ".join(f"${row * width + index}" for index in range(1, width + 1))
            + ")"
            for row in range(rows)
        )
    else:  # sqlite3: qmark
        values = ("(" + ", ".join("?" for _ in columns) + ")" for _ in range(rows))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(values)}"
