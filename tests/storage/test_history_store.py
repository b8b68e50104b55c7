"""The `HistoryStore` contract, for every store: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from hubbub.core.msgids import msgid
from hubbub.core.ports import Cursor, HistoryItem
from hubbub.storage.errors import StorageError
from hubbub.storage.open import Storage
from hubbub.storage.sql import SqlHistoryStore
from hubbub.storage.sql_history import _stored
from tests.storage.conftest import SQL_KINDS, needs_postgres
from tests.storage.pg_relay import Relay
from tests.storage.samples import T0, item, texts


async def append_all(storage: Storage, *items: HistoryItem) -> list[HistoryItem]:
    """Append and commit `items`; return the history of the first one's target."""
    for appended in items:
        storage.history.append(appended)
    await storage.history.commit()
    return await read_all(storage)


async def read_all(
    storage: Storage, owner: str = "", target: str = "#tea"
) -> list[HistoryItem]:
    """Everything in the history (owner, target), oldest first."""
    return await storage.history.select(
        owner, target, after=None, before=None, limit=1000, newest_first=False
    )


# Appending and reading back


async def test_committed_item_reads_back_with_a_storage_order(storage: Storage) -> None:
    sent = item("hello", tags={"+draft/reply": "id-0", "+emoji": "🍵 ;\\ x"})
    [stored] = await append_all(storage, sent)
    assert stored.seq > 0
    assert stored == HistoryItem(
        owner=sent.owner,
        target=sent.target,
        msgid=sent.msgid,
        at=sent.at,
        source=sent.source,
        account=sent.account,
        command=sent.command,
        params=sent.params,
        tags=sent.tags,
        seq=stored.seq,
    )


async def test_event_without_account_or_tags_reads_back(storage: Storage) -> None:
    quit_event = HistoryItem(
        owner="",
        target="#tea",
        msgid="q1",
        at=T0 + 0.123456,
        source="bob!bob@host",
        account=None,
        command="QUIT",
        params=("Quit: bye :)",),
    )
    [stored] = await append_all(storage, quit_event)
    assert (stored.account, stored.params, stored.tags) == (None, ("Quit: bye :)",), {})
    assert stored.at == T0 + 0.123456


async def test_items_come_back_oldest_first_then_in_storage_order(
    storage: Storage,
) -> None:
    stored = await append_all(
        storage, item("late", at=T0 + 2), item("early", at=T0), item("tie", at=T0)
    )
    assert texts(stored) == ["early", "tie", "late"]
    assert stored[0].seq < stored[1].seq


async def test_reads_see_items_appended_without_commit(storage: Storage) -> None:
    storage.history.append(item("pending"))
    assert texts(await read_all(storage)) == ["pending"]


async def test_commit_with_nothing_appended_returns(storage: Storage) -> None:
    await storage.history.commit()
    assert await read_all(storage) == []


async def test_histories_are_kept_apart(storage: Storage) -> None:
    await append_all(
        storage,
        item("channel"),
        item("to bob", owner="a:alice", target="bob"),
        item("from alice", owner="n:bob", target="alice"),
        item("other channel", target="#coffee"),
    )
    assert texts(await read_all(storage)) == ["channel"]
    assert texts(await read_all(storage, "a:alice", "bob")) == ["to bob"]
    assert texts(await read_all(storage, "n:bob", "alice")) == ["from alice"]
    assert await read_all(storage, "a:alice", "#tea") == []


# Selecting between cursors


async def test_select_is_strictly_between_cursors(storage: Storage) -> None:
    first, second, third, fourth = await append_all(
        storage, *(item(str(n), at=T0 + n) for n in range(4))
    )
    between = await storage.history.select(
        "",
        "#tea",
        after=Cursor(first.at, first.seq),
        before=Cursor(fourth.at, fourth.seq),
        limit=10,
        newest_first=False,
    )
    assert between == [second, third]


async def test_cursor_separates_items_of_the_same_time_by_seq(storage: Storage) -> None:
    first, second, third = await append_all(storage, item("a"), item("b"), item("c"))
    after_first = await storage.history.select(
        "",
        "#tea",
        after=Cursor(T0, first.seq),
        before=None,
        limit=10,
        newest_first=False,
    )
    assert after_first == [second, third]
    before_third = await storage.history.select(
        "",
        "#tea",
        after=None,
        before=Cursor(T0, third.seq),
        limit=10,
        newest_first=False,
    )
    assert before_third == [first, second]


