"""Transactions ride out an outage with retries, then raise `StorageError`."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from hubbub.storage import dialect
from hubbub.storage.database import (
    Database,
    RetryPolicy,
    UnreachableError,
    open_database,
)
from hubbub.storage.errors import StorageError
from tests.storage.conftest import POSTGRES_URL, needs_postgres, run_as_admin
from tests.storage.pg_relay import Relay

# Quick retries; after an outage, the next transaction is tried at once.
FAST = RetryPolicy(attempts=3, first_delay_seconds=0.001, outage_retry_seconds=0)


class FlakyWork:
    """A transaction body that fails with `error` its first `failures` times."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self, connection: AsyncConnection) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return int((await connection.execute(text("SELECT 42"))).scalar_one())


def database_locked() -> OperationalError:
    """The error SQLite gives when another writer holds the lock too long."""
    return OperationalError("INSERT", {}, Exception("database is locked"))


@pytest.fixture
def sqlite(tmp_path: Path) -> Database:
    """A SQLite database that retries quickly."""
    return open_database(f"sqlite:///{tmp_path / 'retry.db'}", retry=FAST)


async def test_transient_failures_are_retried(sqlite: Database) -> None:
    work = FlakyWork(2, database_locked())
    assert await sqlite.transaction(work) == 42
    assert work.calls == 3
    await sqlite.close()


async def test_lasting_outage_raises_storage_error(sqlite: Database) -> None:
    work = FlakyWork(5, database_locked())
    with pytest.raises(StorageError, match=r"after 3 attempts: .*database is locked"):
        await sqlite.transaction(work)
    assert work.calls == 3
    await sqlite.close()


@pytest.mark.parametrize(
    "message",
    ["database or disk is full", "disk I/O error", "file is not a database"],
)
async def test_a_full_disk_or_broken_file_is_not_retried(
    sqlite: Database, message: str
) -> None:
    """Another attempt a moment later would fail the same way: the caller
    hears at once, and the log gets no retry lines."""
    work = FlakyWork(5, OperationalError("INSERT", {}, Exception(message)))
    with pytest.raises(StorageError, match=f"database error: .*{message}"):
        await sqlite.transaction(work)
    assert work.calls == 1
    await sqlite.close()


@needs_postgres
async def test_postgresql_refusing_connections_for_now_is_retried() -> None:
    """ "Too many connections" (SQLSTATE 53300), as a database at its limit
    says, passes once a connection is free: retried, not failed at once."""
    assert POSTGRES_URL is not None
    name = dialect.async_url(POSTGRES_URL).database
    database = open_database(POSTGRES_URL, retry=FAST)
    admin = open_database(POSTGRES_URL)
    try:
        # The limit is lifted again over a connection opened before it.
        async with admin.engine.connect() as held:
            await held.execute(text(f"ALTER DATABASE {name} CONNECTION LIMIT 0"))
            await held.commit()
            try:
                with pytest.raises(StorageError, match=r"after 3 attempts: .*too many"):
                    await database.transaction(FlakyWork(0, database_locked()))
            finally:
                await held.execute(text(f"ALTER DATABASE {name} CONNECTION LIMIT -1"))
                await held.commit()
        assert await database.transaction(FlakyWork(0, database_locked())) == 42
    finally:
        await database.close()
        await admin.close()


async def test_integrity_errors_are_not_retried(sqlite: Database) -> None:
    work = FlakyWork(1, IntegrityError("INSERT", {}, Exception("UNIQUE failed")))
    with pytest.raises(IntegrityError):
        await sqlite.transaction(work)
    assert work.calls == 1
    await sqlite.close()


async def counter(database: Database) -> None:
    """A table `t` holding the number 0."""

    async def create(connection: AsyncConnection) -> None:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (0)"))

    await database.transaction(create)


async def numbers(database: Database) -> list[int]:
    """What `t` holds, in order."""

    async def read(connection: AsyncConnection) -> list[int]:
        result = await connection.execute(text("SELECT n FROM t ORDER BY n"))
        return [int(n) for n in result.scalars()]

    return await database.transaction(read)


async def add_one_to_the_largest(connection: AsyncConnection) -> None:
    """Read, let the other transactions run, then write what was read + 1."""
    n = (await connection.execute(text("SELECT max(n) FROM t"))).scalar_one()
    await asyncio.sleep(0.1)
    await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n + 1})


async def test_transactions_holding_the_write_lock_run_one_at_a_time(
    database: Database,
) -> None:
    # No retries: a transaction refused is not run again with fresh reads.
    once = Database(database.engine, RetryPolicy(attempts=1))
    await counter(once)
    await asyncio.gather(
        *(once.transaction(add_one_to_the_largest, write_lock=True) for _ in range(3))
    )
    # Each read what the one before wrote: none was lost or refused.
    assert await numbers(once) == [0, 1, 2, 3]


