"""A scripted IRC server in the test's own loop, for what a real one won't do on cue:
drop connections, refuse nicks, stop answering."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hubbub.protocol.message import parse_message


@dataclass
class FakeConnection:
    """One client connection as the fake server saw it."""

    writer: asyncio.StreamWriter
    received: list[str] = field(default_factory=list)
    nick: str = ""

    def send(self, line: str) -> None:
        """Send one line to the client."""
        self.writer.write(line.encode() + b"\r\n")


class FakeIrcServer:
    """Welcomes, joins and PONGs like a minimal server without CAP."""

    def __init__(self) -> None:
        self.connections: list[FakeConnection] = []
        self.taken_nicks: set[str] = set()
        self.answers_pings = True
        self.connected = asyncio.Condition()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free port; return it."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        assert self._server is not None
        self._server.close()
        self.drop_all()
        await self._server.wait_closed()

    def drop_all(self) -> None:
        """Cut every connection, as a crash or a network failure would."""
        for connection in self.connections:
            connection.writer.transport.abort()

    async def wait_for_connections(self, count: int) -> None:
        """Wait until `count` connections have been made in all."""
        async with self.connected:
            await self.connected.wait_for(lambda: len(self.connections) >= count)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connection = FakeConnection(writer)
        async with self.connected:
            self.connections.append(connection)
            self.connected.notify_all()
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            connection.received.append(line)
            self._answer(connection, line)
        writer.close()

    def _answer(self, connection: FakeConnection, line: str) -> None:
        message = parse_message(line)
        if message.command == "NICK":
            nick = message.params[0]
            if nick in self.taken_nicks:
                connection.send(f":fake 433 * {nick} :Nickname is already in use")
            else:
                connection.nick = nick
                connection.send(f":fake 001 {nick} :Welcome {nick}")
        elif message.command == "JOIN":
            for channel in message.params[0].split(","):
                connection.send(f":{connection.nick}!u@h JOIN {channel}")
                connection.send(f":fake 366 {connection.nick} {channel} :End")
        elif message.command == "PING" and self.answers_pings:
            connection.send(f":fake PONG fake :{message.params[-1]}")
        elif message.command == "QUIT":
            connection.send("ERROR :Closing Link: bye")
            connection.writer.close()
