"""Migrations: an empty database and one at the previous revision reach the head."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core.ports import HistoryItem
from hubbub.storage.database import Database
from hubbub.storage.migrate import alembic_config, current_revision, upgrade
from hubbub.storage.open import open_sql_storage
from hubbub.storage.schema import accounts, history, history_staged, metadata
from tests.storage.samples import ALICE, T0

PREVIOUS = "0001"


def head_revision() -> str | None:
    """The newest revision in the script directory."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def schema_differences(database: Database) -> list[Any]:
    """What Alembic's autogenerate finds between the database and `schema.py`."""

    def compare(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    async def run(connection: AsyncConnection) -> list[Any]:
        return await connection.run_sync(compare)

    return await database.transaction(run)


async def table_names(database: Database) -> set[str]:
    """The tables in the database."""

    async def run(connection: AsyncConnection) -> set[str]:
        return set(
            await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        )

    return await database.transaction(run)


def test_revisions_form_one_line_ending_at_the_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [revision.revision for revision in script.walk_revisions()]
    assert revisions == ["0005", "0004", "0003", "0002", PREVIOUS]
    assert head_revision() == "0005"


async def test_empty_database_comes_up_to_the_head(database: Database) -> None:
    assert await current_revision(database) is None
    await upgrade(database)
    assert await current_revision(database) == head_revision()
    assert await table_names(database) == {
        "alembic_version",
        "accounts",
        "account_certfps",
        "channels",
        "history",
        "history_staged",
    }


async def test_migrated_schema_matches_schema_module(database: Database) -> None:
    await upgrade(database)
    assert await schema_differences(database) == []


async def test_database_at_previous_revision_comes_up_keeping_its_data(
    database: Database,
) -> None:
    await upgrade(database, PREVIOUS)
    assert "channels" not in await table_names(database)

    async def fill(connection: AsyncConnection) -> None:
        await connection.execute(
            insert(accounts),
            {
                "key": "alice",
                "name": "Alice",
                "password_hash": ALICE.password_hash,
                "verified": True,
                "created_at": T0,
            },
        )
        await connection.execute(
            insert(history),
            {
                "owner": "",
                "target": "#tea",
                "msgid": "m1",
                "at": T0,
                "source": "alice!a@h",
                "command": "PRIVMSG",
                "params": '["#tea", "kept"]',
                "tags": "{}",
            },
        )

    await database.transaction(fill)
    storage = await open_sql_storage(database)  # migrates, as at start-up
    assert await current_revision(database) == head_revision()
    alice = await storage.accounts.get_account("alice")
    assert alice is not None
    assert (alice.name, alice.certfps, alice.scram) == ("Alice", (), None)
    kept = await storage.history.find("", "#tea", "m1")
    assert kept is not None
    assert kept.params == ("#tea", "kept")
    await storage.close()


async def test_history_at_0002_keeps_its_rows_and_finds_them_by_msgid(
    database: Database,
) -> None:
    await upgrade(database, "0002")

    async def fill(connection: AsyncConnection) -> None:
        await connection.execute(
            insert(history),
            [
                {
                    "owner": owner,
                    "target": target,
                    "msgid": "m7",
                    "at": T0,
                    "source": "alice!a@h",
                    "command": "PRIVMSG",
                    "params": '["bob", "before the index changed"]',
                    "tags": "{}",
                }
                for owner, target in (("n:alice", "bob"), ("n:bob", "alice"))
            ],
        )

    await database.transaction(fill)
    storage = await open_sql_storage(database)
    for owner, target in (("n:alice", "bob"), ("n:bob", "alice")):
        kept = await storage.history.find(owner, target, "m7")
        assert kept is not None
        assert (kept.owner, kept.target) == (owner, target)
    assert await storage.history.find("n:carol", "bob", "m7") is None
    await storage.close()
    assert await schema_differences(database) == []


async def test_upgrading_at_the_head_changes_nothing(database: Database) -> None:
    await upgrade(database)
    await upgrade(database)
    assert await current_revision(database) == head_revision()


async def test_downgrade_from_0004_splits_private_messages_into_two_rows(
    database: Database,
) -> None:
    storage = await open_sql_storage(database)
    storage.history.append(
        HistoryItem(
            "a:alice", "bob", "pm1", T0, "alice!a@h", "alice", "PRIVMSG", ("bob", "hi")
        ).replace(peer_owner="n:bob", peer_target="alice")
    )
    await storage.close()

    async def downgrade(connection: AsyncConnection) -> None:
        await connection.run_sync(
            lambda sync: command.downgrade(alembic_config(connection=sync), "0003")
        )

    await database.transaction(downgrade)
    assert await current_revision(database) == "0003"
    if database.dialect == "sqlite":

        async def table_sql(connection: AsyncConnection) -> str:
            result = await connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'history'"
            )
            return str(result.scalar_one())

        # The rebuilt table still never reuses a seq.
        assert "AUTOINCREMENT" in await database.transaction(table_sql)
    storage = await open_sql_storage(database)  # and up again
    for owner, target in (("a:alice", "bob"), ("n:bob", "alice")):
        found = await storage.history.find(owner, target, "pm1")
        assert found is not None
        assert found.params == ("bob", "hi")
    await storage.close()


async def test_downgrade_from_0005_moves_staged_rows_into_history(
    database: Database,
) -> None:
    await upgrade(database)

    async def stage(connection: AsyncConnection) -> None:
        await connection.execute(
            insert(history_staged),
            {
                "seq": 7,
                "owner": "n:alice",
                "target": "bob",
                "msgid": "pm1",
                "at": T0,
                "source": "alice!a@h",
                "command": "PRIVMSG",
                "params": '["bob", "staged"]',
                "tags": "{}",
                "peer_owner": "n:bob",
                "peer_target": "alice",
            },
        )

    async def downgrade(connection: AsyncConnection) -> None:
        await connection.run_sync(
            lambda sync: command.downgrade(alembic_config(connection=sync), "0004")
        )

    await database.transaction(stage)
    await database.transaction(downgrade)
    assert "history_staged" not in await table_names(database)
    storage = await open_sql_storage(database)  # and up again
    found = await storage.history.find("n:bob", "alice", "pm1")
    assert found is not None
    assert (found.seq, found.params) == (7, ("bob", "staged"))
    await storage.close()
