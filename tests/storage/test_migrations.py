"""Migrations: an empty database and one at the previous revision reach the head."""

from __future__ import annotations

import json
import pickle
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.core.ports import HistoryItem
from hubbub.storage import blocks, builtin_pickle
from hubbub.storage.database import Database
from hubbub.storage.migrate import alembic_config, current_revision, upgrade
from hubbub.storage.open import Storage, open_sql_storage
from hubbub.storage.schema import accounts, metadata
from tests.storage.samples import ALICE, T0

PREVIOUS = "0001"

# History's tables as they were before blocks (0005): frozen here, as the
# migrations keep them.
_ROW_COLUMNS = (
    "owner target msgid at source account command params tags peer_owner peer_target"
)
history = sa.table("history", *map(sa.column, _ROW_COLUMNS.split()))
history_with_seq = sa.table(
    "history", sa.column("seq"), *map(sa.column, _ROW_COLUMNS.split())
)
history_staged = sa.table(
    "history_staged", sa.column("seq"), *map(sa.column, _ROW_COLUMNS.split())
)


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
    assert revisions == [
        "0011",
        "0010",
        "0009",
        "0008",
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        PREVIOUS,
    ]
    assert head_revision() == "0011"


async def test_empty_database_comes_up_to_the_head(database: Database) -> None:
    assert await current_revision(database) is None
    await upgrade(database)
    assert await current_revision(database) == head_revision()
    assert await table_names(database) == {
        "alembic_version",
        "accounts",
        "account_certfps",
        "channels",
        "history_blocks",
        "history_blocks_staged",
        "counters",
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
    await upgrade(database, "0005")

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


def history_row(
    seq: int, owner: str, target: str, text: str, **peer: str
) -> dict[str, Any]:
    """A `history` row as it was before blocks (0005)."""
    return {
        "seq": seq,
        "owner": owner,
        "target": target,
        "msgid": f"m{seq}",
        "at": T0 + seq,
        "source": "alice!a@h",
        "account": None,
        "command": "PRIVMSG",
        "params": json.dumps([target, text]),
        "tags": "{}",
        "peer_owner": peer.get("peer_owner"),
        "peer_target": peer.get("peer_target"),
    }


# alice's and bob's private histories, and #tea's.
CONVERSATION = [("a:alice", "bob"), ("n:bob", "alice"), ("", "#tea")]


async def read_conversation(storage: Storage) -> list[list[HistoryItem]]:
    """Everything in the three histories of CONVERSATION, oldest first."""
    return [
        await storage.history.select(
            owner, target, after=None, before=None, limit=10, newest_first=False
        )
        for owner, target in CONVERSATION
    ]


async def downgrade_to(database: Database, revision: str) -> None:
    async def downgrade(connection: AsyncConnection) -> None:
        await connection.run_sync(
            lambda sync: command.downgrade(alembic_config(connection=sync), revision)
        )

    await database.transaction(downgrade)


async def test_upgrade_to_0006_puts_every_row_in_its_histories_blocks(
    database: Database,
) -> None:
    await upgrade(database, "0005")
    to_bob = {"peer_owner": "n:bob", "peer_target": "alice"}

    async def fill(connection: AsyncConnection) -> None:
        await connection.execute(
            insert(history_with_seq),
            [
                history_row(1, "", "#tea", "channel"),
                history_row(2, "a:alice", "bob", "both hold it", **to_bob),
                history_row(3, "n:bob", "alice", "alice let it go"),  # trimmed twin
                history_row(9, "", "#tea", "deleted later"),
            ],
        )
        await connection.execute(
            insert(history_staged),
            history_row(10, "a:alice", "bob", "staged", **to_bob),
        )
        await connection.execute(history.delete().where(sa.column("msgid") == "m9"))

    await database.transaction(fill)
    storage = await open_sql_storage(database)  # migrates to the head

    async def read(owner: str, target: str) -> list[tuple[int, str, str]]:
        items = await storage.history.select(
            owner, target, after=None, before=None, limit=10, newest_first=False
        )
        return [(i.seq, i.params[1], i.peer_owner) for i in items]

    assert await read("", "#tea") == [(1, "channel", "")]
    assert await read("a:alice", "bob") == [
        (2, "both hold it", "n:bob"),
        (10, "staged", "n:bob"),
    ]
    assert await read("n:bob", "alice") == [
        (2, "both hold it", "a:alice"),
        (3, "alice let it go", ""),
        (10, "staged", "a:alice"),
    ]
    found = await storage.history.find("n:bob", "alice", "m10")
    assert found is not None
    assert found.owner == "n:bob"
    storage.history.append(
        HistoryItem(
            "", "#tea", "new", T0 + 20, "a!a@h", None, "PRIVMSG", ("#tea", "new")
        )
    )
    await storage.history.commit()
    assert (await read("", "#tea"))[-1][0] == 11  # past every seq used
    await storage.close()
    assert await schema_differences(database) == []


async def test_downgrade_from_0006_gives_one_row_per_message(
    database: Database,
) -> None:
    storage = await open_sql_storage(database)
    alice_to_bob = HistoryItem(
        "a:alice", "bob", "pm1", T0, "alice!a@h", "alice", "PRIVMSG", ("bob", "hi")
    ).replace(peer_owner="n:bob", peer_target="alice")
    storage.history.append(alice_to_bob)
    # bob files pm2 under alice's second nick.
    storage.history.append(
        alice_to_bob.replace(msgid="pm2", at=T0 + 1, peer_target="alice2")
    )
    storage.history.append(
        HistoryItem("", "#tea", "c1", T0, "alice!a@h", None, "PRIVMSG", ("#tea", "x"))
    )
    await storage.history.commit()
    # alice's history keeps pm2 only; pm1 stays in bob's.
    await storage.history.apply_retention(older_than=None, keep_per_target=1)
    await storage.close()
    await downgrade_to(database, "0005")

    async def rows(connection: AsyncConnection) -> list[tuple[Any, ...]]:
        result = await connection.exec_driver_sql(
            "SELECT seq, owner, target, msgid, peer_owner, peer_target FROM history"
            " ORDER BY seq"
        )
        return [tuple(row) for row in result]

    assert await database.transaction(rows) == [
        (1, "n:bob", "alice", "pm1", None, None),
        (2, "a:alice", "bob", "pm2", "n:bob", "alice2"),
        (3, "", "#tea", "c1", None, None),
    ]
    storage = await open_sql_storage(database)  # and up again: seqs go on
    storage.history.append(alice_to_bob.replace(msgid="pm3", at=T0 + 2))
    await storage.history.commit()
    newest = await storage.history.select(
        "n:bob", "alice", after=None, before=None, limit=1, newest_first=True
    )
    assert [(i.msgid, i.seq) for i in newest] == [("pm3", 4)]
    await storage.close()


async def test_downgrade_from_0007_gives_each_party_its_own_blocks(
    database: Database,
) -> None:
    storage = await open_sql_storage(database)
    hi = HistoryItem(
        "a:alice", "bob", "pm1", T0, "alice!a@h", "alice", "PRIVMSG", ("bob", "hi")
    ).replace(peer_owner="n:bob", peer_target="alice")
    back = HistoryItem(
        "n:bob", "alice", "pm2", T0 + 1, "bob!b@h", None, "PRIVMSG", ("alice", "yo")
    ).replace(peer_owner="a:alice", peer_target="bob")
    channel = HistoryItem(
        "", "#tea", "c1", T0, "alice!a@h", None, "PRIVMSG", ("#tea", "x")
    )
    for appended in (hi, back, channel):
        storage.history.append(appended)
    await storage.history.commit()
    before = await read_conversation(storage)
    assert [len(items) for items in before] == [2, 2, 1]
    await storage.close()

    async def blocks_at(connection: AsyncConnection) -> list[tuple[Any, ...]]:
        result = await connection.exec_driver_sql(
            "SELECT owner, target, count, entries FROM history_blocks ORDER BY seq"
        )
        return [tuple(row) for row in result]

    shared = await database.transaction(blocks_at)
    assert [row[:3] for row in shared] == [("a:alice", "bob", 2), ("", "#tea", 1)]
    await downgrade_to(database, "0006")
    split = await database.transaction(blocks_at)
    assert [row[:3] for row in split] == [
        ("a:alice", "bob", 2),
        ("", "#tea", 1),
        ("n:bob", "alice", 2),
    ]
    assert split[0][3] == split[2][3]  # the same entries, each party its own
    # JSON again, as 0006 wrote it.
    assert [entry[6][1] for entry in json.loads(split[0][3])] == ["hi", "yo"]
    storage = await open_sql_storage(database)  # and up again: the same reads
    assert await read_conversation(storage) == before
    await storage.close()
    assert await schema_differences(database) == []


async def test_downgrade_from_0008_moves_staged_blocks_into_history_blocks(
    database: Database,
) -> None:
    storage = await open_sql_storage(database)
    for n in range(3):  # three batches; SQLite stages their blocks
        storage.history.append(
            HistoryItem(
                "", "#tea", f"c{n}", T0 + n, "a!a@h", None, "PRIVMSG", ("#tea", f"m{n}")
            )
        )
        await storage.history.commit()
    await storage.close()  # what is staged stays staged

    async def texts(connection: AsyncConnection) -> list[str]:
        result = await connection.exec_driver_sql(
            "SELECT entries FROM history_blocks ORDER BY seq"
        )
        return [entry[6][1] for (data,) in result for entry in blocks.entries_of(data)]

    await downgrade_to(database, "0007")
    assert await database.transaction(texts) == ["m0", "m1", "m2"]
    assert "history_blocks_staged" not in await table_names(database)
    storage = await open_sql_storage(database)  # and up again
    newest = await storage.history.select(
        "", "#tea", after=None, before=None, limit=10, newest_first=False
    )
    assert [item.msgid for item in newest] == ["c0", "c1", "c2"]
    await storage.close()
    assert await schema_differences(database) == []


async def test_downgrades_from_0010_and_0009_turn_blocks_into_formats_2_then_1(
    database: Database,
) -> None:
    await upgrade(database, "0008")
    # A block that 0008 wrote, in format 1, stays as it is on the way up.
    old = pickle.dumps(
        [(1, "c0", T0, "a!a@h", None, "PRIVMSG", ("#tea", "old"), None)], protocol=5
    )

    columns = "owner target first_at last_at first_seq last_seq count entries"
    blocks_at_0008 = sa.table("history_blocks", *map(sa.column, columns.split()))

    async def fill(connection: AsyncConnection) -> None:
        await connection.execute(
            insert(blocks_at_0008).values(
                owner="",
                target="#tea",
                first_at=T0,
                last_at=T0,
                first_seq=1,
                last_seq=1,
                count=1,
                entries=old,
            )
        )
        await connection.exec_driver_sql(
            "UPDATE counters SET value = 1 WHERE name = 'history_seq'"
        )

    await database.transaction(fill)
    storage = await open_sql_storage(database)  # up to the head
    tagged = HistoryItem(
        "a:alice", "bob", "pm1", T0 + 1, "alice!a@h", "alice", "PRIVMSG", ("bob", "hi")
    ).replace(peer_owner="n:bob", peer_target="alice", tags={"+draft/react": "x"})
    back = HistoryItem(
        "n:bob", "alice", "pm2", T0 + 2, "bob!b@h", None, "PRIVMSG", ("alice", "yo")
    ).replace(peer_owner="a:alice", peer_target="bob")
    # A NOTICE: alice's side's head is her PRIVMSG's, which it does not share.
    notice = tagged.replace(
        msgid="pm3", at=T0 + 4, command="NOTICE", params=("bob", "bye"), tags={}
    )
    for appended in (
        tagged,
        back,
        HistoryItem(
            "", "#tea", "c1", T0 + 3, "a!a@h", None, "PRIVMSG", ("#tea", "new")
        ),
        notice,
        # A second sender in the channel: a second head of its side.
        HistoryItem(
            "", "#tea", "c2", T0 + 5, "b!b@h", "bee", "PRIVMSG", ("#tea", "also")
        ),
    ):
        storage.history.append(appended)
    await storage.history.commit()
    before = await read_conversation(storage)
    assert [[item.msgid for item in items] for items in before] == [
        ["pm1", "pm2", "pm3"],
        ["pm1", "pm2", "pm3"],
        ["c0", "c1", "c2"],
    ]
    await storage.close()

    async def formats(connection: AsyncConnection) -> list[str]:
        found = []
        for table in ("history_blocks", "history_blocks_staged"):
            result = await connection.exec_driver_sql(f"SELECT entries FROM {table}")
            for (data,) in result:
                value = builtin_pickle.loads(data)
                found.append("1" if isinstance(value, list) else str(value[0]))
        return sorted(found)

    async def entries(connection: AsyncConnection) -> list[Any]:
        result = await connection.exec_driver_sql(
            "SELECT entries FROM history_blocks UNION ALL"
            " SELECT entries FROM history_blocks_staged"
        )
        return sorted(entry for (data,) in result for entry in blocks.entries_of(data))

    assert await database.transaction(formats) == ["1", "3", "3"]
    written = await database.transaction(entries)
    await downgrade_to(database, "0009")
    assert await database.transaction(formats) == ["1", "2", "2"]
    assert await database.transaction(entries) == written
    await downgrade_to(database, "0008")
    assert await database.transaction(formats) == ["1", "1", "1"]
    assert await database.transaction(entries) == written
    storage = await open_sql_storage(database)  # and up again: the same reads
    assert await read_conversation(storage) == before
    await storage.close()
    assert await schema_differences(database) == []


async def test_0011_names_account_histories_by_creation_time_in_every_format(
    database: Database,
) -> None:
    storage = await open_sql_storage(database)
    assert await storage.accounts.create_account(ALICE)  # key "alice", at T0
    timed = f"a:alice:{T0!r}"
    # As the server wrote them before 0011: alice's history by name alone.
    to_bob = HistoryItem(
        "a:alice", "bob", "pm1", T0, "alice!a@h", "Alice", "PRIVMSG", ("bob", "hi")
    ).replace(peer_owner="n:bob", peer_target="alice")
    to_alice = HistoryItem(
        "n:bob", "alice", "pm2", T0 + 1, "bob!b@h", None, "PRIVMSG", ("alice", "yo")
    ).replace(peer_owner="a:alice", peer_target="bob")
    # An earlier account of the same name, deleted while a crash kept its
    # history (after 0011): it keeps its time, down and up again.
    older = f"a:alice:{T0 - 100!r}"
    from_older = HistoryItem(
        older, "bob", "pm0", T0 - 100, "alice!a@h", "Alice", "PRIVMSG", ("bob", "0")
    ).replace(peer_owner="n:bob", peer_target="alice")
    # An account deleted without its history: it keeps its bare name.
    from_gone = HistoryItem(
        "a:gone", "bob", "pm3", T0 + 2, "gone!g@h", "gone", "PRIVMSG", ("bob", "x")
    ).replace(peer_owner="n:bob", peer_target="gone")
    channel = HistoryItem(
        "", "#tea", "c1", T0, "alice!a@h", "Alice", "PRIVMSG", ("#tea", "all")
    )
    for appended in (to_bob, to_alice, from_older, from_gone, channel):
        storage.history.append(appended)
    await storage.history.commit()
    await storage.close()

    async def owners(connection: AsyncConnection) -> list[tuple[str, str | None]]:
        result = await connection.exec_driver_sql(
            "SELECT owner, peer_owner FROM history_blocks UNION ALL"
            " SELECT owner, peer_owner FROM history_blocks_staged"
        )
        return sorted((str(row.owner), row.peer_owner) for row in result)

    bare = [
        ("", None),
        ("a:alice", "n:bob"),
        (older, "n:bob"),
        ("a:gone", "n:bob"),
    ]
    # Down to 0010 (format 3 blocks), 0009 (format 2) and 0008 (format 1),
    # each time up again: the names in the rows and in the entries.
    for revision in ("0010", "0009", "0008"):
        await downgrade_to(database, revision)
        assert await database.transaction(owners) == bare
        storage = await open_sql_storage(database)
        assert await database.transaction(owners) == [
            ("", None),
            (older, "n:bob"),
            (timed, "n:bob"),
            ("a:gone", "n:bob"),
        ]
        history = storage.history
        assert await history.owners("a:") == [older, timed, "a:gone"]
        mine = await history.select(
            timed, "bob", after=None, before=None, limit=10, newest_first=False
        )
        # Each as alice's history holds it, whoever sent it.
        assert [(i.msgid, i.owner, i.target, i.peer_owner) for i in mine] == [
            ("pm1", timed, "bob", "n:bob"),
            ("pm2", timed, "bob", "n:bob"),
        ]
        assert (
            await history.select(
                "a:alice", "bob", after=None, before=None, limit=10, newest_first=False
            )
            == []
        )
        bobs = await history.select(
            "n:bob", "alice", after=None, before=None, limit=10, newest_first=False
        )
        assert [(i.msgid, i.owner, i.peer_owner) for i in bobs] == [
            ("pm0", "n:bob", older),
            ("pm1", "n:bob", timed),
            ("pm2", "n:bob", timed),
        ]
        gone = await history.select(
            "n:bob", "gone", after=None, before=None, limit=10, newest_first=False
        )
        assert [(i.msgid, i.peer_owner) for i in gone] == [("pm3", "a:gone")]
        await storage.close()
    assert await schema_differences(database) == []