async def test_timestamp_cursor_with_seq_zero_includes_that_time(
    storage: Storage,
) -> None:
    await append_all(storage, item("before", at=T0 - 1), item("at", at=T0))
    found = await storage.history.select(
        "", "#tea", after=Cursor(T0, 0), before=None, limit=10, newest_first=False
    )
    assert texts(found) == ["at"]


async def test_limit_takes_the_oldest(storage: Storage) -> None:
    await append_all(storage, *(item(str(n), at=T0 + n) for n in range(5)))
    found = await storage.history.select(
        "", "#tea", after=None, before=None, limit=2, newest_first=False
    )
    assert texts(found) == ["0", "1"]


async def test_newest_first_takes_the_newest_newest_first(storage: Storage) -> None:
    *_, fourth = await append_all(storage, *(item(str(n), at=T0 + n) for n in range(5)))
    found = await storage.history.select(
        "",
        "#tea",
        after=None,
        before=Cursor(fourth.at + 0.5, 0),
        limit=2,
        newest_first=True,
    )
    assert texts(found) == ["4", "3"]


async def test_limit_zero_selects_nothing(storage: Storage) -> None:
    await append_all(storage, item("hello"))
    found = await storage.history.select(
        "", "#tea", after=None, before=None, limit=0, newest_first=True
    )
    assert found == []


# Finding by msgid


async def test_item_is_found_by_msgid_in_its_history(storage: Storage) -> None:
    _, wanted = await append_all(storage, item("a"), item("b", msgid="M-b"))
    assert await storage.history.find("", "#tea", "M-b") == wanted
    assert await storage.history.find("", "#coffee", "M-b") is None
    assert await storage.history.find("", "#tea", "nope") is None


async def test_private_message_is_found_by_each_party(storage: Storage) -> None:
    await append_all(
        storage,
        item("hi", owner="a:alice", target="bob", msgid="pm1"),
        item("hi", owner="n:bob", target="alice", msgid="pm1"),
    )
    mine = await storage.history.find("a:alice", "bob", "pm1")
    theirs = await storage.history.find("n:bob", "alice", "pm1")
    assert mine is not None
    assert theirs is not None
    assert (mine.owner, theirs.owner) == ("a:alice", "n:bob")


def private(text: str, *, at: float = T0, msgid: str | None = None) -> HistoryItem:
    """alice (logged in) to bob: one item in both their histories."""
    return item(text, owner="a:alice", target="bob", at=at, msgid=msgid).replace(
        peer_owner="n:bob", peer_target="alice"
    )


async def test_private_message_is_one_item_in_both_histories(storage: Storage) -> None:
    await append_all(storage, private("hi", at=T0), private("there", at=T0 + 1))
    mine = await read_all(storage, "a:alice", "bob")
    theirs = await read_all(storage, "n:bob", "alice")
    assert texts(mine) == texts(theirs) == ["hi", "there"]
    assert [m.seq for m in mine] == [t.seq for t in theirs]
    # Each side sees it as its own history holds it.
    assert {(m.owner, m.target, m.peer_owner) for m in mine} == {
        ("a:alice", "bob", "n:bob")
    }
    assert {(t.owner, t.target, t.peer_owner) for t in theirs} == {
        ("n:bob", "alice", "a:alice")
    }
    assert await read_all(storage, "n:carol", "alice") == []


async def test_private_history_merges_both_sides_in_order(storage: Storage) -> None:
    # alice's history with bob: her messages (her rows) and his (rows where
    # she is the peer), interleaved by time, with cursors and limits.
    his = item("b1", owner="n:bob", target="alice", at=T0 + 1).replace(
        peer_owner="a:alice", peer_target="bob"
    )
    await append_all(
        storage,
        private("a0", at=T0),
        his,
        private("a2", at=T0 + 2),
        his.replace(params=("alice", "b3"), msgid="id-b3", at=T0 + 3),
    )
    everything = await read_all(storage, "a:alice", "bob")
    assert [i.params[1] for i in everything] == ["a0", "b1", "a2", "b3"]
    newest = await storage.history.select(
        "a:alice", "bob", after=None, before=None, limit=3, newest_first=True
    )
    assert [i.params[1] for i in newest] == ["b3", "a2", "b1"]
    middle = await storage.history.select(
        "n:bob",
        "alice",
        after=Cursor(everything[0].at, everything[0].seq),
        before=Cursor(everything[3].at, everything[3].seq),
        limit=10,
        newest_first=False,
    )
    assert [i.params[1] for i in middle] == ["b1", "a2"]


