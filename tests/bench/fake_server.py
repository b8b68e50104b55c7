"""A minimal in-process IRC server for the load generator's tests.

It welcomes every nick except the `silent` ones (which never get a 001) and
those it `refuses` (sent the lines given instead, then closed), answers PING,
echoes JOIN, relays PRIVMSG to a channel's other members or to a nick, and
records which connections it saw and which have closed. It can also misbehave
as real servers do under load: kill a client after some messages
(`kill_after`), swallow every PRIVMSG (`swallow`), leave the load generator's
batch PINGs unanswered (`lag`: a server that has not read that far), send
PRIVMSGs from outside the run (`foreign_every`), never answer some clients'
JOINs (`ignore_join`), refuse them (`refuse_join`), or answer JOINs one at a
time, one every `join_every` seconds (a throttle).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class FakeServer:
    """What the fake server saw, and how it misbehaves."""

    port: int = 0
    silent: frozenset[str] = frozenset()
    hang_up: frozenset[str] = frozenset()  # closed on NICK instead of welcomed
    refuse: dict[str, bytes] = field(default_factory=dict)  # nick: lines, then close
    keep_refused: bool = False  # ... or keep the connection open after them
    welcome_as: dict[str, str] = field(default_factory=dict)  # nick: nick in 001
    kill_after: dict[str, int] = field(default_factory=dict)  # nick: PRIVMSGs
    swallow: bool = False  # PRIVMSGs go nowhere
    lag: bool = False  # batch PINGs (tokens `w...`) are never answered
    foreign_every: int = 0  # after every Nth relayed PRIVMSG, one from outside
    ignore_join: frozenset[str] = frozenset()  # their JOINs go unanswered
    refuse_join: dict[str, bytes] = field(default_factory=dict)  # nick: the answer
    join_every: float = 0.0  # a JOIN is answered this long after the one before
    nicks: list[str] = field(default_factory=list)  # in the order NICK arrived
    closed: list[str] = field(default_factory=list)  # nicks whose client closed
    lines: list[bytes] = field(default_factory=list)  # registration lines seen
    _writers: dict[str, asyncio.StreamWriter] = field(default_factory=dict)
    _members: dict[bytes, set[str]] = field(default_factory=dict)
    relayed: int = 0  # PRIVMSGs relayed
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _join_turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nick = "?"
        sent = 0
        try:
            while line := await reader.readline():
                command = line.split(b" ", 1)[0]
                if command in (b"PASS", b"NICK", b"USER"):
                    self.lines.append(line.rstrip())
                if command == b"NICK":
                    nick = line.split()[1].decode()
                    self.nicks.append(nick)
                    self._writers[nick] = writer
                    if nick in self.hang_up:
                        return
                elif command == b"USER" and nick in self.refuse:
                    writer.write(self.refuse[nick])
                    await writer.drain()
                    if not self.keep_refused:
                        return
                elif command == b"USER" and nick not in self.silent:
                    shown = self.welcome_as.get(nick, nick)
                    writer.write(
                        f":fake 001 {shown} :Welcome\r\n"
                        f":fake 422 {shown} :No MOTD\r\n".encode()
                    )
                elif command == b"JOIN":
                    await self._join(nick, line.split()[1], writer)
                elif command == b"PRIVMSG":
                    sent += 1
                    if sent > self.kill_after.get(nick, sent):
                        writer.write(
                            b"ERROR :Closing Link: 127.0.0.1 (Excess Flood)\r\n"
                        )
                        await writer.drain()
                        return
                    self._relay(nick, line)
                elif command == b"PING" and not (
                    self.lag and line.startswith(b"PING :w")
                ):
                    writer.write(b":fake PONG fake " + line[5:])
            self.closed.append(nick)  # end of file: the client closed
            async with self._changed:
                self._changed.notify_all()
        finally:
            self._writers.pop(nick, None)
            writer.close()

    async def _join(
        self, nick: str, channel: bytes, writer: asyncio.StreamWriter
    ) -> None:
        if nick in self.ignore_join:
            return
        if nick in self.refuse_join:
            writer.write(self.refuse_join[nick])
            return
        if self.join_every:
            async with self._join_turn:
                await asyncio.sleep(self.join_every)
        self._members.setdefault(channel, set()).add(nick)
        writer.write(f":{nick}!u@h JOIN ".encode() + channel + b"\r\n")

    def _relay(self, sender: str, line: bytes) -> None:
        if self.swallow:
            return
        target = line.split(b" ", 2)[1]
        out = f":{sender}!u@h ".encode() + line
        if target.startswith(b"#"):
            receivers = self._members.get(target, set()) - {sender}
        else:
            receivers = {target.decode()}
        for nick in receivers:
            if (writer := self._writers.get(nick)) is not None:
                writer.write(out)
        self.relayed += 1
        if self.foreign_every and self.relayed % self.foreign_every == 0:
            foreign = b":stranger!u@h PRIVMSG " + target + b" :hello 1 2 3 xxxx\r\n"
            for nick in receivers:
                if (writer := self._writers.get(nick)) is not None:
                    writer.write(foreign)

    async def wait_closed(self, count: int, seconds: float = 2.0) -> None:
        """Wait until `count` clients have closed their connections."""
        async with asyncio.timeout(seconds):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.closed) >= count)


@asynccontextmanager
async def fake_server(
    silent: frozenset[str] = frozenset(),
    hang_up: frozenset[str] = frozenset(),
    **misbehaviour: object,
) -> AsyncIterator[FakeServer]:
    """Serve on a free loopback port for the duration of the block.

    `misbehaviour`: any other FakeServer field (refuse, kill_after, swallow ...).
    """
    state = FakeServer(silent=silent, hang_up=hang_up, **misbehaviour)  # type: ignore[arg-type]
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
