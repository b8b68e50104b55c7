"""`ChatClient`: connecting, reconnecting with backoff and rejoining, nick retry,
keepalive, and carrying out typed lines."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest

from hubbub.client.backoff import Backoff
from hubbub.client.buffers import Shown
from hubbub.client.connection import ServerAddress
from hubbub.client.events import ConnectionLost, Event, NickRejected
from hubbub.client.runner import (
    ChatClient,
    ChatError,
    ChatOptions,
    NickAsker,
)
from tests.client.fake_server import FakeIrcServer


@pytest.fixture
async def fake() -> AsyncIterator[FakeIrcServer]:
    """A scripted server, stopped after the test."""
    server = FakeIrcServer()
    yield server
    await server.stop()


class Recorder:
    """A listener that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event, shown: list[Shown]) -> None:
        """Record `event`."""
        self.events.append(event)
        self._changed.set()

    def losses(self) -> list[ConnectionLost]:
        """The ConnectionLost events so far."""
        return [e for e in self.events if isinstance(e, ConnectionLost)]

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Wait (5 s at most) until `condition()` holds after some event."""
        async with asyncio.timeout(5):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


def make_client(
    port: int,
    recorder: Recorder,
    *,
    ask_nick: NickAsker | None = None,
    idle_seconds: float = 180.0,
    ping_timeout_seconds: float = 60.0,
    welcome_seconds: float = 30.0,
) -> ChatClient:
    """A client for alice in #lobby with fast retries."""
    options = ChatOptions(ServerAddress("127.0.0.1", port), "alice", ("#lobby",))
    return ChatClient(
        options,
        recorder,
        ask_nick=ask_nick,
        backoff=Backoff(0.01, 0.04),
        idle_seconds=idle_seconds,
        ping_timeout_seconds=ping_timeout_seconds,
        welcome_seconds=welcome_seconds,
    )


async def wait_until_ready(client: ChatClient) -> None:
    """Wait for registration and the first joins."""
    async with asyncio.timeout(5):
        await client.ready.wait()


async def test_a_lost_connection_reconnects_and_rejoins_every_room(
    fake: FakeIrcServer,
) -> None:
    recorder = Recorder()
    client = make_client(await fake.start(), recorder)
    running = asyncio.create_task(client.run())
    await wait_until_ready(client)
    client.submit("/join #tea")

    def is_in_tea() -> bool:
        tea = client.model.find("#tea")
        return tea is not None and tea.is_joined

    await recorder.wait_for(is_in_tea)

    fake.drop_all()
    await fake.wait_for_connections(2)
    client.ready.clear()
    await wait_until_ready(client)
    assert "JOIN #lobby,#tea" in fake.connections[1].received
    assert [loss.retry_in_seconds for loss in recorder.losses()] == [0.01]
    assert client.model.current.name == "#tea"  # the rejoin did not move us

    client.quit("bye")
    await asyncio.wait_for(running, 5)
    assert "QUIT bye" in fake.connections[1].received


async def test_retries_back_off_while_the_server_is_down(fake: FakeIrcServer) -> None:
    recorder = Recorder()
    port = await fake.start()
    client = make_client(port, recorder)
    running = asyncio.create_task(client.run())
    await wait_until_ready(client)
    await fake.stop()
    await recorder.wait_for(lambda: len(recorder.losses()) >= 4)
    delays = [loss.retry_in_seconds for loss in recorder.losses()]
    assert delays[:4] == [0.01, 0.02, 0.04, 0.04]
    client.quit()
    await asyncio.wait_for(running, 5)


async def test_the_first_connection_failing_is_a_chat_error(
    fake: FakeIrcServer,
) -> None:
    port = await fake.start()
    await fake.stop()
    client = make_client(port, Recorder())
    with pytest.raises(ChatError, match="connection refused"):
        await client.run()