@needs_postgres
async def test_the_write_lock_reads_committed_rows_whatever_the_default_isolation() -> (
    None
):
    # A server whose default is REPEATABLE READ: the snapshot would be taken
    # before the lock is granted, and every transaction would read 0.
    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:16]}"
    await run_as_admin(f"CREATE SCHEMA {schema}")
    settings = {
        "search_path": schema,
        "default_transaction_isolation": "repeatable read",
    }
    engine = create_async_engine(
        dialect.async_url(POSTGRES_URL), connect_args={"server_settings": settings}
    )
    once = Database(engine, RetryPolicy(attempts=1))
    try:
        await counter(once)
        await asyncio.gather(
            *(
                once.transaction(add_one_to_the_largest, write_lock=True)
                for _ in range(3)
            )
        )
        assert await numbers(once) == [0, 1, 2, 3]
    finally:
        await once.close()
        await run_as_admin(f"DROP SCHEMA {schema} CASCADE")


async def test_without_the_write_lock_sqlite_refuses_a_read_then_write(
    tmp_path: Path,
) -> None:
    once = open_database(
        f"sqlite:///{tmp_path / 'lock.db'}", retry=RetryPolicy(attempts=1)
    )
    await counter(once)
    first = asyncio.ensure_future(once.transaction(add_one_to_the_largest))
    await asyncio.sleep(0.05)  # it has read

    async def write(connection: AsyncConnection) -> None:
        await connection.execute(text("INSERT INTO t VALUES (100)"))

    await once.transaction(write)  # commits while the first one sleeps
    with pytest.raises(StorageError, match="database is locked"):
        await first  # refused at its write, without waiting
    assert await numbers(once) == [0, 100]
    await once.close()


async def test_unreachable_postgresql_raises_storage_error() -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused.
    database = open_database("postgresql://hubbub@127.0.0.1:1/hubbub", retry=FAST)
    with pytest.raises(StorageError, match="unavailable after 3 attempts"):
        await database.transaction(FlakyWork(0, database_locked()))
    await database.close()


def test_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    open_database(f"sqlite:///{tmp_path / 'data' / 'dir' / 'hubbub.db'}")
    assert (tmp_path / "data" / "dir").is_dir()


def test_schema_is_refused_for_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        open_database(f"sqlite:///{tmp_path / 'x.db'}", schema="other")


def test_sqlite_file_is_known_only_for_a_plain_file_url(tmp_path: Path) -> None:
    plain = open_database(f"sqlite:///{tmp_path / 'h.db'}")
    assert plain.sqlite_file == str(tmp_path / "h.db")
    assert open_database("sqlite://").sqlite_file is None  # in memory
    # A URI filename means something only SQLAlchemy's connection knows how
    # to open: the history writer leaves it to SQLAlchemy.
    assert open_database(f"sqlite:///file:{tmp_path}/u.db?uri=true").sqlite_file is None
    # ... nor does hubbub make a directory named "file:" for it.
    assert not Path("file:").exists()


async def test_a_broken_file_is_a_storage_error_without_the_parameters(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"not a database, " * 1000)
    database = open_database(f"sqlite:///{path}", retry=FAST)

    async def insert(connection: AsyncConnection) -> None:
        await connection.execute(text("SELECT :secret"), {"secret": "hunter2-hash"})

    with pytest.raises(StorageError) as raised:
        await database.transaction(insert)
    # Not retried (it is not an outage), one line, no password hash in it.
    assert str(raised.value) == "database error: DatabaseError: file is not a database"
    await database.close()


async def test_statement_parameters_stay_out_of_error_messages(
    sqlite: Database,
) -> None:
    async def insert_twice(connection: AsyncConnection) -> None:
        await connection.execute(text("CREATE TABLE t (hash TEXT UNIQUE)"))
        for _ in range(2):
            await connection.execute(
                text("INSERT INTO t VALUES (:hash)"), {"hash": "$argon2id$secret"}
            )

    with pytest.raises(IntegrityError) as raised:
        await sqlite.transaction(insert_twice)
    assert "UNIQUE constraint failed" in str(raised.value)
    assert "$argon2id$secret" not in str(raised.value)  # it would be, unhidden
    await sqlite.close()


