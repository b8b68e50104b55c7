"""History blocks (storage/blocks.py): a batch of items as one row per history."""

from __future__ import annotations

import pickle
import pickletools
import sys
from array import array
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubbub.core.ports import HistoryItem
from hubbub.storage import blocks
from tests.storage.samples import T0, item


def private(text: str, *, at: float = T0) -> HistoryItem:
    """alice (logged in) to bob: an entry in both their histories."""
    return item(text, owner="a:alice", target="bob", at=at).replace(
        peer_owner="n:bob", peer_target="alice"
    )


def row_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(blocks.BLOCK_COLUMNS, row, strict=True))


@given(
    text=st.text(),
    source=st.text(),
    account=st.none() | st.text(),
    tags=st.dictionaries(st.text(), st.text(), max_size=3),
    at=st.floats(min_value=0, max_value=4e9),
)
def test_an_entry_holds_its_fields_and_reads_back(
    text: str, source: str, account: str | None, tags: dict[str, str], at: float
) -> None:
    sent = item(text, at=at).replace(source=source, account=account, tags=tags)
    [row] = blocks.block_rows([sent], 42)
    [entry] = blocks.entries_of(row[-1])
    assert entry == (
        42,
        sent.msgid,
        at,
        source,
        account,
        "PRIVMSG",
        ("#tea", text),
        tags or None,
    )
    assert blocks.item_of(entry, "", "#tea") == sent.replace(seq=42)