async def test_private_message_is_found_by_msgid_from_either_side(
    storage: Storage,
) -> None:
    await append_all(storage, private("hi", msgid="pm9"))
    mine = await storage.history.find("a:alice", "bob", "pm9")
    theirs = await storage.history.find("n:bob", "alice", "pm9")
    assert mine is not None
    assert theirs is not None
    assert (mine.owner, theirs.owner) == ("a:alice", "n:bob")
    assert await storage.history.find("n:carol", "bob", "pm9") is None


async def test_targets_lists_a_private_conversation_for_both_parties(
    storage: Storage,
) -> None:
    await append_all(storage, private("hi", at=T0 + 2))
    for owner, other in (("a:alice", "bob"), ("n:bob", "alice")):
        found = await storage.history.targets(owner, [], T0, T0 + 10, limit=10)
        assert found == [(other, T0 + 2)]


async def test_retention_trims_a_private_history_for_both_parties(
    storage: Storage,
) -> None:
    await append_all(storage, *(private(str(n), at=T0 + n) for n in range(5)))
    deleted = await storage.history.apply_retention(older_than=None, keep_per_target=2)
    assert deleted == 3
    assert texts(await read_all(storage, "a:alice", "bob")) == ["3", "4"]
    assert texts(await read_all(storage, "n:bob", "alice")) == ["3", "4"]


async def test_forget_deletes_an_owners_histories_and_leaves_the_other_partys(
    storage: Storage,
) -> None:
    # alice (logged in) talks with bob, and with carol, whom she knows
    # under two nicks; she also wrote to herself. Her account is dropped.
    await append_all(
        storage,
        to_bob("b1", T0 + 1, "alice"),
        to_alice("b2", T0 + 2, "alice"),
        item("c1", owner="a:alice", target="carol", at=T0 + 3).replace(
            peer_owner="a:carol", peer_target="alice"
        ),
        item("c2", owner="a:alice", target="carol2", at=T0 + 4).replace(
            peer_owner="a:carol", peer_target="alice"
        ),
        item("me", owner="a:alice", target="alice", at=T0 + 5),
        item("#", owner="", target="#tea", at=T0 + 6),
    )
    assert await storage.history.forget("a:alice") == 1  # "me": nobody else's
    for target in ("bob", "carol", "carol2", "alice"):
        assert await read_all(storage, "a:alice", target) == []
        assert await storage.history.find("a:alice", target, "id-b1") is None
    assert await storage.history.targets("a:alice", [], T0, T0 + 10, 10) == []
    assert texts(await read_all(storage, "n:bob", "alice")) == ["b1", "b2"]
    assert texts(await read_all(storage, "a:carol", "alice")) == ["c1", "c2"]
    assert texts(await read_all(storage, "", "#tea")) == ["#"]
    # Then bob's copy goes too, once his history is forgotten.
    assert await storage.history.forget("n:bob") == 2
    assert await read_all(storage, "n:bob", "alice") == []
    assert await storage.history.forget("n:nobody") == 0
    with pytest.raises(ValueError, match="channel"):
        await storage.history.forget("")
    assert texts(await read_all(storage, "", "#tea")) == ["#"]


async def test_both_parties_forgotten_at_once_keep_nothing(storage: Storage) -> None:
    # Ten conversations, each in shared blocks; both sides forgotten at the
    # same time (the ended sessions' sweep beside a deleted account's): each
    # deletion must see what the other left, or one rewrites a block the
    # other emptied and brings its entries back (or, on SQLite, is refused
    # until its retries run out). Whether the two collide depends on timing;
    # test_database.py's write-lock tests are the deterministic guard.
    await append_all(
        storage,
        *(
            item(f"{n}.{k}", owner=f"n:s{n}:t.1", target=f"a{n}", at=T0 + k).replace(
                peer_owner=f"a:a{n}:1.0", peer_target=f"s{n}"
            )
            for n in range(10)
            for k in range(3)
        ),
    )

    async def forget_all(prefix: str) -> None:
        for owner in await storage.history.owners(prefix):
            await storage.history.forget(owner)

    await asyncio.gather(forget_all("n:"), forget_all("a:"))
    assert await storage.history.owners("") == []
    for n in range(10):
        assert await read_all(storage, f"a:a{n}:1.0", f"s{n}") == []
        assert await read_all(storage, f"n:s{n}:t.1", f"a{n}") == []


