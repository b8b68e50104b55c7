"""Real TCP sockets against the whole app (run_app on port 0)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import pytest

from hubbub.app import App, run_app
from hubbub.config import Config
from hubbub.core.commands import COMMANDS
from hubbub.core.commands.registry import Command
from hubbub.core.context import Context
from hubbub.protocol.message import Message
from tests.fakes import make_config


class LineClient:
    """A minimal IRC client over a real socket."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> LineClient:
        """Connect to the server on loopback."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, *lines: str) -> None:
        """Send lines with CRLF."""
        self.writer.write("".join(line + "\r\n" for line in lines).encode())
        await self.writer.drain()

    async def read_line(self, seconds: float = 5.0) -> str:
        """The next line; "" at EOF."""
        async with asyncio.timeout(seconds):
            data = await self.reader.readline()
        return data.decode().rstrip("\r\n")

    async def read_until(self, fragment: str, seconds: float = 5.0) -> list[str]:
        """Lines up to and including the first one containing `fragment`."""
        lines: list[str] = []
        while True:
            line = await self.read_line(seconds)
            if not line:
                raise AssertionError(f"connection closed before {fragment!r}: {lines}")
            lines.append(line)
            if fragment in line:
                return lines

    async def register(self, nick: str) -> None:
        """NICK/USER and wait for the end of the welcome burst."""
        await self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        await self.read_until(" 422 ")

    async def close(self) -> None:
        """Close the socket."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def _config(tmp_path: Path, **overrides: object) -> Config:
    return make_config(host="127.0.0.1", port=0, data_dir=tmp_path, **overrides)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """A running server on a free port."""
    async with run_app(_config(tmp_path)) as running:
        yield running


async def test_clients_chat_over_tcp(app: App) -> None:
    alice, bob = (
        await LineClient.open(app.ports["irc"]),
        await LineClient.open(app.ports["irc"]),
    )
    await alice.register("alice")
    await bob.register("bob")
    await alice.send("JOIN #lobby")
    await alice.read_until(" 366 ")
    await bob.send("JOIN #lobby")
    assert (await alice.read_line()) == ":bob!~bob@127.0.0.1 JOIN #lobby"
    await bob.send("PRIVMSG #lobby :Hello everyone!")
    assert (
        await alice.read_line()
    ) == ":bob!~bob@127.0.0.1 PRIVMSG #lobby :Hello everyone!"
    await alice.send("PRIVMSG bob :just you")
    assert (await bob.read_until("PRIVMSG bob"))[-1] == (
        ":alice!~alice@127.0.0.1 PRIVMSG bob :just you"
    )
    await bob.send("PART #lobby :bye")
    assert (await alice.read_line()) == ":bob!~bob@127.0.0.1 PART #lobby :bye"
    await bob.send("JOIN #lobby")
    await alice.read_line()
    await bob.send("QUIT :gone home")
    assert (await alice.read_line()) == ":bob!~bob@127.0.0.1 QUIT :Quit: gone home"
    assert (await bob.read_until("ERROR"))[-1].startswith("ERROR :Closing Link")
    assert (await bob.read_line()) == ""
    await alice.close()


async def test_nick_collision_over_tcp(app: App) -> None:
    first, second = (
        await LineClient.open(app.ports["irc"]),
        await LineClient.open(app.ports["irc"]),
    )
    await first.register("taken")
    await second.send("NICK Taken", "USER x 0 * :x")
    assert " 433 * Taken " in (await second.read_until(" 433 "))[-1]
    await second.send("NICK other")
    assert " 001 other " in (await second.read_until(" 001 "))[-1]
    await first.close()
    await second.close()


async def test_dropped_connection_sends_quit_to_channel_peers(app: App) -> None:
    alice, bob = (
        await LineClient.open(app.ports["irc"]),
        await LineClient.open(app.ports["irc"]),
    )
    await alice.register("alice")
    await bob.register("bob")
    await alice.send("JOIN #a")
    await alice.read_until(" 366 ")
    await bob.send("JOIN #a")
    await bob.read_until(" 366 ")
    await alice.read_line()
    bob.writer.transport.abort()
    assert (await alice.read_line()).startswith(":bob!~bob@127.0.0.1 QUIT :")
    await alice.close()


async def test_idle_client_is_pinged_then_timed_out(tmp_path: Path) -> None:
    config = _config(tmp_path, ping_interval_seconds=0.2, ping_timeout_seconds=0.2)
    async with run_app(config) as app:
        client = await LineClient.open(app.ports["irc"])
        await client.register("sleepy")
        assert (await client.read_line()) == "PING :irc.test"
        error = await client.read_line()
        assert error.startswith("ERROR :Closing Link")
        assert "Ping timeout" in error
        assert (await client.read_line()) == ""