def test_a_block_names_no_class_and_refuses_one_that_does() -> None:
    data = blocks.block_rows([private("hi")], 1)[0][-1]
    opcodes = {opcode.name for opcode, _, _ in pickletools.genops(data)}
    assert not opcodes & {"GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "INST", "OBJ"}
    with pytest.raises(pickle.UnpicklingError, match=r"names builtins\.print"):
        blocks.entries_of(pickle.dumps([print]))
    with pytest.raises(pickle.UnpicklingError, match=r"names os\.system"):
        blocks.entries_of(b"cos\nsystem\n(S'true'\ntR.")
    with pytest.raises(pickle.UnpicklingError, match="of no format known"):
        blocks.entries_of(pickle.dumps({"a": 1}))


def test_a_batch_is_one_block_per_history_in_the_order_first_met() -> None:
    rows = blocks.block_rows(
        [
            item("late", at=T0 + 5),
            item("c1", target="#coffee", at=T0 + 1),
            item("early", at=T0 - 5),
            item("last", at=T0 + 2),
        ],
        first_seq=10,
    )
    tea, coffee = (row_dict(row) for row in rows)
    assert (tea["owner"], tea["target"], coffee["target"]) == ("", "#tea", "#coffee")
    assert (tea["first_at"], tea["last_at"]) == (T0 - 5, T0 + 5)
    assert (tea["first_seq"], tea["last_seq"], tea["count"]) == (10, 13, 3)
    assert (coffee["first_seq"], coffee["last_seq"], coffee["count"]) == (11, 11, 1)
    entries = blocks.entries_of(tea["entries"])
    assert [(e[blocks.SEQ], e[6][1]) for e in entries] == [
        (10, "late"),
        (12, "early"),
        (13, "last"),
    ]


def private_back(text: str, *, at: float = T0) -> HistoryItem:
    """bob's answer to alice."""
    return item(text, owner="n:bob", target="alice", at=at).replace(
        peer_owner="a:alice", peer_target="bob"
    )


def test_a_conversation_is_one_block_shared_by_both_parties() -> None:
    rows = blocks.block_rows(
        [private("hi"), private_back("hello", at=T0 + 2), private("there", at=T0 + 1)],
        1,
    )
    [row] = [row_dict(row) for row in rows]
    # The lesser history is the owner's side, whoever spoke first.
    assert (row["owner"], row["target"], row["peer_owner"], row["peer_target"]) == (
        "a:alice",
        "bob",
        "n:bob",
        "alice",
    )
    assert (row["first_at"], row["last_at"], row["count"]) == (T0, T0 + 2, 3)
    mine = blocks.items_of(row["entries"], "a:alice", "bob")
    theirs = blocks.items_of(row["entries"], "n:bob", "alice")
    assert (
        [i.params[1] for i in mine]
        == [i.params[1] for i in theirs]
        == ["hi", "hello", "there"]
    )
    assert [i.seq for i in mine] == [i.seq for i in theirs] == [1, 2, 3]
    assert {(i.owner, i.target, i.peer_owner, i.peer_target) for i in mine} == {
        ("a:alice", "bob", "n:bob", "alice")
    }
    assert {(i.owner, i.target, i.peer_owner, i.peer_target) for i in theirs} == {
        ("n:bob", "alice", "a:alice", "bob")
    }
    assert [i.source for i in mine] == [i.source for i in theirs]


def test_a_recipient_who_logs_in_within_a_batch_gets_a_block_each_way() -> None:
    # alice writes to bob, bob logs in as "robert", alice writes again, then
    # bob logs out: the same sender's history and target, three peers' turns
    # (the second peer, then the first again) within one batch.
    to_robert = private("while logged in").replace(peer_owner="a:robert")
    rows = [
        row_dict(row)
        for row in blocks.block_rows(
            [private("before"), to_robert, private("after")], 1
        )
    ]
    by_peer = {row["peer_owner"]: row for row in rows}
    assert sorted(by_peer) == ["a:robert", "n:bob"]
    assert by_peer["n:bob"]["count"] == 2
    as_bob = blocks.items_of(by_peer["n:bob"]["entries"], "n:bob", "alice")
    assert [(i.seq, i.params[1]) for i in as_bob] == [(1, "before"), (3, "after")]
    as_robert = blocks.items_of(by_peer["a:robert"]["entries"], "a:robert", "alice")
    assert [(i.seq, i.params[1]) for i in as_robert] == [(2, "while logged in")]


def test_a_message_to_oneself_is_a_block_of_one_history() -> None:
    to_self = item("me", owner="n:bob", target="bob")
    [row] = [row_dict(row) for row in blocks.block_rows([to_self], 1)]
    assert (row["owner"], row["target"], row["peer_owner"]) == ("n:bob", "bob", None)


def test_only_private_blocks_have_a_peer() -> None:
    rows = [row_dict(row) for row in blocks.block_rows([item("c"), private("p")], 1)]
    assert [(row["peer_owner"], row["peer_target"]) for row in rows] == [
        (None, None),
        ("n:bob", "alice"),
    ]


def test_the_other_history_of_an_entry() -> None:
    rows = blocks.block_rows([private("hi"), item("channel")], 1)
    [entry] = blocks.entries_of(rows[0][-1])
    assert blocks.other_history(entry, ("a:alice", "bob")) == ("n:bob", "alice")
    assert blocks.other_history(entry, ("n:bob", "alice")) == ("a:alice", "bob")
    [channel_entry] = blocks.entries_of(rows[1][-1])
    assert blocks.other_history(channel_entry, ("", "#tea")) is None


def test_a_rebuilt_block_spans_only_what_it_keeps() -> None:
    rows = blocks.block_rows([item(str(n), at=T0 + n) for n in range(4)], 5)
    kept = blocks.entries_of(rows[0][-1])[2:]
    rebuilt = blocks.rebuilt_row(kept)
    assert {key: rebuilt[key] for key in ("first_at", "last_at", "count")} == {
        "first_at": T0 + 2,
        "last_at": T0 + 3,
        "count": 2,
    }
    assert (rebuilt["first_seq"], rebuilt["last_seq"]) == (7, 8)
    assert blocks.seqs(blocks.entries_of(rebuilt["entries"])) == {7, 8}


def test_a_big_batch_makes_several_blocks_of_a_history() -> None:
    count = blocks.MAX_BLOCK_ENTRIES * 2 + 3
    rows = [
        row_dict(row)
        for row in blocks.block_rows([item(str(n)) for n in range(count)], 1)
    ]
    assert [row["count"] for row in rows] == [
        blocks.MAX_BLOCK_ENTRIES,
        blocks.MAX_BLOCK_ENTRIES,
        3,
    ]
    assert [(row["first_seq"], row["last_seq"]) for row in rows] == [
        (1, blocks.MAX_BLOCK_ENTRIES),
        (blocks.MAX_BLOCK_ENTRIES + 1, 2 * blocks.MAX_BLOCK_ENTRIES),
        (2 * blocks.MAX_BLOCK_ENTRIES + 1, count),
    ]


def test_building_pauses_every_thousand_items_or_so() -> None:
    items = [item(str(n)) for n in range(blocks.PAUSE_EVERY * 2 + 10)]
    pauses = 0

    def pause() -> None:
        nonlocal pauses
        pauses += 1

    rows = blocks.block_rows(items, 7, pause=pause)
    assert rows == blocks.block_rows(items, 7)  # the same rows either way
    assert pauses == 2  # after the 1,024th and the 2,048th item


@given(st.lists(st.sampled_from(["to bob", "to alice", "to bob, logged out"])))
def test_a_conversation_block_holds_both_ways_in_seq_order(turns: list[str]) -> None:
    # However the two parties take turns (and whichever history the sender's
    # messages are in), the conversation is one block, its entries in seq
    # order, each once.
    sent = []
    for n, turn in enumerate(turns):
        if turn == "to bob":
            sent.append(private(str(n)))
        elif turn == "to alice":
            sent.append(private_back(str(n)))
        else:
            sent.append(private(str(n)).replace(owner="n:alice"))
    rows = [row_dict(row) for row in blocks.block_rows(sent, 100)]
    seqs = [
        entry[blocks.SEQ] for row in rows for entry in blocks.entries_of(row["entries"])
    ]
    assert sorted(seqs) == list(range(100, 100 + len(turns)))
    for row in rows:
        entries = blocks.entries_of(row["entries"])
        assert [entry[blocks.SEQ] for entry in entries] == sorted(
            entry[blocks.SEQ] for entry in entries
        )
        assert (row["first_seq"], row["last_seq"]) == (
            entries[0][blocks.SEQ],
            entries[-1][blocks.SEQ],
        )
    # alice logged in and bob share one block; alice logged out has another.
    logged_in = any(turn != "to bob, logged out" for turn in turns)
    logged_out = "to bob, logged out" in turns
    assert len(rows) == logged_in + logged_out


def block_format(data: bytes) -> int:
    value = pickle.loads(data)
    return 1 if isinstance(value, list) else int(value[0])


def test_blocks_are_written_column_by_column_and_old_blocks_still_read() -> None:
    [row] = blocks.block_rows([private("hi"), private_back("yo")], 1)
    assert block_format(row[-1]) == blocks.FORMAT == 3
    # A block that an earlier version wrote (format 1: a list of entries).
    old = (3, "m3", T0, "a!a@h", "alice", "PRIVMSG", ("#tea", "old"), {"+x": "1"})
    assert blocks.entries_of(pickle.dumps([old], protocol=5)) == [old]


def little_endian(typecode: str, values: list[Any]) -> bytes:
    """A block column as stored: little-endian on any machine."""
    column = array(typecode, values)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tobytes()


def test_a_format_2_block_still_reads() -> None:
    # As the version before format 3 wrote it: two entries of alice's side,
    # the second tagged, then one of bob's (seqs 7, 9, 8), no heads, every
    # string of every entry in the text; shapes are twice the params, + 1
    # when the account is None.
    alice = ("a:alice", "bob", "n:bob", "alice")
    bob = ("n:bob", "alice", "a:alice", "bob")
    data = pickle.dumps(
        (
            2,
            little_endian("q", [7, 9, 8]),
            little_endian("d", [T0, T0 + 2, T0 + 1]),
            little_endian("I", [4, 4, 5]),
            little_endian("H", [0, 0, 1]),
            [alice, bob],
            "\0".join(
                (
                    *("m7", "alice!a@h", "alice", "PRIVMSG", "bob", "hi"),
                    *("m9", "alice!a@h", "alice", "PRIVMSG", "bob", "there"),
                    *("m8", "bob!b@h", "", "PRIVMSG", "alice", "yo"),
                )
            ),
            {1: {"+draft/reply": "m8"}},
        ),
        protocol=5,
    )
    hi = (7, "m7", T0, "alice!a@h", "alice", "PRIVMSG", ("bob", "hi"), None, *alice)
    yo = (8, "m8", T0 + 1, "bob!b@h", None, "PRIVMSG", ("alice", "yo"), None, *bob)
    there = (9, "m9", T0 + 2, "alice!a@h", "alice", "PRIVMSG", ("bob", "there"))
    tagged = (*there, {"+draft/reply": "m8"}, *alice)
    assert blocks.entries_of(data) == [hi, yo, tagged]


def test_entries_that_share_their_sender_s_head_store_only_their_own_strings() -> None:
    # Sender, account, command and target are stored once per sender in a
    # side, not per entry, unless an entry differs (here a NOTICE).
    notice = item("ping").replace(command="NOTICE")
    renamed = item("back").replace(source="alice_!a@h")
    sent = [item("one"), item("two"), notice, renamed, item("three")]
    [row] = blocks.block_rows(sent, 1)
    value = pickle.loads(row[-1])
    heads, text = value[6], value[7]
    assert heads == [
        [
            (sent[0].source, "Alice", "PRIVMSG", "#tea"),
            ("alice_!a@h", "Alice", "PRIVMSG", "#tea"),
        ]
    ]
    assert text.split("\0") == [
        sent[0].msgid,
        "one",
        sent[1].msgid,
        "two",
        *(notice.msgid, notice.source, "Alice", "NOTICE", "#tea", "ping"),
        renamed.msgid,
        "back",
        sent[4].msgid,
        "three",
    ]
    read = blocks.items_of(row[-1], "", "#tea")
    assert [i.replace(seq=0) for i in read] == sent


def test_a_channel_s_senders_each_have_a_head() -> None:
    # Ten senders taking turns in one channel: one side, ten heads, and
    # every entry shares its sender's.
    sent = [
        item(f"m{n}").replace(source=f"s{n % 10}!s@h", account=None) for n in range(40)
    ]
    [row] = blocks.block_rows(sent, 1)
    value = pickle.loads(row[-1])
    assert [head[0] for head in value[6][0]] == [f"s{n}!s@h" for n in range(10)]
    assert len(value[7].split("\0")) == 2 * len(sent)  # msgid and text each
    assert [i.replace(seq=0) for i in blocks.items_of(row[-1], "", "#tea")] == sent


def test_past_the_most_heads_a_side_holds_entries_are_stored_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(blocks, "MAX_HEADS", 2)
    sent = [item(f"m{n}").replace(source=f"s{n % 3}!s@h") for n in range(6)]
    [row] = blocks.block_rows(sent, 1)
    value = pickle.loads(row[-1])
    assert [head[0] for head in value[6][0]] == ["s0!s@h", "s1!s@h"]
    assert "s2!s@h" in value[7].split("\0")
    assert [i.replace(seq=0) for i in blocks.items_of(row[-1], "", "#tea")] == sent


def test_an_entry_holding_a_nul_is_written_in_format_1() -> None:
    rows = blocks.block_rows([item("a\0b"), item("fine", target="#coffee")], 1)
    assert [block_format(row[-1]) for row in rows] == [1, 3]
    [entry] = blocks.entries_of(rows[0][-1])
    assert entry[6] == ("#tea", "a\0b")


names = st.text(alphabet="ab:!@", max_size=3)
# Sources, accounts and first params from a few values as well as any: the
# entries of a side share its head as often as not.
entry_strategy = st.tuples(
    st.text(max_size=4),  # msgid
    st.floats(allow_nan=False),
    st.sampled_from(["a!a@h", "b!b@h"]) | st.text(max_size=4),  # source
    st.none() | st.just("alice") | st.text(max_size=3),
    st.sampled_from(["PRIVMSG", "NOTICE", "JOIN"]),
    st.lists(st.just("#tea") | st.text(max_size=5), max_size=4).map(tuple),
    st.none() | st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1),
    st.sampled_from([(), ("a:x", "y", "n:y", "x"), ("n:y", "x", "a:x", "y")]),
)


