"""What others do, as events: JOIN, PART, KICK, QUIT, NICK, messages, MODE, AWAY."""

from __future__ import annotations

from datetime import UTC, datetime

from hubbub.client.events import (
    AwayChanged,
    MemberModeChanged,
    MessageKind,
    MessageReceived,
    NickChanged,
    ServerReplied,
    TopicChanged,
    UserJoined,
    UserParted,
    UserQuit,
)
from hubbub.client.session import ClientSession, Registration

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def welcomed() -> ClientSession:
    """A registered session for alice."""
    session = ClientSession(Registration("alice", "a", "A"), clock=lambda: T0)
    session.receive_line(":irc.test 001 alice :Welcome")
    session.lines_to_send()
    return session


def test_others_joining_and_ourselves_joining() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h JOIN #lobby") == [
        UserJoined(T0, "#lobby", "bob")
    ]
    assert session.receive_line(":Alice!a@h JOIN :#lobby") == [
        UserJoined(T0, "#lobby", "Alice", is_self=True)
    ]
    assert session.channels == {"#lobby": "#lobby"}
    assert session.own_source == "Alice!a@h"


def test_part_with_and_without_reason() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h PART #lobby :off to bed") == [
        UserParted(T0, "#lobby", "bob", "off to bed")
    ]
    assert session.receive_line(":bob!b@h PART #lobby") == [
        UserParted(T0, "#lobby", "bob", "")
    ]


def test_kick_names_who_kicked() -> None:
    session = welcomed()
    session.receive_line(":alice!a@h JOIN #lobby")
    events = session.receive_line(":op!o@h KICK #lobby alice :behave")
    assert events == [
        UserParted(T0, "#lobby", "alice", "behave", is_self=True, kicked_by="op")
    ]
    assert session.channels == {}


def test_quit_and_nick_change() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h QUIT :Quit: bye") == [
        UserQuit(T0, "bob", "Quit: bye")
    ]
    assert session.receive_line(":alice!a@h NICK :alicia") == [
        NickChanged(T0, "alice", "alicia", is_self=True)
    ]
    assert session.nick == "alicia"


def test_channel_message_private_message_and_our_echo() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h PRIVMSG #lobby :hi all") == [
        MessageReceived(T0, "#lobby", "bob", "hi all")
    ]
    assert session.receive_line(":bob!b@h PRIVMSG alice :psst") == [
        MessageReceived(T0, "bob", "bob", "psst", is_private=True)
    ]
    # echo-message: our own private message comes back addressed to bob.
    assert session.receive_line(":alice!a@h PRIVMSG bob :hey") == [
        MessageReceived(T0, "bob", "alice", "hey", is_private=True, is_self=True)
    ]


def test_action_and_notice() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h PRIVMSG #lobby :\x01ACTION waves\x01") == [
        MessageReceived(T0, "#lobby", "bob", "waves", MessageKind.ACTION)
    ]
    assert session.receive_line(":bob!b@h NOTICE #lobby :note") == [
        MessageReceived(T0, "#lobby", "bob", "note", MessageKind.NOTICE)
    ]


def test_statusmsg_is_shown_in_the_room() -> None:
    session = welcomed()
    (event,) = session.receive_line(":bob!b@h PRIVMSG @#lobby :ops only")
    assert isinstance(event, MessageReceived)
    assert (event.buffer, event.is_private) == ("#lobby", False)


def test_server_notices_are_server_text() -> None:
    session = welcomed()
    assert session.receive_line(":irc.test NOTICE alice :*** Hello") == [
        ServerReplied(T0, "*** Hello")
    ]


def test_ctcp_version_is_answered_in_a_notice_and_not_shown() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h PRIVMSG alice :\x01VERSION\x01") == []
    assert session.lines_to_send() == ["NOTICE bob :\x01VERSION hubbub chat\x01"]
    assert session.receive_line(":bob!b@h NOTICE alice :\x01VERSION x\x01") == []
    assert session.lines_to_send() == []


def test_topic_and_away() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h TOPIC #lobby :Tea time") == [
        TopicChanged(T0, "#lobby", "Tea time", "bob")
    ]
    assert session.receive_line(":bob!b@h AWAY :lunch") == [AwayChanged("bob", "lunch")]
    assert session.receive_line(":bob!b@h AWAY") == [AwayChanged("bob", None)]


def test_mode_with_prefix_and_list_modes_tracks_the_right_arguments() -> None:
    session = welcomed()
    events = session.receive_line(":op!o@h MODE #lobby +bov-l *!*@spam bob carol")
    assert events == [
        ServerReplied(T0, "op sets mode +bov-l *!*@spam bob carol", buffer="#lobby"),
        MemberModeChanged(T0, "#lobby", "bob", "@", True, "op"),
        MemberModeChanged(T0, "#lobby", "carol", "+", True, "op"),
    ]


def test_user_mode_goes_to_the_server_buffer() -> None:
    session = welcomed()
    assert session.receive_line(":alice MODE alice :+i") == [
        ServerReplied(T0, "alice sets mode +i", is_welcome=True)
    ]


def test_invite_is_shown() -> None:
    session = welcomed()
    assert session.receive_line(":bob!b@h INVITE alice #secret") == [
        ServerReplied(T0, "bob invites you to #secret")
    ]


def test_the_msgid_tag_is_kept() -> None:
    session = welcomed()
    (event,) = session.receive_line("@msgid=abc :bob!b@h PRIVMSG #lobby :hi")
    assert isinstance(event, MessageReceived)
    assert event.msgid == "abc"