async def test_owners_lists_private_history_owners_by_prefix(storage: Storage) -> None:
    # Owners of blocks of their own and of the other side of shared ones,
    # each once; channels (owner "") never; pending items included.
    await append_all(
        storage,
        to_bob("b1", T0 + 1, "alice"),  # a:alice, peer n:bob
        item("x", owner="n:carol:t.1", target="dave", at=T0 + 2).replace(
            peer_owner="n:dave:t.2", peer_target="carol"
        ),
        item("y", owner="n:carol:t.1", target="erin", at=T0 + 3),
        item("%", owner="n:%:t.3", target="n_:x", at=T0 + 4),
        item("#", owner="", target="#tea", at=T0 + 5),
    )
    storage.history.append(item("z", owner="N:upper", target="x", at=T0 + 6))
    assert await storage.history.owners("n:") == [
        "n:%:t.3",
        "n:bob",
        "n:carol:t.1",
        "n:dave:t.2",
    ]
    assert await storage.history.owners("a:") == ["a:alice"]
    assert await storage.history.owners("N:") == ["N:upper"]  # case counts
    assert await storage.history.owners("n:%") == ["n:%:t.3"]  # no wildcards
    assert await storage.history.owners("n:_") == []
    assert await storage.history.owners("") == [
        "N:upper",
        "a:alice",
        "n:%:t.3",
        "n:bob",
        "n:carol:t.1",
        "n:dave:t.2",
    ]
    await storage.history.forget("n:carol:t.1")
    assert "n:carol:t.1" not in await storage.history.owners("n:")
    assert "n:dave:t.2" in await storage.history.owners("n:")


def to_bob(text: str, at: float, nick: str) -> HistoryItem:
    """alice (logged in) to bob, who knows her as `nick`."""
    return private(text, at=at).replace(peer_target=nick)


def to_alice(text: str, at: float, nick: str) -> HistoryItem:
    """bob to alice (logged in), whom he knows as `nick`."""
    return item(text, owner="n:bob", target=nick, at=at).replace(
        peer_owner="a:alice", peer_target="bob", source="bob!b@h"
    )


async def test_retention_keeps_what_the_other_party_still_holds(
    storage: Storage,
) -> None:
    # alice is logged in: her history with bob holds all four messages, but
    # bob files the last two under her second nick. Trimming her history to
    # two must not empty his history with "alice", which holds only two.
    await append_all(
        storage,
        to_bob("m1", T0 + 1, "alice"),
        to_bob("m2", T0 + 2, "alice"),
        to_bob("m3", T0 + 3, "alice2"),
        to_bob("m4", T0 + 4, "alice2"),
    )
    deleted = await storage.history.apply_retention(older_than=None, keep_per_target=2)
    assert deleted == 0  # m1 and m2 left alice's history, not bob's
    assert texts(await read_all(storage, "a:alice", "bob")) == ["m3", "m4"]
    assert texts(await read_all(storage, "n:bob", "alice")) == ["m1", "m2"]
    assert texts(await read_all(storage, "n:bob", "alice2")) == ["m3", "m4"]
    # Older than everything: gone from every history, each counted once.
    assert (
        await storage.history.apply_retention(older_than=T0 + 10, keep_per_target=None)
        == 4
    )
    assert await read_all(storage, "n:bob", "alice") == []


async def test_retention_trims_each_party_of_a_conversation_on_its_own(
    storage: Storage,
) -> None:
    # As above, trimmed to one: alice's history keeps m4, bob's history with
    # "alice" m2, with "alice2" m4. m1 and m3 are gone from everywhere.
    await append_all(
        storage,
        to_bob("m1", T0 + 1, "alice"),
        to_alice("m2", T0 + 2, "alice"),
        to_bob("m3", T0 + 3, "alice2"),
        to_alice("m4", T0 + 4, "alice2"),
    )
    deleted = await storage.history.apply_retention(older_than=None, keep_per_target=1)
    assert deleted == 2
    assert texts(await read_all(storage, "a:alice", "bob")) == ["m4"]
    assert texts(await read_all(storage, "n:bob", "alice")) == ["m2"]
    assert texts(await read_all(storage, "n:bob", "alice2")) == ["m4"]
    found = await storage.history.find("n:bob", "alice", "id-m2")
    assert found is not None
    assert (found.owner, found.target, found.source) == ("n:bob", "alice", "bob!b@h")
    assert await storage.history.find("a:alice", "bob", "id-m2") is None
    assert await storage.history.targets("a:alice", [], T0, T0 + 10, limit=9) == [
        ("bob", T0 + 4)
    ]
    assert await storage.history.targets("n:bob", [], T0, T0 + 10, limit=9) == [
        ("alice2", T0 + 4),
        ("alice", T0 + 2),
    ]
    # Trimming again changes nothing; older than everything empties all three.
    assert (
        await storage.history.apply_retention(older_than=None, keep_per_target=1) == 0
    )
    assert (
        await storage.history.apply_retention(older_than=T0 + 10, keep_per_target=None)
        == 2
    )
    for owner, target in (("a:alice", "bob"), ("n:bob", "alice"), ("n:bob", "alice2")):
        assert await read_all(storage, owner, target) == []