@given(st.lists(entry_strategy, max_size=20), st.randoms())
def test_any_entries_read_back_as_written_in_seq_order(
    drawn: list[tuple[Any, ...]], random: Any
) -> None:
    seqs = random.sample(range(1000), len(drawn))
    entries = [
        (seq, msgid, at, source, account, command, params, tags, *view)
        for seq, (msgid, at, source, account, command, params, tags, view) in zip(
            seqs, drawn, strict=True
        )
    ]
    assert blocks.entries_of(blocks.packed(entries)) == sorted(entries)


def test_a_long_conversation_is_cut_into_blocks_in_seq_order() -> None:
    # 600 messages, bob answering every third: both sides are longer than a
    # block, and each block holds a range of each side.
    sent = [
        private_back(str(n), at=T0 + n) if n % 3 == 2 else private(str(n), at=T0 + n)
        for n in range(600)
    ]
    rows = [row_dict(row) for row in blocks.block_rows(sent, 1)]
    assert [row["count"] for row in rows] == [256, 256, 88]
    assert [(row["first_seq"], row["last_seq"]) for row in rows] == [
        (1, 256),
        (257, 512),
        (513, 600),
    ]
    assert [(row["first_at"], row["last_at"]) for row in rows] == [
        (T0, T0 + 255),
        (T0 + 256, T0 + 511),
        (T0 + 512, T0 + 599),
    ]
    for party in (("a:alice", "bob"), ("n:bob", "alice")):
        read = [i for row in rows for i in blocks.items_of(row["entries"], *party)]
        assert [i.params[1] for i in read] == [str(n) for n in range(600)]
        assert [i.seq for i in read] == list(range(1, 601))


