"""The full-screen client, driven by Textual's Pilot against a real `hubbub serve`."""

from __future__ import annotations

import os
import signal

from textual.widgets import Static

from hubbub.client.buffers import BufferKind
from hubbub.client.tui.app import ChatApp
from hubbub.client.tui.widgets import BufferList, ChatInput, MemberList, MessageLog
from tests.client.peer import IrcPeer
from tests.client.tui.pilot_helpers import chat_app, type_line, wait_until
from tests.server_process import ServerProcess


def log_text(app: ChatApp) -> str:
    """What the message log shows, as plain text."""
    log = app.query_one(MessageLog)
    return "\n".join(strip.text for strip in log.lines)


async def test_a_typed_message_reaches_another_client(server: ServerProcess) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        bob = await IrcPeer.connect(server.port, "Bob", "#lobby")
        await wait_until(pilot, lambda: "bob" in app.model.current.members)
        await type_line(pilot, "Hello everyone! 🎉")
        line = await bob.expect("PRIVMSG")
        assert line.endswith(" PRIVMSG #lobby :Hello everyone! 🎉")
        # echo-message: the server's copy is what the log shows, once.
        await wait_until(pilot, lambda: "<Alice> Hello everyone! 🎉" in log_text(app))
        assert log_text(app).count("Hello everyone!") == 1
        bob.send("PRIVMSG #lobby :Hi Alice!")
        await wait_until(pilot, lambda: "<Bob> Hi Alice!" in log_text(app))
        assert [m.nick for m in app.model.current.members.values()] == ["Alice", "Bob"]
        await bob.close()


async def test_a_private_message_opens_a_chat_marked_unread(
    server: ServerProcess,
) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        bob = await IrcPeer.connect(server.port, "Bob")
        bob.send("PRIVMSG Alice :psst, Alice")
        await wait_until(pilot, lambda: app.model.find("bob") is not None)
        query = app.model.find("bob")
        assert query is not None
        assert query.kind is BufferKind.QUERY
        assert (query.unread, query.highlights) == (1, 1)
        labels = [str(option.prompt) for option in app.query_one(BufferList).options]
        assert labels[-1] == "Bob (1!)"

        await pilot.press("ctrl+n")  # #lobby -> Bob
        assert app.model.current is query
        assert query.unread == 0
        assert "<Bob> psst, Alice" in log_text(app)
        assert not app.query_one(MemberList).display
        await type_line(pilot, "hello Bob")
        assert (await bob.expect("PRIVMSG Bob")).endswith("PRIVMSG Bob :hello Bob")
        await bob.close()


async def test_join_a_second_room(server: ServerProcess) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        bob = await IrcPeer.connect(server.port, "Bob", "#tea")
        await type_line(pilot, "/join #tea")
        await wait_until(pilot, lambda: "alice" in app.model.current.members)
        assert app.model.current.name == "#tea"
        assert "Alice" in (await bob.expect("JOIN"))
        topic = app.query_one("#topic", Static)
        assert str(topic.render()).startswith("#tea")
        members = [str(o.prompt) for o in app.query_one(MemberList).options]
        assert members == ["@Bob", " Alice"]
        labels = [str(option.prompt) for option in app.query_one(BufferList).options]
        assert labels == [f"127.0.0.1:{server.port}", "#lobby", "#tea"]
        await bob.close()


async def test_exit_leaves_the_server_and_ends_the_app(server: ServerProcess) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        bob = await IrcPeer.connect(server.port, "Bob", "#lobby")
        await type_line(pilot, "/exit")
        assert "Alice" in (await bob.expect("QUIT"))
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 0
    assert app.error is None
    await bob.close()


async def test_tab_completes_nicks_and_up_recalls_lines(server: ServerProcess) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        bob = await IrcPeer.connect(server.port, "Bobby", "#lobby")
        await wait_until(pilot, lambda: "bobby" in app.model.current.members)
        chat_input = app.query_one(ChatInput)
        await pilot.press("b", "o", "tab")
        assert chat_input.value == "Bobby: "
        await pilot.press(*"hi", "enter")
        assert (await bob.expect("PRIVMSG")).endswith(":Bobby: hi")
        await pilot.press("up")
        assert chat_input.value == "Bobby: hi"
        await bob.close()


async def test_a_bad_command_is_explained_in_the_log(server: ServerProcess) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        await type_line(pilot, "/whois")
        assert "! Usage: /whois nick" in log_text(app)


async def test_a_taken_nick_is_asked_for_in_the_input_line(
    server: ServerProcess,
) -> None:
    bob = await IrcPeer.connect(server.port, "Bob")
    app = chat_app(server.port, nick="Bob")
    async with app.run_test(size=(100, 30)) as pilot:
        chat_input = app.query_one(ChatInput)
        await wait_until(pilot, lambda: "taken" in chat_input.placeholder)
        await type_line(pilot, "Robert")
        await wait_until(pilot, lambda: app.model.is_ready)
        assert app.model.nick == "Robert"
    await bob.close()


async def test_an_unreachable_server_ends_the_app_with_a_reason() -> None:
    app = chat_app(1)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 1
    assert app.error == (
        "cannot connect to 127.0.0.1:1: connection refused (is the server running?)"
    )


async def test_sigterm_leaves_like_exit(server: ServerProcess) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        bob = await IrcPeer.connect(server.port, "Bob", "#lobby")
        # The app handles it (else this would end the test run itself).
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        os.kill(os.getpid(), signal.SIGTERM)
        assert "Alice" in (await bob.expect("QUIT"))
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 0
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back
    await bob.close()
