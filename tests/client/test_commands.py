"""Typed lines into actions: slash commands, `@nick: text`, and their errors."""

from __future__ import annotations

import pytest

from hubbub.client.actions import (
    CloseBuffer,
    InputContext,
    InputError,
    OpenBuffer,
    Quit,
    SendMessage,
    SendText,
    ShowText,
)
from hubbub.client.commands import COMMANDS, help_text, parse_input
from hubbub.client.events import MessageKind
from hubbub.protocol.message import Message

LOBBY = InputContext("#lobby")
WITH_BOB = InputContext("Bob")
SERVER = InputContext(None)
LEFT_TEA = InputContext("#tea", is_joined=False)


def test_plain_text_goes_to_the_current_room() -> None:
    assert parse_input("Hello everyone!", LOBBY) == [
        SendText("#lobby", "Hello everyone!")
    ]


def test_at_nick_colon_sends_a_private_message() -> None:
    assert parse_input("@Bob: hi there", LOBBY) == [SendText("Bob", "hi there")]
    assert parse_input("@Bob:hi", SERVER) == [SendText("Bob", "hi")]


def test_at_without_colon_is_ordinary_text() -> None:
    assert parse_input("@everyone look", LOBBY) == [
        SendText("#lobby", "@everyone look")
    ]


def test_double_slash_sends_a_line_starting_with_slash() -> None:
    assert parse_input("//shrug", LOBBY) == [SendText("#lobby", "/shrug")]


def test_blank_lines_do_nothing() -> None:
    assert parse_input("   ", LOBBY) == []


@pytest.mark.parametrize(
    ("line", "context", "actions"),
    [
        (
            "/join #tea",
            SERVER,
            [SendMessage(Message("JOIN", ("#tea",))), OpenBuffer("#tea")],
        ),
        (
            "/join tea key",
            SERVER,
            [SendMessage(Message("JOIN", ("#tea", "key"))), OpenBuffer("#tea")],
        ),
        ("/part", LOBBY, [SendMessage(Message("PART", ("#lobby",)))]),
        (
            "/part #tea gone home",
            LOBBY,
            [SendMessage(Message("PART", ("#tea", "gone home")))],
        ),
        ("/part see you", LOBBY, [SendMessage(Message("PART", ("#lobby", "see you")))]),
        ("/part", WITH_BOB, [CloseBuffer("Bob")]),
        ("/msg Bob hi there", SERVER, [SendText("Bob", "hi there")]),
        ("/query Bob", LOBBY, [OpenBuffer("Bob")]),
        ("/query Bob hi", LOBBY, [OpenBuffer("Bob"), SendText("Bob", "hi")]),
        ("/me waves", LOBBY, [SendText("#lobby", "waves", MessageKind.ACTION)]),
        ("/notice Bob hey", LOBBY, [SendText("Bob", "hey", MessageKind.NOTICE)]),
        ("/nick alicia", LOBBY, [SendMessage(Message("NICK", ("alicia",)))]),
        ("/topic", LOBBY, [SendMessage(Message("TOPIC", ("#lobby",)))]),
        (
            "/topic Tea time",
            LOBBY,
            [SendMessage(Message("TOPIC", ("#lobby", "Tea time")))],
        ),
        (
            "/topic #tea Oolong",
            LOBBY,
            [SendMessage(Message("TOPIC", ("#tea", "Oolong")))],
        ),
        ("/names", LOBBY, [SendMessage(Message("NAMES", ("#lobby",)))]),
        ("/who", LOBBY, [SendMessage(Message("WHO", ("#lobby",)))]),
        ("/who bob*", SERVER, [SendMessage(Message("WHO", ("bob*",)))]),
        ("/whois Bob", SERVER, [SendMessage(Message("WHOIS", ("Bob",)))]),
        ("/list", SERVER, [SendMessage(Message("LIST"))]),
        ("/away lunch break", LOBBY, [SendMessage(Message("AWAY", ("lunch break",)))]),
        ("/away", LOBBY, [SendMessage(Message("AWAY", ("away",)))]),
        ("/back", LOBBY, [SendMessage(Message("AWAY"))]),
        (
            "/raw MODE #lobby +m",
            LOBBY,
            [SendMessage(Message("MODE", ("#lobby", "+m")))],
        ),
        ("/quit gone fishing", LOBBY, [Quit("gone fishing")]),
        ("/EXIT", LOBBY, [Quit("")]),
    ],
)
def test_slash_commands(
    line: str, context: InputContext, actions: list[object]
) -> None:
    assert parse_input(line, context) == actions


@pytest.mark.parametrize(
    ("line", "context", "error"),
    [
        (
            "/frobnicate",
            LOBBY,
            "Unknown command /frobnicate: /help lists the commands.",
        ),
        ("/join", LOBBY, "Usage: /join #room [key]"),
        ("/msg Bob", LOBBY, "Usage: /msg nick text"),
        ("/nick two words", LOBBY, "A nickname cannot contain spaces."),
        ("/nick #room", LOBBY, "#room is not a nickname: /nick newnick"),
        ("/query #tea", LOBBY, "#tea is not a nickname: /query nick"),
        ("/me waves", SERVER, "Not in a room or a private chat: /me action"),
        ("/part", SERVER, "Not in a room: /part #room"),
        ("/names", SERVER, "Not in a room: /names #room"),
        ("/help nope", LOBBY, "No command /nope."),
        (
            "hello",
            SERVER,
            "You are not in a room here: /join #room, or @nick: text to one person.",
        ),
        ("@Bob:", LOBBY, "Nothing to send to Bob."),
        ("hi", LEFT_TEA, "You are not in #tea: /join it to talk there."),
        ("/raw :only-source", LOBBY, "Not an IRC line: missing command."),
    ],
)
def test_bad_input_is_explained(line: str, context: InputContext, error: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_input(line, context)
    assert str(raised.value) == error


def test_help_lists_every_command_and_explains_one() -> None:
    (action,) = parse_input("/help", LOBBY)
    assert isinstance(action, ShowText)
    for name in COMMANDS:
        assert f"/{name}" in action.text
    assert help_text("/away") == "/away [message]: mark yourself away"


def test_every_command_the_issue_names_exists() -> None:
    wanted = (
        "join part msg me nick topic names who whois list away back query raw help exit"
    )
    assert set(wanted.split()) <= set(COMMANDS)


def test_join_on_a_server_without_channel_types_says_so() -> None:
    # ISUPPORT CHANTYPES= (empty): nothing to put before a bare name.
    with pytest.raises(InputError, match="has no rooms"):
        parse_input("/join lobby", InputContext(None, chantypes=""))