def test_a_tagged_entry_keeps_its_tags_within_a_long_block() -> None:
    sent = [item(str(n)) for n in range(300)]
    sent[260] = sent[260].replace(tags={"+draft/reply": "x"})
    rows = blocks.block_rows(sent, 1)
    read = [e for row in rows for e in blocks.entries_of(row[-1])]
    assert [e[7] for e in read if e[7]] == [{"+draft/reply": "x"}]
    assert read[260][7] == {"+draft/reply": "x"}


def one_entry(shape: bytes, heads: list[Any], text: str) -> tuple[Any, ...]:
    """A format-3 block of one entry (seq 0, time 0, a side of no names)."""
    return (3, b"\0" * 8, b"\0" * 8, shape, b"\0\0", [()], heads, text, None)


@pytest.mark.parametrize(
    "value",
    [
        (2, b"", b"", b"", b"", [], "x", None),  # a field and no entry
        (2, b"\0" * 8, b"\0" * 8, b"\0" * 4, b"\1\0", [()], "a\0b\0c\0d", None),
        (2, b"\0" * 8, b"\0" * 8, b"\0" * 4, b"\0\0", [("a",)], "a\0b\0c\0d", None),
        (2, b"\0" * 8, b"\0" * 8, b"\0" * 4, b"\0\0", [()], "a\0b\0c", None),
        (2, b"\0" * 8, b"\0" * 7, b"\0" * 4, b"\0\0", [()], "a\0b\0c\0d", None),
        (4, b"", b"", b"", b"", [], [], "", None),
        (3, b"", b"", b"", b"", [], [], "x", None),  # a field and no entry
        # Heads of no side, a side without its list, a head of three strings,
        # heads not in a list.
        (3, b"", b"", b"", b"", [], [[]], "", None),
        (3, b"", b"", b"", b"", [()], [], "", None),
        one_entry(b"\0\0\0\0", [[("a",) * 3]], "m"),
        one_entry(b"\0\0\0\0", [("a",) * 4], "m"),
        # An entry shares a head its side lacks (none, or not that one), or
        # shares one with no param.
        one_entry(b"\x0a\0\0\0", [[]], "m\0t"),
        one_entry(b"\x0a\1\0\0", [[("a",) * 4]], "m\0t"),
        one_entry(b"\x02\0\0\0", [[("a",) * 4]], "m"),
        # More params than the text holds.
        one_entry(b"\x0e\0\0\0", [[("a",) * 4]], "m"),
    ],
)
def test_a_damaged_block_is_refused(value: tuple[Any, ...]) -> None:
    with pytest.raises(pickle.UnpicklingError, match="not a history block"):
        blocks.entries_of(pickle.dumps(value))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=blocks.MAX_BLOCK_ENTRIES + 1, max_size=800))
