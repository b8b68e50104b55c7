"""`open_storage`: the stores for each URL form; what is stored survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubbub.storage.database import STATEMENT_TIMEOUT_SECONDS
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
