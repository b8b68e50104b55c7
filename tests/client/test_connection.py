"""The asyncio connection: lines over TCP and TLS, failures as one sentence."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import trustme

from hubbub.client.connection import (
    Connection,
    ConnectionFailedError,
    ServerAddress,
    describe_failure,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A server that says two lines (one split across writes) and closes."""
    writer.write(b":irc.test NOTICE * :hello\r\n:irc.test NOT")
    await writer.drain()
    writer.write(b"ICE * :caf\xc3\xa9\n\xff\xfe bad\r\n")
    await writer.drain()
    writer.close()


Serve = Callable[[Handler, ssl.SSLContext | None], Awaitable[int]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start throwaway servers on free ports (closed after the test)."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler, context: ssl.SSLContext | None = None) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def tls_port(serve: Serve) -> int:
    """A TLS server whose certificate no system trusts (a test CA)."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return await serve(greet, context)


def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_lines_are_framed_and_decoded(serve: Serve) -> None:
    port = await serve(greet, None)
    connection = await Connection.open(ServerAddress("127.0.0.1", port))
    assert await connection.read_line() == ":irc.test NOTICE * :hello"
    assert await connection.read_line() == ":irc.test NOTICE * :café"
    assert await connection.read_line() == "\ufffd\ufffd bad"
    with pytest.raises(ConnectionFailedError, match="closed the connection"):
        await connection.read_line()
    await connection.close()


async def test_refused_connection_says_so() -> None:
    with pytest.raises(ConnectionFailedError) as raised:
        await Connection.open(ServerAddress("127.0.0.1", free_port()))
    assert "connection refused (is the server running?)" in str(raised.value)


async def test_an_untrusted_certificate_is_refused_with_a_hint(tls_port: int) -> None:
    with pytest.raises(ConnectionFailedError) as raised:
        await Connection.open(ServerAddress("127.0.0.1", tls_port, tls=True))
    assert "is not trusted" in str(raised.value)
    assert "--insecure" in str(raised.value)


async def test_insecure_tls_skips_the_check(tls_port: int) -> None:
    address = ServerAddress("127.0.0.1", tls_port, tls=True, verify_certificate=False)
    connection = await Connection.open(address)
    assert await connection.read_line() == ":irc.test NOTICE * :hello"
    await connection.close()


async def test_tls_to_a_plain_port_is_explained(serve: Serve) -> None:
    async def speak_plain(
        _: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b":irc.test NOTICE * :this is not TLS\r\n")
        await writer.drain()

    port = await serve(speak_plain, None)
    with pytest.raises(ConnectionFailedError, match="does it serve TLS on that port"):
        await Connection.open(ServerAddress("127.0.0.1", port, tls=True))


def test_failure_descriptions() -> None:
    address = ServerAddress("nowhere.invalid", 6667)
    gaierror = socket.gaierror(-2, "Name or service not known")
    assert describe_failure(address, gaierror) == (
        "cannot connect to nowhere.invalid:6667: unknown host nowhere.invalid"
    )
    assert describe_failure(address, TimeoutError()).endswith("no answer in time")
    unreachable = OSError(113, "No route to host")
    assert describe_failure(address, unreachable).endswith("no route to host")
    assert str(ServerAddress("::1", 6697)) == "[::1]:6697"