async def test_client_answering_pings_stays_connected(tmp_path: Path) -> None:
    config = _config(tmp_path, ping_interval_seconds=0.2, ping_timeout_seconds=0.2)
    async with run_app(config) as app:
        client = await LineClient.open(app.ports["irc"])
        await client.register("awake")
        for _ in range(3):
            assert (await client.read_line()) == "PING :irc.test"
            await client.send("PONG :irc.test")
        await client.send("PING :still-here")
        assert (await client.read_line()).endswith("PONG irc.test :still-here")
        await client.close()


async def test_unregistered_client_times_out(tmp_path: Path) -> None:
    async with run_app(_config(tmp_path, registration_timeout_seconds=0.2)) as app:
        client = await LineClient.open(app.ports["irc"])
        await client.send("NICK halfway")
        line = await client.read_line()
        assert line.startswith("ERROR :Closing Link")
        assert "Registration timeout" in line


async def test_shutdown_tells_clients_and_closes(tmp_path: Path) -> None:
    async with run_app(_config(tmp_path)) as app:
        client = await LineClient.open(app.ports["irc"])
        await client.register("stayer")
    line = await client.read_line()
    assert line.startswith("ERROR :Closing Link")
    assert "shutting down" in line
    assert (await client.read_line()) == ""


async def test_slow_reader_is_dropped_and_others_keep_chatting(tmp_path: Path) -> None:
    # The talker stands for a busy channel's many senders: flood control,
    # which would slow one sender this fast, is off.
    limits = {"sendq_bytes": 65536, "flood_lines_per_second": 0}
    async with run_app(_config(tmp_path, limits=limits)) as app:
        slow, talker, listener = [
            await LineClient.open(app.ports["irc"]) for _ in range(3)
        ]
        sock = slow.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await slow.register("slow")
        await talker.register("talker")
        await listener.register("listener")
        for client in (slow, talker, listener):
            await client.send("JOIN #flood")
            await client.read_until(" 366 ")
        # `slow` never reads again; the kernel buffers fill, then its SendQ.
        payload = "x" * 400
        dropped = False
        slowest = 0.0  # the listener's longest wait for a batch, seconds
        loop = asyncio.get_running_loop()
        for batch in range(400):
            sent_at = loop.time()
            await talker.send(
                *(f"PRIVMSG #flood :{batch} {payload}" for _ in range(100))
            )
            seen = await listener.read_until(f"PRIVMSG #flood :{batch} ")
            slowest = max(slowest, loop.time() - sent_at)
            if any(" QUIT " in line for line in seen):
                assert any("SendQ exceeded" in line for line in seen)
                dropped = True
                break
        assert dropped, "the slow reader was never dropped"
        # The stalled reader never held the others up: a server that waited
        # on its socket would stall the listener for good (a loose bound, for
        # a busy machine; benchmarks measure latency, this only its absence).
        assert slowest < 2.0, f"the listener waited {slowest:.2f} s for a batch"
        await talker.send("PRIVMSG #flood :still here")
        assert (await listener.read_until("still here"))[-1].endswith(":still here")


@pytest.mark.parametrize("suspends", [False, True], ids=["inline", "awaiting"])
async def test_handler_bug_drops_only_that_connection(
    app: App, monkeypatch: pytest.MonkeyPatch, suspends: bool
) -> None:
    """A handler that raises (inline, or after awaiting) ends its own session only."""

    def crash(ctx: Context, msg: Message) -> Awaitable[None] | None:
        if not suspends:
            raise RuntimeError("a bug")

        async def later() -> None:
            await asyncio.sleep(0)
            raise RuntimeError("a bug, later")

        return later()

    monkeypatch.setitem(COMMANDS, "CRASHME", Command("CRASHME", crash))
    alice, bob = (
        await LineClient.open(app.ports["irc"]),
        await LineClient.open(app.ports["irc"]),
    )
    await alice.register("alice")
    await bob.register("bob")
    await bob.send("JOIN #a")
    await bob.read_until(" 366 ")
    await alice.send("JOIN #a")
    await alice.read_until(" 366 ")
    await bob.read_line()  # alice's JOIN
    await alice.send("CRASHME", "PRIVMSG #a :never handled")
    lines = await alice.read_until("ERROR")
    assert lines[-1] == "ERROR :Closing Link: 127.0.0.1 (Internal error)"
    assert (await alice.read_line()) == ""
    assert (await bob.read_line()) == ":alice!~alice@127.0.0.1 QUIT :Internal error"
    await bob.send("PING :still")
    # Nothing after the crash was handled: the next line bob sees is his PONG.
    assert (await bob.read_line()) == ":irc.test PONG irc.test :still"
    await bob.close()