async def test_a_refusal_such_as_permission_denied_is_a_storage_error(
    sqlite: Database,
) -> None:
    # asyncpg's "permission denied" (42501) reaches SQLAlchemy as a
    # ProgrammingError: an outage of a kind, not a bug to crash on.
    denied = ProgrammingError("SELECT", {}, Exception("permission denied for table"))
    work = FlakyWork(5, denied)
    with pytest.raises(StorageError, match="permission denied for table"):
        await sqlite.transaction(work)
    assert work.calls == 1  # not retried
    await sqlite.close()


async def one(connection: AsyncConnection) -> int:
    return int((await connection.execute(text("SELECT 1"))).scalar_one())


@needs_postgres
async def test_a_frozen_postgresql_fails_in_time_as_an_outage(relay: Relay) -> None:
    """A server that stops answering (frozen, or cut off without a reset)
    fails the transaction after `statement_timeout` and a probe on a new
    connection, instead of holding its caller for good: an outage, so the
    transactions after it fail at once."""
    policy = RetryPolicy(attempts=3, first_delay_seconds=0.001, probe_seconds=0.5)
    database = open_database(relay.url, statement_timeout=0.5, retry=policy)
    loop = asyncio.get_running_loop()
    try:
        assert await database.transaction(one) == 1
        relay.freeze()
        started = loop.time()
        with pytest.raises(UnreachableError, match=r"did not answer in time \(0.5 s\)"):
            await database.transaction(one)
        # The statement, the rollback after it and the probe: not retried,
        # and not for good (it took 1.5 s when this was written).
        assert loop.time() - started < 5
        started = loop.time()
        with pytest.raises(UnreachableError, match="unavailable for"):
            await database.transaction(one)
        assert loop.time() - started < 0.1  # the breaker is open
        relay.thaw()
    finally:
        await database.close()


@needs_postgres
async def test_closing_the_database_during_a_probe_fails_its_waiter_as_storage(
    relay: Relay,
) -> None:
    """A shutdown that closes the database while a transaction waits for
    the probe stops the probe, not that transaction's caller: the caller
    gets a StorageError, as for any outage, not a cancellation."""
    policy = RetryPolicy(attempts=3, first_delay_seconds=0.001, probe_seconds=3.0)
    database = open_database(relay.url, statement_timeout=0.3, retry=policy)
    try:
        assert await database.transaction(one) == 1
        relay.freeze()
        waiter = asyncio.ensure_future(database.transaction(one))
        for _ in range(500):  # until the statement has timed out (0.3 s)
            if database._probe is not None:  # and the probe is on its way
                break
            await asyncio.sleep(0.01)
        await database.close()
        with pytest.raises(UnreachableError, match="did not answer in time"):
            await waiter
        assert not waiter.cancelled()
    finally:
        relay.thaw()
        await database.close()


async def hold_lock_of(key: int, held: asyncio.Event, done: asyncio.Event) -> None:
    """Hold PostgreSQL's advisory lock `key` (on a connection of its own)
    from when `held` is set until `done` is."""
    assert POSTGRES_URL is not None
    holder = open_database(POSTGRES_URL)
    try:
        async with holder.engine.connect() as connection:
            await connection.execute(text(f"SELECT pg_advisory_lock({key})"))
            held.set()
            await done.wait()
            await connection.execute(text(f"SELECT pg_advisory_unlock({key})"))
    finally:
        await holder.close()


