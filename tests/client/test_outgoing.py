"""Splitting long text into messages that fit, never cutting anything."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hubbub.client.events import MessageKind
from hubbub.client.outgoing import (
    assumed_source,
    parse_action,
    split_text,
    text_messages,
    text_room_bytes,
)
from hubbub.protocol.message import Message, format_message


def test_short_text_is_one_piece() -> None:
    assert split_text("hello", 100) == ["hello"]


def test_long_text_splits_at_spaces() -> None:
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]


def test_a_word_longer_than_the_room_is_split_between_characters() -> None:
    assert split_text("éééé", 5) == ["éé", "éé"]


def test_each_line_is_its_own_message_and_blank_lines_are_dropped() -> None:
    assert split_text("one\n\ntwo\r\nthree", 100) == ["one", "two", "three"]


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300))
def test_pieces_fit_and_keep_every_word(text: str) -> None:
    pieces = split_text(text, 16)
    assert all(len(piece.encode()) <= 16 for piece in pieces)
    kept = "".join("".join(piece.split()) for piece in pieces)
    assert kept == "".join(
        "".join(line.split()) for line in text.replace("\0", "").splitlines()
    )


def test_relayed_messages_fit_in_512_bytes() -> None:
    source = assumed_source("alice")
    text = "x" * 2000
    messages = text_messages(MessageKind.PRIVMSG, "#lobby", text, source)
    assert len(messages) == 5
    for message in messages:
        relayed = format_message(Message(message.command, message.params, source))
        assert len(relayed.encode()) + 2 <= 512
    assert "".join(m.params[1] for m in messages) == text


def test_actions_are_wrapped_in_ctcp_and_fit() -> None:
    source = "alice!a@h"
    room = text_room_bytes("PRIVMSG", "#lobby", source)
    messages = text_messages(MessageKind.ACTION, "#lobby", "y" * room, source)
    assert len(messages) == 2
    assert all(parse_action(m.params[1]) for m in messages)


def test_notices_use_notice() -> None:
    (message,) = text_messages(MessageKind.NOTICE, "bob", "hi", "a!b@c")
    assert message == Message("NOTICE", ("bob", "hi"))


def test_parse_action() -> None:
    assert parse_action("\x01ACTION waves\x01") == "waves"
    assert parse_action("\x01ACTION waves") == "waves"
    assert parse_action("waves") is None
