"""A raw IRC peer for the client's end-to-end tests: send lines, wait for lines."""

from __future__ import annotations

import asyncio
import contextlib

from hubbub.protocol.message import parse_message


class IrcPeer:
    """Another person on the server, driven line by line."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.nick = nick
        self.seen: list[str] = []  # every line received, in order

    @classmethod
    async def connect(cls, port: int, nick: str, *channels: str) -> IrcPeer:
        """Register as `nick` and join `channels` (waiting for each NAMES end)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer, nick)
        peer.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        await peer.expect(" 001 ")
        for channel in channels:
            peer.send(f"JOIN {channel}")
            await peer.expect(f" 366 {nick} {channel} ")
        return peer

    def send(self, *lines: str) -> None:
        """Send lines."""
        self.writer.write("".join(line + "\r\n" for line in lines).encode())

    async def expect(self, fragment: str, timeout_seconds: float = 10) -> str:
        """The next line containing `fragment` (PINGs answered on the way).

        Raises:
            TimeoutError: no such line in time.
        """
        async with asyncio.timeout(timeout_seconds):
            while True:
                raw = await self.reader.readline()
                if not raw:
                    raise ConnectionError(f"closed while waiting for {fragment!r}")
                line = raw.decode().rstrip("\r\n")
                self.seen.append(line)
                if line.startswith("PING"):
                    self.send("PONG " + parse_message(line).params[-1])
                if fragment in line:
                    return line

    async def close(self) -> None:
        """Quit and close."""
        self.send("QUIT :done")
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
