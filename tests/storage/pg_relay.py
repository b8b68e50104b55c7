"""A TCP relay in front of the test PostgreSQL server, to break its
connections on cue: cut every connection (a restart, a network cut), stop
answering while still accepting connections (a frozen server), or cut a
connection at a COMMIT, before the client hears how it went (whether the
server carried it out or never saw it).

The relay reads what the client sends as PostgreSQL's frontend messages
(https://www.postgresql.org/docs/current/protocol-message-formats.html): a
few untyped ones first (SSLRequest, GSSENCRequest, then StartupMessage or
CancelRequest: an Int32 length that counts itself, then an Int32 code), then
typed ones (a byte, then an Int32 length that counts itself, then the body).
The test server runs without TLS, so they pass in the clear.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from hubbub.storage.database import Database

_STARTUP = 196608  # protocol 3.0's StartupMessage: the last untyped message
_CANCEL = 80877102  # CancelRequest: the only message of its connection
_READY_FOR_QUERY = b"Z"  # the server's last message for a query


class Relay:
    """Relays connections on a local port to the PostgreSQL server of `real`."""

    def __init__(self, real: URL) -> None:
        self.real = real
        self._thawed = asyncio.Event()  # clear: frozen
        self._thawed.set()
        # Armed by `cut_at_next_commit`; set once the cut is made.
        self._commit_cut: asyncio.Event | None = None
        self._commit_carried_out = True
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """The real server's URL, with the relay's address instead."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        url = self.real.set(host="127.0.0.1", port=port)
        return url.render_as_string(hide_password=False)

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self.thaw()
        self.cut_all()
        if self._links:
            await asyncio.wait(self._links)

    def cut_all(self) -> None:
        """Cut every connection open now, as a restarted server would."""
        for link in list(self._links):
            link.cancel()

    async def cut_pooled_connection(self, database: Database) -> None:
        """Put a connection (through the relay) in `database`'s pool, then
        cut it, and return once the driver has seen it closed: the next
        transaction's first attempt meets a closed connection."""
        driver: Any = None

        async def keep_driver(connection: AsyncConnection) -> None:
            nonlocal driver
            driver = (await connection.get_raw_connection()).driver_connection
            await connection.execute(text("SELECT 1"))

        await database.transaction(keep_driver)
        closed = asyncio.Event()
        driver.add_termination_listener(lambda _connection: closed.set())
        self.cut_all()
        await asyncio.wait_for(closed.wait(), 5)

    def freeze(self) -> None:
        """Stop passing anything on, either way, while still accepting
        connections: a server that hangs, or a network that drops packets."""
        self._thawed.clear()

    def thaw(self) -> None:
        """Pass everything on again, what was held first."""
        self._thawed.set()

    def cut_at_next_commit(self, *, carried_out: bool) -> asyncio.Event:
        """Cut the connection of the next COMMIT before the client hears
        how it went: once the server has carried it out (`carried_out`),
        or before it reaches the server (which then rolls back). The event
        is set once the cut is made."""
        self._commit_cut = asyncio.Event()
        self._commit_carried_out = carried_out
        return self._commit_cut

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        link = asyncio.current_task()
        assert link is not None
        self._links.add(link)
        try:
            await self._thawed.wait()  # frozen: accepted, never answered
            up_reader, up_writer = await asyncio.open_connection(
                self.real.host, self.real.port or 5432
            )
            try:
                await self._pass_on(reader, writer, up_reader, up_writer)
            finally:
                up_writer.close()
        except (asyncio.CancelledError, OSError, asyncio.IncompleteReadError):
            pass  # cut, or closed by either side
        finally:
            writer.close()
            self._links.discard(link)

    async def _pass_on(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        """Pass messages both ways until either side closes, or a COMMIT's
        answer is to be lost."""
        losing = asyncio.Event()  # set: the server's answers go nowhere

        async def from_client() -> None:
            async for message, is_commit in _client_messages(reader):
                await self._thawed.wait()
                cut = self._commit_cut
                if is_commit and cut is not None and not cut.is_set():
                    if not self._commit_carried_out:
                        cut.set()
                        return  # cut before the server sees the COMMIT
                    losing.set()
                    up_writer.write(message)
                    await up_writer.drain()
                    return  # from_server cuts once the COMMIT is done
                up_writer.write(message)
                await up_writer.drain()

        async def from_server() -> None:
            while data := await up_reader.read(65536):
                await self._thawed.wait()
                if losing.is_set():
                    # The client's COMMIT was its last message: everything
                    # since is its answer. Once the server says it is ready
                    # again, the COMMIT is carried out: cut the connection.
                    await _until_ready(data, up_reader)
                    assert self._commit_cut is not None
                    self._commit_cut.set()
                    return
                writer.write(data)
                await writer.drain()

        server = asyncio.ensure_future(from_server())
        client = asyncio.ensure_future(from_client())
        try:
            await asyncio.wait([server, client], return_when=asyncio.FIRST_COMPLETED)
            if losing.is_set():
                await server
        finally:
            server.cancel()
            client.cancel()
            await asyncio.gather(server, client, return_exceptions=True)


async def _client_messages(
    reader: asyncio.StreamReader,
) -> AsyncIterator[tuple[bytes, bool]]:
    """Each message the client sends, whole, and whether it is a COMMIT
    (asyncpg commits with a simple Query message)."""
    while True:  # the untyped messages
        head = await reader.readexactly(8)
        length, code = struct.unpack("!ii", head)
        yield head + await reader.readexactly(length - 8), False
        if code in (_STARTUP, _CANCEL):
            break
    while True:
        try:
            head = await reader.readexactly(5)
        except asyncio.IncompleteReadError:
            return  # the client closed
        kind, length = head[:1], struct.unpack("!i", head[1:])[0]
        body = await reader.readexactly(length - 4)
        is_commit = kind == b"Q" and body.lstrip().upper().startswith(b"COMMIT")
        yield head + body, is_commit


async def _until_ready(data: bytes, reader: asyncio.StreamReader) -> None:
    """Read the server's messages from `data` on until ReadyForQuery."""
    while True:
        while len(data) >= 5:
            kind, length = data[:1], struct.unpack("!i", data[1:5])[0]
            if kind == _READY_FOR_QUERY:
                return
            if len(data) < 1 + length:
                break
            data = data[1 + length :]
        more = await reader.read(65536)
        if not more:
            return
        data += more