@needs_postgres
@pytest.mark.parametrize("waits_for", ["a lock", "a heavy query"])
async def test_a_slow_statement_fails_alone_when_the_database_answers(
    waits_for: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A statement that times out waiting for a lock, or working, on a
    server that answers: that transaction fails (once, not retried), and
    the outage breaker stays closed for everyone else."""
    assert POSTGRES_URL is not None
    policy = RetryPolicy(attempts=3, first_delay_seconds=0.001)
    database = open_database(POSTGRES_URL, statement_timeout=0.5, retry=policy)
    key = uuid.uuid4().int >> 65  # a lock of this test's own
    held, done = asyncio.Event(), asyncio.Event()
    holder = asyncio.ensure_future(hold_lock_of(key, held, done))
    slow = "SELECT pg_sleep(30)"
    if waits_for == "a lock":
        await held.wait()
        slow = f"SELECT pg_advisory_xact_lock({key})"
    calls = 0

    async def wait(connection: AsyncConnection) -> None:
        nonlocal calls
        calls += 1
        await connection.execute(text(slow))

    try:
        with pytest.raises(
            StorageError, match="from a database that answers"
        ) as raised:
            await database.transaction(wait)
        assert not isinstance(raised.value, UnreachableError)
        assert calls == 1
        assert await database.transaction(one) == 1  # at once: no breaker
    finally:
        done.set()
        await holder
        await database.close()
    assert not [r for r in caplog.records if "failing at once" in r.getMessage()]


@needs_postgres
async def test_a_misused_driver_is_a_storage_error_not_an_outage() -> None:
    """asyncpg's InterfaceError for a statement it cannot send (here, a
    parameter missing) is a bug: not retried, and no outage."""
    assert POSTGRES_URL is not None
    database = open_database(POSTGRES_URL, retry=FAST)
    calls = 0

    async def misuse(connection: AsyncConnection) -> None:
        nonlocal calls
        calls += 1
        await connection.exec_driver_sql("SELECT $1::integer", ())

    try:
        with pytest.raises(StorageError, match="server expects 1 argument") as raised:
            await database.transaction(misuse)
        assert not isinstance(raised.value, UnreachableError)
        assert calls == 1
        assert await database.transaction(one) == 1
    finally:
        await database.close()


@needs_postgres
async def test_a_closed_connection_is_retried_then_an_outage(
    relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    """asyncpg's InterfaceError for a pooled connection that the server (or
    the network) closed meanwhile: another attempt, on a new connection,
    passes; with no attempt left, it is an outage."""
    database = open_database(relay.url, retry=FAST)
    once = Database(database.engine, RetryPolicy(attempts=1, outage_retry_seconds=0))
    try:
        await relay.cut_pooled_connection(database)
        assert await database.transaction(one) == 1
        retries = [r.getMessage() for r in caplog.records if "retrying" in r.msg]
        assert retries == [
            "! storage: InterfaceError: connection is closed; retrying in 0.00 s"
        ]
        await relay.cut_pooled_connection(database)
        with pytest.raises(UnreachableError, match="connection is closed"):
            await once.transaction(one)
    finally:
        await database.close()


async def test_an_outage_fails_later_transactions_at_once_then_tries_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Once retries are spent, the next transactions fail without waiting
    (and without a retry line each), until one is tried again, once, after
    `outage_retry_seconds`; the first that passes ends the outage."""
    policy = RetryPolicy(
        attempts=3, first_delay_seconds=0.001, outage_retry_seconds=0.2
    )
    database = open_database(f"sqlite:///{tmp_path / 'outage.db'}", retry=policy)
    loop = asyncio.get_running_loop()
    try:
        down = FlakyWork(100, ConnectionRefusedError(111, "Connection refused"))
        with pytest.raises(StorageError, match="after 3 attempts"):
            await database.transaction(down)
        assert down.calls == 3
        started = loop.time()
        with pytest.raises(StorageError, match=r"database unavailable for \d+ s"):
            await database.transaction(down)
        assert down.calls == 3  # not even tried
        assert loop.time() - started < 0.1
        await asyncio.sleep(0.25)
        with pytest.raises(StorageError):
            await database.transaction(down)
        assert down.calls == 4  # tried once, no retries
        await asyncio.sleep(0.25)
        assert await database.transaction(FlakyWork(0, database_locked())) == 42
        up = FlakyWork(1, database_locked())
        assert await database.transaction(up) == 42  # retried again as usual
        assert up.calls == 2
        # A lock another writer holds too long is no outage: no breaker.
        with pytest.raises(StorageError, match="after 3 attempts"):
            await database.transaction(FlakyWork(3, database_locked()))
        assert await database.transaction(FlakyWork(0, database_locked())) == 42
    finally:
        await database.close()
    messages = [r.getMessage() for r in caplog.records if r.name.endswith("database")]
    assert sum("failing at once" in m for m in messages) == 1
    assert sum("answers again" in m for m in messages) == 1


async def test_an_outage_is_said_once_and_probed_by_one_transaction_at_a_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = RetryPolicy(attempts=2, first_delay_seconds=0.01, outage_retry_seconds=0.2)
    database = open_database(f"sqlite:///{tmp_path / 'outage.db'}", retry=policy)

    class SlowRefusal(FlakyWork):
        async def __call__(self, connection: AsyncConnection) -> int:
            await asyncio.sleep(0.05)  # a try takes a while, as a connect does
            return await super().__call__(connection)

    down = SlowRefusal(1000, ConnectionRefusedError(111, "Connection refused"))
    try:
        # Ten under way when the outage begins: the log says it once.
        results = await asyncio.gather(
            *(database.transaction(down) for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(result, StorageError) for result in results)
        await asyncio.sleep(0.25)
        calls = down.calls
        # Ten more once a try is due: one of them tries, the rest fail at once.
        results = await asyncio.gather(
            *(database.transaction(down) for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(result, StorageError) for result in results)
        assert down.calls == calls + 1
    finally:
        await database.close()
    messages = [r.getMessage() for r in caplog.records if r.name.endswith("database")]
    assert sum("failing at once" in m for m in messages) == 1
