"""`ClientSession`: registration, capability negotiation, PING, batches, rejoin."""

from __future__ import annotations

from datetime import UTC, datetime

from hubbub.client.events import (
    FeaturesChanged,
    MessageReceived,
    NickRejected,
    Ready,
    Registered,
)
from hubbub.client.session import READY_TOKEN, ClientSession, Registration

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def new_session(*channels: str) -> ClientSession:
    """A session for alice that will join `channels`."""
    session = ClientSession(
        Registration("alice", "alice", "Alice", channels), clock=lambda: T0
    )
    session.start()
    return session


def welcomed(*channels: str) -> ClientSession:
    """A session past 001, its lines drained."""
    session = new_session(*channels)
    session.receive_line(":irc.test CAP * LS :multi-prefix")
    session.receive_line(":irc.test CAP alice ACK :multi-prefix")
    session.receive_line(":irc.test 001 alice :Welcome")
    session.lines_to_send()
    return session


def test_registration_starts_with_cap_ls_302() -> None:
    session = new_session()
    assert session.lines_to_send() == [
        "CAP LS 302",
        "NICK alice",
        "USER alice 0 * Alice",
    ]


def test_offered_wanted_caps_are_requested_then_negotiation_ends() -> None:
    session = new_session()
    session.lines_to_send()
    session.receive_line(":irc.test CAP * LS * :server-time sasl=PLAIN batch")
    assert session.lines_to_send() == []  # more LS lines follow
    session.receive_line(":irc.test CAP * LS :echo-message away-notify setname")
    assert session.lines_to_send() == [
        "CAP REQ :server-time echo-message batch away-notify"
    ]
    session.receive_line(
        ":irc.test CAP * ACK :server-time echo-message batch away-notify"
    )
    assert session.lines_to_send() == ["CAP END"]
    assert session.caps == {"server-time", "echo-message", "batch", "away-notify"}


def test_a_server_offering_nothing_wanted_gets_cap_end() -> None:
    session = new_session()
    session.lines_to_send()
    session.receive_line(":irc.test CAP * LS :setname")
    assert session.lines_to_send() == ["CAP END"]


def test_a_refused_request_still_ends_negotiation() -> None:
    session = new_session()
    session.receive_line(":irc.test CAP * LS :multi-prefix")
    session.lines_to_send()
    session.receive_line(":irc.test CAP * NAK :multi-prefix")
    assert session.lines_to_send() == ["CAP END"]
    assert session.caps == set()


def test_caps_offered_later_are_requested_and_removed_caps_dropped() -> None:
    session = welcomed()
    session.receive_line(":irc.test CAP alice NEW :server-time")
    assert session.lines_to_send() == ["CAP REQ server-time"]
    session.receive_line(":irc.test CAP alice ACK server-time")
    session.receive_line(":irc.test CAP alice DEL :multi-prefix")
    assert session.lines_to_send() == []  # no CAP END after registration
    assert session.caps == {"server-time"}


def test_welcome_joins_the_channels_then_pings_for_ready() -> None:
    session = new_session("#lobby", "#tea")
    session.lines_to_send()
    events = session.receive_line(":irc.test 001 alice :Welcome alice")
    assert isinstance(events[0], Registered)
    assert events[0].nick == "alice"
    assert session.lines_to_send() == ["JOIN #lobby,#tea", f"PING {READY_TOKEN}"]
    assert session.receive_line(f":irc.test PONG irc.test {READY_TOKEN}") == [Ready()]


def test_a_taken_nick_before_registration_is_rejected_for_the_user() -> None:
    session = new_session()
    events = session.receive_line(":irc.test 433 * alice :Nickname is already in use")
    assert events == [NickRejected("alice", "Nickname is already in use")]
    session.choose_nick("alicia")
    assert session.lines_to_send()[-1] == "NICK alicia"
    assert session.nick == "alicia"


def test_a_taken_nick_after_registration_is_just_an_error() -> None:
    session = welcomed()
    events = session.receive_line(":irc.test 433 alice bob :Nickname is in use")
    assert [type(event).__name__ for event in events] == ["ServerReplied"]


def test_ping_is_answered() -> None:
    session = welcomed()
    session.receive_line("PING :abc")
    assert session.lines_to_send() == ["PONG abc"]


def test_isupport_sets_casemapping_and_prefixes() -> None:
    session = welcomed()
    events = session.receive_line(
        ":irc.test 005 alice CASEMAPPING=ascii PREFIX=(qov)~@+ CHANTYPES=# :are"
    )
    assert events == [FeaturesChanged(session.features)]
    assert session.features.casemapping == "ascii"
    assert session.features.prefix_chars == "~@+"
    assert session.features.chantypes == "#"
    assert session.fold("[Alice]") == "[alice]"


def test_server_time_tag_dates_a_message() -> None:
    session = welcomed()
    (event,) = session.receive_line(
        "@time=2026-03-04T05:06:07.890Z :bob!b@h PRIVMSG #lobby :hi"
    )
    assert isinstance(event, MessageReceived)
    assert event.time == datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def test_a_bad_server_time_falls_back_to_now() -> None:
    session = welcomed()
    (event,) = session.receive_line("@time=yesterday :bob!b@h PRIVMSG #lobby :hi")
    assert isinstance(event, MessageReceived)
    assert event.time == T0


def test_messages_in_a_chathistory_batch_are_history() -> None:
    session = welcomed()
    session.receive_line(":irc.test BATCH +h1 chathistory #lobby")
    (old,) = session.receive_line("@batch=h1 :bob!b@h PRIVMSG #lobby :earlier")
    session.receive_line(":irc.test BATCH -h1")
    (new,) = session.receive_line("@batch=h1 :bob!b@h PRIVMSG #lobby :now")
    assert isinstance(old, MessageReceived)
    assert old.is_history
    assert isinstance(new, MessageReceived)
    assert not new.is_history


def test_error_from_the_server_is_kept_as_the_closing_reason() -> None:
    session = welcomed()
    assert session.receive_line("ERROR :Closing Link: (Server shutting down)") == []
    assert session.closing_reason == "Closing Link: (Server shutting down)"


def test_rejoin_registration_keeps_nick_and_joined_channels() -> None:
    session = welcomed("#lobby")
    session.receive_line(":alice!a@h JOIN #lobby")
    session.receive_line(":alice!a@h JOIN #tea")
    session.receive_line(":alice!a@h PART #lobby")
    session.receive_line(":alice!a@h NICK alicia")
    registration = session.rejoin_registration()
    assert (registration.nick, registration.channels) == ("alicia", ("#tea",))


def test_unparsable_lines_and_unknown_commands_are_ignored() -> None:
    session = welcomed()
    assert session.receive_line(":only-a-source") == []
    assert session.receive_line(":irc.test FROBNICATE x") == []
