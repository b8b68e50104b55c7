"""`ChatModel`: buffers, members, unread counts and the lines each event adds."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

from hubbub.client import model as model_module
from hubbub.client.buffers import BufferKind, LineKind
from hubbub.client.events import (
    AwayChanged,
    BufferClosed,
    BufferOpened,
    ConnectionLost,
    Event,
    MemberModeChanged,
    MessageKind,
    MessageReceived,
    NamesReceived,
    NickChanged,
    NoteShown,
    Registered,
    ServerFeatures,
    ServerReplied,
    TopicChanged,
    UserJoined,
    UserParted,
    UserQuit,
)
from hubbub.client.model import SERVER_BUFFER, ChatModel

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def in_lobby(*others: str) -> ChatModel:
    """alice, registered and in #lobby with `others`."""
    model = ChatModel(clock=lambda: T0)
    model.apply(Registered("alice", "irc.test", ServerFeatures()))
    model.apply(UserJoined(T0, "#lobby", "alice", is_self=True))
    members = (("alice", "@"), *((nick, "") for nick in others))
    model.apply(NamesReceived("#lobby", members))
    return model


def texts(model: ChatModel, name: str) -> list[str]:
    """The text of each line in buffer `name`."""
    buffer = model.find(name)
    assert buffer is not None
    return [line.text for line in buffer.lines]


def test_every_event_type_has_an_applier() -> None:
    assert set(typing.get_args(Event)) == set(model_module._APPLIERS)


def test_own_join_opens_and_shows_the_room_with_its_members() -> None:
    model = in_lobby("bob")
    lobby = model.find("#LOBBY")
    assert lobby is not None
    assert lobby is model.current
    assert lobby.is_joined
    assert [m.nick for m in lobby.sorted_members("@+")] == ["alice", "bob"]
    assert texts(model, "#lobby") == [
        "You joined #lobby",
        "People in #lobby: @alice, bob",
    ]


def test_others_join_and_leave_with_the_seeds_words() -> None:
    model = in_lobby()
    model.apply(UserJoined(T0, "#lobby", "bob"))
    model.apply(UserParted(T0, "#lobby", "bob", "bed"))
    model.apply(UserJoined(T0, "#lobby", "carol"))
    model.apply(UserQuit(T0, "carol", ""))
    assert texts(model, "#lobby")[2:] == [
        "bob joined the chat",
        "bob left the chat (bed)",
        "carol joined the chat",
        "carol left the chat",
    ]
    lobby = model.find("#lobby")
    assert lobby is not None
    assert list(lobby.members) == ["alice"]


def test_messages_elsewhere_count_as_unread_until_shown() -> None:
    model = in_lobby("bob")
    shown = model.apply(MessageReceived(T0, "bob", "bob", "psst", is_private=True))
    query = model.find("bob")
    assert query is not None
    assert query.kind is BufferKind.QUERY
    assert [s.buffer for s in shown] == [query]
    assert (query.unread, query.highlights) == (1, 0)
    model.apply(MessageReceived(T0, "bob", "bob", "alice?", is_private=True))
    assert (query.unread, query.highlights) == (2, 1)
    model.apply(BufferOpened("bob"))
    assert model.current is query
    assert (query.unread, query.highlights) == (0, 0)


def test_leaving_a_buffer_sets_its_read_marker() -> None:
    model = in_lobby("bob")
    lobby = model.current
    model.apply(BufferOpened("bob"))
    assert lobby.read_marker == len(lobby.lines)


def test_own_messages_and_history_are_never_unread() -> None:
    model = in_lobby("bob")
    model.apply(BufferOpened(SERVER_BUFFER))
    model.apply(MessageReceived(T0, "#lobby", "alice", "mine", is_self=True))
    model.apply(MessageReceived(T0, "#lobby", "bob", "old", is_history=True))
    lobby = model.find("#lobby")
    assert lobby is not None
    assert lobby.unread == 0


def test_highlight_needs_the_whole_nick() -> None:
    model = in_lobby("bob")
    model.apply(MessageReceived(T0, "#lobby", "bob", "ALICE: hi"))
    model.apply(MessageReceived(T0, "#lobby", "bob", "alicebot is here"))
    lobby = model.current
    assert [line.is_highlight for line in lobby.lines][-2:] == [True, False]


def test_a_nick_change_renames_the_member_and_the_private_chat() -> None:
    model = in_lobby("bob")
    model.apply(MessageReceived(T0, "bob", "bob", "hi", is_private=True))
    shown = model.apply(NickChanged(T0, "bob", "robert"))
    assert {s.buffer.name for s in shown} == {"#lobby", "robert"}
    assert model.find("bob") is None
    lobby = model.find("#lobby")
    assert lobby is not None
    assert "robert" in lobby.members
    assert texts(model, "robert")[-1] == "bob is now known as robert"