async def test_a_taken_nick_asks_the_user(fake: FakeIrcServer) -> None:
    fake.taken_nicks.add("alice")
    asked: list[str] = []

    async def ask_nick(rejected: str) -> str | None:
        asked.append(rejected)
        return "alicia"

    client = make_client(await fake.start(), Recorder(), ask_nick=ask_nick)
    running = asyncio.create_task(client.run())
    await wait_until_ready(client)
    assert asked == ["alice"]
    assert client.model.nick == "alicia"
    client.quit()
    await asyncio.wait_for(running, 5)


async def test_no_other_nick_given_ends_the_chat(fake: FakeIrcServer) -> None:
    fake.taken_nicks.add("alice")

    async def ask_nick(rejected: str) -> str | None:
        return None

    client = make_client(await fake.start(), Recorder(), ask_nick=ask_nick)
    with pytest.raises(ChatError, match="alice: Nickname is already in use"):
        await client.run()


async def test_reconnecting_with_a_taken_nick_adds_an_underscore(
    fake: FakeIrcServer,
) -> None:
    recorder = Recorder()
    client = make_client(await fake.start(), recorder)
    running = asyncio.create_task(client.run())
    await wait_until_ready(client)
    fake.taken_nicks.add("alice")  # our ghost is still there
    fake.drop_all()
    await fake.wait_for_connections(2)
    client.ready.clear()
    await wait_until_ready(client)
    assert any(isinstance(e, NickRejected) for e in recorder.events)
    assert client.model.nick == "alice_"
    client.quit()
    await asyncio.wait_for(running, 5)


async def test_a_silent_server_is_pinged_then_left(fake: FakeIrcServer) -> None:
    recorder = Recorder()
    port = await fake.start()
    client = make_client(port, recorder, idle_seconds=0.1, ping_timeout_seconds=0.1)
    running = asyncio.create_task(client.run())
    await wait_until_ready(client)
    fake.answers_pings = False
    await fake.wait_for_connections(2)
    assert "PING hubbub-alive" in fake.connections[0].received
    assert recorder.losses()[0].reason == "no word from the server in 0.2 s"
    fake.answers_pings = True
    client.quit()
    await asyncio.wait_for(running, 5)


async def test_a_server_that_never_welcomes_us_is_given_up_on() -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # reads everything, says nothing
        writer.close()

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_client(port, Recorder(), welcome_seconds=0.2)
    with pytest.raises(ChatError, match=r"no IRC welcome from the server in 0\.2 s"):
        await asyncio.wait_for(client.run(), 5)
    server.close()


async def test_typing_while_disconnected_is_refused_in_one_line(
    fake: FakeIrcServer,
) -> None:
    recorder = Recorder()
    client = make_client(await fake.start(), recorder)
    client.submit("/msg bob hi")
    assert client.model.current.lines[-1].text == (
        "Not connected to the server: nothing was sent."
    )


async def test_without_echo_message_our_lines_are_shown_at_once(
    fake: FakeIrcServer,
) -> None:
    client = make_client(await fake.start(), Recorder())
    running = asyncio.create_task(client.run())
    await wait_until_ready(client)
    client.submit("Hello everyone!")
    client.submit("/me waves")
    lines = list(client.model.current.lines)[-2:]
    assert [(line.nick, line.text, line.is_self) for line in lines] == [
        ("alice", "Hello everyone!", True),
        ("alice", "waves", True),
    ]
    client.quit()
    await asyncio.wait_for(running, 5)


async def test_quitting_while_connecting_stops_at_once() -> None:
    # The kernel completes the TCP handshake, but nobody answers the TLS one:
    # without the quit the attempt would wait for its 15 s timeout.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        address = ServerAddress("127.0.0.1", port, tls=True)
        client = ChatClient(ChatOptions(address, "alice"), Recorder())
        running = asyncio.create_task(client.run())
        await asyncio.sleep(0.1)
        client.quit()
        await asyncio.wait_for(running, 2)
