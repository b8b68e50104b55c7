"""The least a Python asyncio server does per message: a reference, not a server.

    .venv/bin/python benchmarks/floor_server.py --port 6667

`benchmarks/run.py --servers ...,pyfloor` measures it beside hubbub and the C
daemons, so RESULTS.md can say how much of hubbub's cost per message is
hubbub's and how much any Python server on uvloop pays on this machine
before it does any work: a read callback, a write, the event loop's pass.

It answers just enough IRC for `hubbub bench` (NICK, USER, PING, JOIN and
PRIVMSG to a nick or a channel) and nothing else: no validation, no
casemapping, no limits, no replies to anything it does not know. It writes
the way hubbub does (each line built once, the same bytes appended to every
recipient, each connection written once per event-loop pass), so the
difference between the two is what hubbub's core costs. Never expose it:
it trusts every byte it is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import cast

import uvloop

SERVER = b"floor.bench"


class Floor:
    """Nicks, channels, and the connections written to in this loop pass."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.nicks: dict[bytes, Connection] = {}
        self.channels: dict[bytes, set[Connection]] = {}
        self.dirty: list[Connection] = []

    def queue(self, connection: Connection, data: bytes) -> None:
        """Append `data` to the connection's output for this loop pass."""
        if not connection.pending:
            if not self.dirty:
                self.loop.call_soon(self.flush)
            self.dirty.append(connection)
        connection.pending.append(data)

    def flush(self) -> None:
        """One write per connection written to since the last flush."""
        dirty, self.dirty = self.dirty, []
        for connection in dirty:
            pending = connection.pending
            connection.transport.write(
                pending[0] if len(pending) == 1 else b"".join(pending)
            )
            pending.clear()


class Connection(asyncio.Protocol):
    """One client: lines in, a few commands understood."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.buffer = b""
        self.nick = b""
        self.prefix = b""
        self.pending: list[bytes] = []
        self.channels: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        # A stream transport (uvloop's do not subclass asyncio.WriteTransport).
        self.transport = cast("asyncio.WriteTransport", transport)

    def data_received(self, data: bytes) -> None:
        """Split lines; handle each."""
        lines = (self.buffer + data).split(b"\r\n")
        self.buffer = lines.pop()
        for line in lines:
            self.handle(line)

    def handle(self, line: bytes) -> None:
        """The few commands the benchmark sends."""
        floor = self.floor
        command, _, rest = line.partition(b" ")
        if command == b"PRIVMSG":
            target, _, text = rest.partition(b" ")
            out = self.prefix + b" PRIVMSG " + target + b" " + text + b"\r\n"
            if target.startswith(b"#"):
                for member in floor.channels.get(target, ()):
                    if member is not self:
                        floor.queue(member, out)
            else:
                peer = floor.nicks.get(target)
                if peer is not None:
                    floor.queue(peer, out)
        elif command == b"PING":
            floor.queue(
                self, b":" + SERVER + b" PONG " + SERVER + b" " + rest + b"\r\n"
            )
        elif command == b"JOIN":
            floor.channels.setdefault(rest, set()).add(self)
            self.channels.append(rest)
            floor.queue(self, self.prefix + b" JOIN " + rest + b"\r\n")
        elif command == b"NICK":
            self.nick = rest
            floor.nicks[rest] = self
            self.prefix = b":" + rest + b"!floor@127.0.0.1"
        elif command == b"USER":
            welcome = b":%s 001 %s :Welcome\r\n:%s 422 %s :No MOTD\r\n" % (
                SERVER,
                self.nick,
                SERVER,
                self.nick,
            )
            floor.queue(self, welcome)
        elif command == b"QUIT":
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the nick and the channels."""
        floor = self.floor
        if floor.nicks.get(self.nick) is self:
            del floor.nicks[self.nick]
        for channel in self.channels:
            floor.channels.get(channel, set()).discard(self)


async def serve(port: int) -> None:
    """Listen on loopback until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    floor = Floor(loop)
    server = await loop.create_server(
        lambda: Connection(floor), "127.0.0.1", port, backlog=4096
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    """`floor_server.py --port N`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    uvloop.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
