"""Numeric replies as text; NAMES, topic and away replies as state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hubbub.client.events import (
    AwayChanged,
    NamesReceived,
    NickRejected,
    ServerReplied,
    TopicChanged,
)
from hubbub.client.session import ClientSession, Registration

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def welcomed() -> ClientSession:
    """A registered session for alice."""
    session = ClientSession(Registration("alice", "a", "A"), clock=lambda: T0)
    session.receive_line(":irc.test 001 alice :Welcome")
    return session


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (":s 401 alice bobb :No such nick/channel", "bobb: No such nick/channel"),
        (":s 311 alice bob ~b host * :Bob B", "bob is ~b@host (Bob B)"),
        (":s 319 alice bob :@#lobby #tea", "bob is in @#lobby #tea"),
        (":s 301 alice bob :lunch", "bob is away: lunch"),
        (":s 322 alice #lobby 3 :[+nt] Tea", "#lobby (3 people): [+nt] Tea"),
        (
            ":s 352 alice #lobby ~b host s bob H :0 Bob B",
            "bob (~b@host) in #lobby: Bob B",
        ),
        (":s 331 alice #lobby :No topic is set", "#lobby has no topic"),
    ],
)
def test_replies_read_as_sentences(line: str, text: str) -> None:
    (event,) = welcomed().receive_line(line)
    assert isinstance(event, ServerReplied)
    assert event.text == text


def test_errors_are_marked_as_errors() -> None:
    (event,) = welcomed().receive_line(":s 403 alice #x :No such channel")
    assert event == ServerReplied(T0, "#x: No such channel", is_error=True)


def test_the_welcome_burst_is_marked() -> None:
    (event,) = welcomed().receive_line(":s 375 alice :- s Message of the day -")
    assert isinstance(event, ServerReplied)
    assert event.is_welcome


def test_end_of_lists_is_silent() -> None:
    assert welcomed().receive_line(":s 318 alice bob :End of /WHOIS list") == []


def test_names_are_gathered_until_their_end_with_all_prefixes() -> None:
    session = welcomed()
    assert session.receive_line(":s 353 alice = #lobby :@+alice bob") == []
    assert session.receive_line(":s 353 alice = #lobby :+carol!c@h") == []
    assert session.receive_line(":s 366 alice #lobby :End of /NAMES list") == [
        NamesReceived("#lobby", (("alice", "@+"), ("bob", ""), ("carol", "+")))
    ]


def test_topic_on_join_has_no_setter() -> None:
    assert welcomed().receive_line(":s 332 alice #lobby :Tea time") == [
        TopicChanged(T0, "#lobby", "Tea time")
    ]


def test_own_away_replies_change_our_state() -> None:
    session = welcomed()
    assert session.receive_line(":s 306 alice :You have been marked as away") == [
        AwayChanged("alice", "away"),
        ServerReplied(T0, "You have been marked as away"),
    ]
    assert session.receive_line(":s 305 alice :You are no longer away")[0] == (
        AwayChanged("alice", None)
    )


def test_a_short_reply_does_not_break_its_formatter() -> None:
    (event,) = welcomed().receive_line(":s 352 alice #lobby")
    assert isinstance(event, ServerReplied)
    assert event.text == "#lobby"


@pytest.mark.parametrize(
    ("line", "events"),
    [
        (":s 305 alice", [AwayChanged("alice", None), ServerReplied(T0, "")]),
        (":s 306 alice", [AwayChanged("alice", "away"), ServerReplied(T0, "")]),
        (":s 332 alice", [TopicChanged(T0, "", "")]),
        (":s 332 alice #chan", [TopicChanged(T0, "#chan", "")]),
        (":s 353 alice", []),
        (":s 353 alice = #chan", []),
    ],
)
def test_a_reply_cut_short_reads_as_empty(line: str, events: list[object]) -> None:
    # A server may send a numeric without its text: no IndexError.
    assert welcomed().receive_line(line) == events


def test_cap_and_nick_replies_without_parameters_break_nothing() -> None:
    session = ClientSession(Registration("alice", "a", "A"), clock=lambda: T0)
    session.start()
    session.lines_to_send()
    assert session.receive_line(":s CAP") == []
    assert session.receive_line(":s CAP * LS") == []
    assert session.lines_to_send() == ["CAP END"]  # nothing offered, nothing asked
    assert session.receive_line(":s 433") == [NickRejected("alice", "")]


def test_a_names_reply_without_names_adds_no_member() -> None:
    session = welcomed()
    session.receive_line(":s 353 alice = #chan")
    assert session.receive_line(":s 366 alice #chan :End") == [
        NamesReceived("#chan", ())
    ]