def test_any_long_conversation_is_cut_into_full_blocks_in_seq_order(
    turns: list[bool],
) -> None:
    # Whoever speaks when, the blocks are full but the last, their seqs
    # ranges follow each other, and each party reads every message once.
    sent = [
        private_back(str(n), at=T0 + n) if back else private(str(n), at=T0 + n)
        for n, back in enumerate(turns)
    ]
    rows = [row_dict(row) for row in blocks.block_rows(sent, 1)]
    full, last = divmod(len(turns), blocks.MAX_BLOCK_ENTRIES)
    assert [row["count"] for row in rows] == [blocks.MAX_BLOCK_ENTRIES] * full + (
        [last] if last else []
    )
    starts = [row["first_seq"] for row in rows]
    assert starts == [1 + n * blocks.MAX_BLOCK_ENTRIES for n in range(len(rows))]
    for row in rows:
        entries = blocks.entries_of(row["entries"])
        seqs = [entry[blocks.SEQ] for entry in entries]
        assert seqs == list(range(row["first_seq"], row["last_seq"] + 1))
        assert (row["first_at"], row["last_at"]) == (
            T0 + row["first_seq"] - 1,
            T0 + row["last_seq"] - 1,
        )
    read = [
        i for row in rows for i in blocks.items_of(row["entries"], "n:bob", "alice")
    ]
    assert [i.params[1] for i in read] == [str(n) for n in range(len(turns))]