def test_our_nick_change_is_ours() -> None:
    model = in_lobby()
    model.apply(NickChanged(T0, "alice", "alicia", is_self=True))
    assert model.nick == "alicia"
    assert texts(model, "#lobby")[-1] == "You are now known as alicia"


def test_a_quit_is_shown_in_every_shared_room_and_the_private_chat() -> None:
    model = in_lobby("bob")
    model.apply(UserJoined(T0, "#tea", "alice", is_self=True))
    model.apply(UserJoined(T0, "#tea", "bob"))
    model.apply(MessageReceived(T0, "bob", "bob", "hi", is_private=True))
    shown = model.apply(UserQuit(T0, "bob", "Quit: bye"))
    assert sorted(s.buffer.name for s in shown) == ["#lobby", "#tea", "bob"]
    assert {s.line.text for s in shown} == {"bob left the chat (Quit: bye)"}


def test_being_kicked_leaves_the_room() -> None:
    model = in_lobby("op")
    model.apply(UserParted(T0, "#lobby", "alice", "out", True, kicked_by="op"))
    lobby = model.current
    assert not lobby.is_joined
    assert not lobby.members
    assert texts(model, "#lobby")[-1] == "You were kicked by op (out)"


def test_prefix_modes_and_away_update_members() -> None:
    model = in_lobby("bob")
    model.apply(MemberModeChanged(T0, "#lobby", "bob", "+", True, "alice"))
    model.apply(MemberModeChanged(T0, "#lobby", "bob", "@", True, "alice"))
    model.apply(MemberModeChanged(T0, "#lobby", "bob", "+", False, "alice"))
    model.apply(AwayChanged("bob", "lunch"))
    bob = model.current.members["bob"]
    assert (bob.prefixes, bob.away) == ("@", "lunch")


def test_topic_is_kept_and_shown() -> None:
    model = in_lobby()
    model.apply(TopicChanged(T0, "#lobby", "Tea", "bob"))
    assert model.current.topic == "Tea"
    assert texts(model, "#lobby")[-1] == "bob changed the topic to: Tea"


def test_replies_go_to_the_current_buffer_and_the_burst_to_the_server() -> None:
    model = in_lobby()
    model.apply(ServerReplied(T0, "bob is away", is_error=False))
    model.apply(ServerReplied(T0, "Welcome", is_welcome=True))
    assert texts(model, "#lobby")[-1] == "bob is away"
    assert texts(model, SERVER_BUFFER) == ["Welcome"]


def test_connection_lost_leaves_every_room_until_rejoined() -> None:
    model = in_lobby("bob")
    model.apply(ConnectionLost("reset", 2.0))
    lobby = model.current
    assert not model.is_connected
    assert not lobby.is_joined
    assert not lobby.members
    assert (
        texts(model, "#lobby")[-1]
        == "Connection lost (reset). Reconnecting in 2 seconds."
    )
    model.apply(UserJoined(T0, "#lobby", "alice", is_self=True))
    assert model.current is lobby
    assert lobby.is_joined


def test_closing_a_private_chat_shows_the_server_buffer() -> None:
    model = in_lobby()
    model.apply(BufferOpened("bob"))
    model.apply(BufferClosed("bob"))
    assert model.find("bob") is None
    assert model.current.kind is BufferKind.SERVER
    model.apply(BufferClosed(SERVER_BUFFER))
    assert model.find(SERVER_BUFFER) is not None


def test_notes_and_actions_are_lines_of_their_kind() -> None:
    model = in_lobby()
    model.apply(NoteShown("hello", is_error=True))
    model.apply(MessageReceived(T0, "#lobby", "bob", "waves", MessageKind.ACTION))
    kinds = [line.kind for line in model.current.lines][-2:]
    assert kinds == [LineKind.ERROR, LineKind.ACTION]


def test_a_room_being_joined_is_shown_once_the_server_confirms() -> None:
    model = in_lobby()
    model.apply(BufferOpened("#tea"))
    assert model.find("#tea") is None
    assert model.current.name == "#lobby"
    model.apply(UserJoined(T0, "#tea", "alice", is_self=True))
    assert model.current.name == "#tea"
    model.apply(BufferOpened("#lobby"))
    assert model.current.name == "#lobby"


def test_leaving_the_shown_room_shows_another_joined_room() -> None:
    model = in_lobby()
    model.apply(UserJoined(T0, "#tea", "alice", is_self=True))
    model.apply(UserParted(T0, "#tea", "alice", is_self=True))
    assert model.current.name == "#lobby"


def test_a_message_seen_before_is_not_shown_again() -> None:
    model = in_lobby("bob")
    first = MessageReceived(T0, "#lobby", "bob", "hi", msgid="m1")
    assert len(model.apply(first)) == 1
    assert model.apply(first) == []  # replayed on a rejoin
    assert texts(model, "#lobby").count("hi") == 1
