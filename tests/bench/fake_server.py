"""A minimal in-process IRC server for the load generator's tests.

It welcomes every nick except the `silent` ones (which never get a 001),
answers PING, and records which connections it saw and which have closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class FakeServer:
    """What the fake server saw."""

    port: int = 0
    silent: frozenset[str] = frozenset()
    hang_up: frozenset[str] = frozenset()  # closed on NICK instead of welcomed
    nicks: list[str] = field(default_factory=list)  # in the order NICK arrived
    closed: list[str] = field(default_factory=list)  # nicks whose client closed
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nick = "?"
        try:
            while line := await reader.readline():
                if line.startswith(b"NICK "):
                    nick = line.split()[1].decode()
                    self.nicks.append(nick)
                    if nick in self.hang_up:
                        return
                elif line.startswith(b"USER ") and nick not in self.silent:
                    writer.write(
                        f":fake 001 {nick} :Welcome\r\n"
                        f":fake 422 {nick} :No MOTD\r\n".encode()
                    )
                elif line.startswith(b"PING "):
                    writer.write(b":fake PONG fake " + line[5:])
            self.closed.append(nick)  # end of file: the client closed
            async with self._changed:
                self._changed.notify_all()
        finally:
            writer.close()

    async def wait_closed(self, count: int, seconds: float = 2.0) -> None:
        """Wait until `count` clients have closed their connections."""
        async with asyncio.timeout(seconds):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.closed) >= count)


@asynccontextmanager
async def fake_server(
    silent: frozenset[str] = frozenset(), hang_up: frozenset[str] = frozenset()
) -> AsyncIterator[FakeServer]:
    """Serve on a free loopback port for the duration of the block."""
    state = FakeServer(silent=silent, hang_up=hang_up)
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
