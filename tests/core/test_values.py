"""The per-message values (native classes, not NamedTuples): compared by value,
read-only to the type checker, printable, and HistoryItem's `replace`."""

from __future__ import annotations

import pytest

from hubbub.core.events import MessageSent
from hubbub.core.ports import HistoryItem
from hubbub.protocol.framing import DecodedLine
from hubbub.protocol.message import Message

T0 = 1_800_000_000.0


def test_message_compares_by_value_and_tags_of_any_mapping_type() -> None:
    assert Message("PING", ("x",)) == Message(command="PING", params=("x",))
    assert Message("PING", ("x",), tags={}) == Message("PING", ("x",))
    assert Message("PING", ("x",)) != Message("PING", ("y",))
    assert Message("PING", ("x",), source="a") != Message("PING", ("x",))
    assert Message("PING", ("x",), tags={"a": ""}) != Message("PING", ("x",))
    assert Message("PING") != ("PING", (), None, {})
    assert repr(Message("PING", ("x",))) == (
        "Message(command='PING', params=('x',), source=None, tags={})"
    )


def test_decoded_line_compares_and_hashes_by_value() -> None:
    assert DecodedLine("a") == DecodedLine("a", None)
    assert DecodedLine("a") != DecodedLine("a", "too long")
    assert len({DecodedLine("a"), DecodedLine("a"), DecodedLine("b")}) == 2
    assert repr(DecodedLine("a")) == "DecodedLine('a', None)"


def test_message_sent_compares_by_value_and_matches_positionally() -> None:
    sent = MessageSent("alice", "PRIVMSG", "#tea", "hi", "m1", T0)
    assert sent == MessageSent("alice", "PRIVMSG", "#tea", "hi", "m1", T0, {})
    assert sent != MessageSent("alice", "PRIVMSG", "#tea", "hi", "m2", T0)
    match sent:
        case MessageSent(source, "PRIVMSG", target):
            assert (source, target) == ("alice", "#tea")
        case _:
            pytest.fail("MessageSent did not match its positional fields")


def item() -> HistoryItem:
    return HistoryItem(
        "a:alice", "bob", "m1", T0, "alice!a@h", "alice", "PRIVMSG", ("bob", "hi")
    )


def test_history_item_replace_changes_only_the_named_fields() -> None:
    original = item()
    changed = original.replace(seq=7, peer_owner="n:bob", peer_target="alice")
    assert (changed.seq, changed.peer_owner, changed.peer_target) == (
        7,
        "n:bob",
        "alice",
    )
    assert changed.replace(seq=0, peer_owner="", peer_target="") == original
    assert original.seq == 0  # the original is untouched
    with pytest.raises(TypeError, match="no field 'sequence'"):
        original.replace(sequence=1)


def test_history_item_seen_from_the_peer_swaps_the_two_histories() -> None:
    stored = item().replace(seq=3, peer_owner="n:bob", peer_target="alice")
    seen = stored.seen_from("n:bob", "alice")
    assert (seen.owner, seen.target, seen.peer_owner, seen.peer_target) == (
        "n:bob",
        "alice",
        "a:alice",
        "bob",
    )
    assert seen.seq == 3
    assert seen.params == ("bob", "hi")
    assert stored.seen_from("a:alice", "bob") is stored
    assert "msgid='m1'" in repr(stored)