# Targets


async def test_targets_lists_own_conversations_and_given_channels(
    storage: Storage,
) -> None:
    await append_all(
        storage,
        item("t", target="#tea", at=T0 + 1),
        item("c", target="#coffee", at=T0 + 3),
        item("x", target="#secret", at=T0 + 4),
        item("b", owner="a:alice", target="bob", at=T0 + 2),
        item("o", owner="a:carol", target="dave", at=T0 + 5),
    )
    found = await storage.history.targets(
        "a:alice", ["#tea", "#coffee"], after=T0 - 10, before=T0 + 10, limit=10
    )
    assert found == [("#coffee", T0 + 3), ("bob", T0 + 2), ("#tea", T0 + 1)]


async def test_targets_lists_conversations_whose_latest_message_is_in_the_window(
    storage: Storage,
) -> None:
    # draft/chathistory TARGETS: a conversation active again after the window
    # is not listed (its latest message is what counts).
    await append_all(
        storage,
        item("a", at=T0 + 1),
        item("b", at=T0 + 2),
        item("c", at=T0 + 3),
        item("d", target="#coffee", at=T0 + 2),
    )
    found = await storage.history.targets(
        "n:alice", ["#tea", "#coffee"], after=T0 + 1, before=T0 + 3, limit=10
    )
    assert found == [("#coffee", T0 + 2)]


async def test_targets_takes_the_most_recent_up_to_limit(storage: Storage) -> None:
    await append_all(
        storage, *(item(str(n), target=f"#c{n}", at=T0 + n) for n in range(5))
    )
    channels = [f"#c{n}" for n in range(5)]
    found = await storage.history.targets("n:x", channels, T0 - 1, T0 + 10, limit=2)
    assert found == [("#c4", T0 + 4), ("#c3", T0 + 3)]


async def test_targets_without_channels_lists_only_private_ones(
    storage: Storage,
) -> None:
    await append_all(
        storage, item("t", at=T0), item("b", owner="a:alice", target="bob", at=T0)
    )
    found = await storage.history.targets("a:alice", [], T0 - 1, T0 + 1, limit=10)
    assert found == [("bob", T0)]


# Retention


async def test_retention_deletes_items_older_than_a_time(storage: Storage) -> None:
    await append_all(
        storage,
        item("old", at=T0 - 100),
        item("edge", at=T0),
        item("new", at=T0 + 100),
        item("old elsewhere", owner="a:alice", target="bob", at=T0 - 50),
    )
    deleted = await storage.history.apply_retention(older_than=T0, keep_per_target=None)
    assert deleted == 2
    assert texts(await read_all(storage)) == ["edge", "new"]
    assert await read_all(storage, "a:alice", "bob") == []


async def test_retention_keeps_the_newest_of_each_history(storage: Storage) -> None:
    await append_all(
        storage,
        *(item(f"tea{n}", at=T0 + n) for n in range(5)),
        *(item(f"cof{n}", target="#coffee", at=T0 + n) for n in range(2)),
        item("tie", at=T0 + 4),
    )
    deleted = await storage.history.apply_retention(older_than=None, keep_per_target=2)
    assert deleted == 4
    assert texts(await read_all(storage)) == ["tea4", "tie"]
    assert texts(await read_all(storage, "", "#coffee")) == ["cof0", "cof1"]


async def test_retention_applies_both_limits(storage: Storage) -> None:
    await append_all(storage, *(item(str(n), at=T0 + n) for n in range(6)))
    deleted = await storage.history.apply_retention(
        older_than=T0 + 2, keep_per_target=3
    )
    assert deleted == 3
    assert texts(await read_all(storage)) == ["3", "4", "5"]


