"""`open_storage`: the stores for each URL form; what is stored survives a restart."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from hubbub.storage import dialect
from hubbub.storage.database import STATEMENT_TIMEOUT_SECONDS
from hubbub.storage.errors import StorageError
from hubbub.storage.memory import MemoryAccountStore, MemoryHistoryStore
from hubbub.storage.open import open_storage
from hubbub.storage.sql import SqlAccountStore, SqlHistoryStore
from tests.storage.conftest import POSTGRES_URL, needs_postgres
from tests.storage.samples import account, channel, item


async def test_memory_url_gives_the_memory_stores() -> None:
    storage = await open_storage("memory")
    assert isinstance(storage.accounts, MemoryAccountStore)
    assert isinstance(storage.history, MemoryHistoryStore)
    assert storage.database is None
    await storage.close()


async def test_sqlite_url_creates_the_file_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "data" / "hubbub.db"
    storage = await open_storage(f"sqlite:///{path}")
    assert isinstance(storage.accounts, SqlAccountStore)
    assert isinstance(storage.history, SqlHistoryStore)
    assert path.is_file()
    await storage.close()


async def test_unknown_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="use memory"):
        await open_storage("redis://localhost")


async def test_sqlite_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hubbub.db'}"
    first = await open_storage(url)
    await first.accounts.create_account(account())
    await first.accounts.save_channel(channel())
    first.history.append(item("said before the restart"))
    await first.close()  # a clean shutdown commits what is pending

    second = await open_storage(url)
    assert await second.accounts.get_account("alice") == account()
    assert await second.accounts.get_channel("#tea") == channel()
    assert await second.history.find("", "#tea", "id-said before the restart")
    await second.close()


@needs_postgres
async def test_postgresql_stores_bound_their_statements() -> None:
    """The server's stores wait at most STATEMENT_TIMEOUT_SECONDS for an
    answer; the migration before them, on a connection of its own, has no
    such bound (a schema change on a big database may take longer)."""
    assert POSTGRES_URL is not None
    storage = await open_storage(POSTGRES_URL)
    try:
        assert storage.database is not None
        assert storage.database.statement_timeout == STATEMENT_TIMEOUT_SECONDS
        assert await storage.accounts.get_account("nobody") is None
    finally:
        await storage.close()


async def test_an_unreachable_postgresql_is_waited_for_then_given_up_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused.
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(
        StorageError, match=r"^postgresql://hubbub@127\.0\.0\.1:1/hubbub: .*failed"
    ):
        await open_storage("postgresql://hubbub@127.0.0.1:1/hubbub", wait_seconds=1.5)
    assert loop.time() - started >= 1.5
    messages = [r.getMessage() for r in caplog.records]
    assert sum("waiting up to 1.5 s" in m for m in messages) == 1
    assert sum("failing at once" in m for m in messages) == 1  # not once a try


@needs_postgres
async def test_a_postgresql_that_comes_up_during_the_wait_is_used() -> None:
    """PostgreSQL behind a port that starts answering only after a second,
    as a server started beside hubbub does."""
    assert POSTGRES_URL is not None
    real = dialect.async_url(POSTGRES_URL)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(real.host, real.port)

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter
        ) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    with socket.socket() as probe:  # a free port, for the server to come
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)

    async def come_up_later() -> asyncio.Server:
        await asyncio.sleep(1.0)
        return await asyncio.start_server(relay, "127.0.0.1", port)

    later = asyncio.ensure_future(come_up_later())
    storage = await open_storage(url, wait_seconds=20)
    server = await later
    try:
        assert await storage.accounts.get_account("nobody") is None
    finally:
        await storage.close()
        server.close()
