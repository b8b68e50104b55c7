"""Plain line mode: formatting, and `hubbub chat` over pipes against a real server."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hubbub.client.buffers import Buffer, BufferKind, Line, LineKind, Shown
from hubbub.client.plain import format_line, format_shown
from tests.client.plain_process import PlainChat
from tests.server_process import ServerProcess

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def chats() -> Iterator[list[PlainChat]]:
    """Chat processes started by a test, killed if it left them running."""
    started: list[PlainChat] = []
    yield started
    for chat in started:
        chat.kill()


def start(chats: list[PlainChat], *args: str) -> PlainChat:
    """Start `hubbub chat ARGS` in plain mode (its input is a pipe)."""
    chat = PlainChat(*args)
    chats.append(chat)
    return chat


def join(server: ServerProcess, chats: list[PlainChat], nick: str) -> PlainChat:
    """A client that is in #lobby as `nick`."""
    chat = start(chats, f"127.0.0.1:{server.port}", "--nick", nick)
    chat.expect("You joined #lobby")
    chat.expect("People in #lobby")
    return chat


# Formatting


def test_channel_message_reads_like_the_seeds() -> None:
    lobby = Buffer("#lobby", BufferKind.CHANNEL)
    line = Line(T0, LineKind.MESSAGE, "Hello everyone!", "Alice")
    assert format_line(Shown(lobby, line), lobby) == "Alice: Hello everyone!"


def test_private_messages_read_like_the_seeds() -> None:
    bob = Buffer("Bob", BufferKind.QUERY)
    lobby = Buffer("#lobby", BufferKind.CHANNEL)
    received = Line(T0, LineKind.MESSAGE, "hi", "Bob")
    sent = Line(T0, LineKind.MESSAGE, "hi", "Alice", is_self=True)
    assert format_line(Shown(bob, received), lobby) == "Private message from Bob: hi"
    assert format_line(Shown(bob, sent), lobby) == "To Bob: hi"


def test_lines_of_another_room_are_marked_with_its_name() -> None:
    lobby, tea = (
        Buffer("#lobby", BufferKind.CHANNEL),
        Buffer("#tea", BufferKind.CHANNEL),
    )
    line = Line(T0, LineKind.ACTION, "pours", "Bob")
    assert format_line(Shown(tea, line), lobby) == "[#tea] * Bob pours"


def test_welcome_burst_is_not_printed() -> None:
    server = Buffer("*", BufferKind.SERVER)
    line = Line(T0, LineKind.WELCOME, "Welcome to the network")
    assert format_line(Shown(server, line), server) is None


def test_a_quit_seen_in_two_rooms_is_printed_once() -> None:
    lobby, tea = (
        Buffer("#lobby", BufferKind.CHANNEL),
        Buffer("#tea", BufferKind.CHANNEL),
    )
    line = Line(T0, LineKind.PART, "Bob left the chat (bye)", "Bob")
    shown = [Shown(lobby, line), Shown(tea, line)]
    assert format_shown(shown, lobby) == ["Bob left the chat (bye)"]


# Over pipes, against hubbub serve


def test_two_clients_chat_like_the_seeds(
    server: ServerProcess, chats: list[PlainChat]
) -> None:
    alice = start(chats)
    alice.send("", str(server.port), "Alice")
    assert (
        alice.expect("Connected to")
        == f"Connected to 127.0.0.1:{server.port} as Alice."
    )
    alice.expect("You joined #lobby")
    bob = join(server, chats, "Bob")
    alice.expect("Bob joined the chat")

    alice.send("Hello everyone!")
    assert bob.expect("Hello") == "Alice: Hello everyone!"
    bob.send("@Alice: hi")
    assert alice.expect("hi") == "Private message from Bob: hi"
    assert bob.expect("hi") == "To Alice: hi"
    alice.send("/msg Bob psst")
    assert bob.expect("psst") == "Private message from Alice: psst"

    bob.send("/quit see you")
    assert alice.expect("left") == "Bob left the chat (Quit: see you)"
    assert bob.finish() == (0, "")
    alice.send("/exit")
    status, errors = alice.finish()
    assert (status, errors) == (0, "")
    assert alice.lines[:3] == [
        "Server [127.0.0.1]: ",
        f"Port [6667]: {server.port}",
        "Choose your nickname: Alice",
    ]


def test_end_of_input_leaves_the_chat(
    server: ServerProcess, chats: list[PlainChat]
) -> None:
    alice, bob = join(server, chats, "Alice"), join(server, chats, "Bob")
    alice.expect("Bob joined the chat")
    assert bob.finish() == (0, "")
    assert alice.expect("Bob left") == "Bob left the chat (Quit)"


def test_a_long_line_arrives_whole_in_several_messages(
    server: ServerProcess, chats: list[PlainChat]
) -> None:
    alice, bob = join(server, chats, "Alice"), join(server, chats, "Bob")
    words = [f"word{number}-é🎉" for number in range(150)]
    alice.send(" ".join(words))
    received: list[str] = []
    while len(received) < len(words):
        line = bob.expect("Alice: ")
        received += line.removeprefix("Alice: ").split(" ")
    assert received == words, "\n".join(line[:60] for line in bob.lines)
    assert sum(line.startswith("Alice: ") for line in bob.lines) > 1


def test_a_taken_nickname_asks_for_another(
    server: ServerProcess, chats: list[PlainChat]
) -> None:
    join(server, chats, "Alice")
    second = start(chats, f"127.0.0.1:{server.port}", "--nick", "alice")
    assert "Nickname is already in use" in second.expect("alice")
    second.send("Alicia")
    assert second.expect("Choose") == "Choose another nickname: Alicia"
    assert (
        second.expect("Connected") == f"Connected to 127.0.0.1:{server.port} as Alicia."
    )


def test_join_a_second_room_and_talk_in_both(
    server: ServerProcess, chats: list[PlainChat]
) -> None:
    alice, bob = join(server, chats, "Alice"), join(server, chats, "Bob")
    alice.send("/join #tea")
    alice.expect("You joined #tea")
    bob.send("/join tea")
    bob.expect("You joined #tea")
    alice.expect("Bob joined the chat")
    bob.send("green, please")
    assert alice.expect("green") == "Bob: green, please"
    bob.send("/part #tea")
    bob.expect("You left #tea")
    bob.send("back in the lobby")
    assert alice.expect("back") == "[#lobby] Bob: back in the lobby"


def test_unknown_command_is_explained_in_one_line(
    server: ServerProcess, chats: list[PlainChat]
) -> None:
    alice = join(server, chats, "Alice")
    alice.send("/frobnicate")
    assert alice.expect("frobnicate") == (
        "Error: Unknown command /frobnicate: /help lists the commands."
    )
    alice.send("/exit")
    assert alice.finish() == (0, "")


def test_upload_shares_a_file_link_in_the_room(
    server: ServerProcess, chats: list[PlainChat], tmp_path: Path
) -> None:
    alice, bob = join(server, chats, "Alice"), join(server, chats, "Bob")
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting at noon\n")
    alice.send(f"/upload {notes}")
    line = bob.expect("Alice: http://")
    link = line.removeprefix("Alice: ")
    assert link.endswith("/notes.txt")
    with urllib.request.urlopen(link, timeout=10) as reply:
        assert reply.read() == b"meeting at noon\n"


def test_upload_of_a_missing_file_says_why(
    server: ServerProcess, chats: list[PlainChat], tmp_path: Path
) -> None:
    alice = join(server, chats, "Alice")
    alice.send(f"/upload {tmp_path / 'nope.png'}")
    assert "Cannot read" in alice.expect("nope.png")