async def test_retention_without_limits_deletes_nothing(storage: Storage) -> None:
    await append_all(storage, item("kept", at=0.0))
    assert (
        await storage.history.apply_retention(older_than=None, keep_per_target=None)
        == 0
    )
    assert texts(await read_all(storage)) == ["kept"]


async def test_storage_order_continues_after_retention_empties_a_history(
    storage: Storage,
) -> None:
    [old] = await append_all(storage, item("old"))
    await storage.history.apply_retention(older_than=T0 + 1, keep_per_target=None)
    [new] = await append_all(storage, item("new"))
    assert new.seq > old.seq


async def test_an_id_that_carries_its_time_is_found_among_many(
    storage: Storage,
) -> None:
    sent = [
        item(str(n), at=T0 + n * 0.0003, msgid=msgid(T0 + n * 0.0003, "0a0b0c0d", n))
        for n in range(1, 200)
    ]
    for position in range(0, len(sent), 20):  # in several batches
        await append_all(storage, *sent[position : position + 20])
    for wanted in (sent[0], sent[77], sent[-1]):
        found = await storage.history.find("", "#tea", wanted.msgid)
        assert found is not None
        assert (found.msgid, found.params) == (wanted.msgid, wanted.params)


@pytest.mark.parametrize("at_head", SQL_KINDS, indirect=True)
async def test_a_lost_batch_does_not_fail_later_reads(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sender's batch that could not be written (its items are lost, and
    whoever waited on them is told) leaves the history readable."""
    assert isinstance(storage.history, SqlHistoryStore)
    await append_all(storage, item("before"))
    history = storage.history
    writes = history.writes
    real_write = writes._write_batch

    async def fail_once(items: list[HistoryItem]) -> None:
        # As a full disk or a lost server fails a batch in the database.
        monkeypatch.setattr(writes, "_write_batch", real_write)
        raise StorageError("could not extend file: No space left on device")

    monkeypatch.setattr(writes, "_write_batch", fail_once)
    history.append(item("lost"))
    # A read waits for what is pending: the batch fails meanwhile, and the
    # read returns what is stored.
    assert texts(await read_all(storage)) == ["before"]
    history.append(item("lost too"))
    monkeypatch.setattr(writes, "_write_batch", fail_once)
    waiter = asyncio.ensure_future(history.commit())
    assert texts(await read_all(storage)) == ["before"]
    with pytest.raises(StorageError):
        await waiter  # the one who waited on the lost item is told
    await append_all(storage, item("after"))
    assert texts(await read_all(storage)) == ["before", "after"]


@needs_postgres
@pytest.mark.parametrize("carried_out", [True, False], ids=["committed", "rolled back"])
async def test_a_batch_whose_commit_answer_was_lost_is_stored_once(
    relayed: Storage, relay: Relay, carried_out: bool
) -> None:
    """The connection is cut at a batch's COMMIT, before its answer: the
    batch is written again unless it is there (the seqs its first attempt
    took say where to look)."""
    assert isinstance(relayed.history, SqlHistoryStore)
    await append_all(relayed, item("before"))
    cut = relay.cut_at_next_commit(carried_out=carried_out)
    assert texts(
        await append_all(relayed, item("one"), item("coffee", target="#coffee"))
    ) == ["before", "one"]
    assert cut.is_set()
    assert texts(await read_all(relayed, target="#coffee")) == ["coffee"]
    assert relayed.history.writes.batches_written == 2
    # The order of storage goes on from the batch as stored.
    [*_, after] = await append_all(relayed, item("after"))
    assert texts([after]) == ["after"]
    [one] = [found for found in await read_all(relayed) if found.params[-1] == "one"]
    assert after.seq > one.seq


@pytest.mark.parametrize("at_head", SQL_KINDS, indirect=True)
async def test_a_retry_tells_its_batch_from_another_given_the_same_seq(
    storage: Storage,
) -> None:
    """A first attempt that rolled back gave its seqs back: another node's
    batch may take them before the retry looks. The retry knows its own
    first item by its msgid too."""
    [theirs] = await append_all(storage, item("theirs"))
    database = storage.database
    assert database is not None

    async def seen(first: HistoryItem) -> bool:
        return await database.transaction(
            lambda connection: _stored(connection, first, [theirs.seq])
        )

    assert await seen(item("theirs"))
    assert not await seen(item("mine"))
    assert not await seen(item("theirs", target="#coffee"))
