"""One TCP or TLS connection to an IRC server, as lines (asyncio).

Framing and decoding are `hubbub.protocol.framing`'s; this module only moves
bytes and turns socket errors into one readable sentence (`ConnectionFailedError`).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from dataclasses import dataclass

from hubbub.protocol.framing import LineDecoder, LineProblem, encode_line

_READ_CHUNK_BYTES = 65536


class ConnectionFailedError(Exception):
    """The connection could not be made or was lost; the message says why."""


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where to connect, and how."""

    host: str
    port: int
    tls: bool = False
    verify_certificate: bool = True  # False: --insecure

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def tls_context(verify_certificate: bool) -> ssl.SSLContext:
    """A client TLS context: the system's trusted CAs, or no checks at all."""
    context = ssl.create_default_context()
    if not verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def describe_failure(address: ServerAddress, error: BaseException) -> str:
    """One sentence saying why connecting to `address` failed."""
    where = f"cannot connect to {address}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the TLS certificate of {address.host} is not trusted "
            f"({error.verify_message}); --insecure skips the check"
        )
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        return f"TLS with {address} failed ({reason}): does it serve TLS on that port?"
    if isinstance(error, socket.gaierror):
        return f"{where}: unknown host {address.host}"
    if isinstance(error, ConnectionRefusedError):
        return f"{where}: connection refused (is the server running?)"
    if isinstance(error, TimeoutError):
        return f"{where}: no answer in time"
    if isinstance(error, OSError) and error.strerror:
        return f"{where}: {error.strerror.lower()}"
    return f"{where}: {error or type(error).__name__}"


class Connection:
    """Lines in, lines out, over an asyncio stream."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer
        self._decoder = LineDecoder()
        self._lines: deque[str] = deque()

    @classmethod
    async def open(
        cls, address: ServerAddress, *, timeout_seconds: float = 15.0
    ) -> Connection:
        """Connect (and do the TLS handshake).

        Raises:
            ConnectionFailedError: with a sentence for the user.
        """
        context = tls_context(address.verify_certificate) if address.tls else None
        try:
            async with asyncio.timeout(timeout_seconds):
                reader, writer = await asyncio.open_connection(
                    address.host, address.port, ssl=context, limit=_READ_CHUNK_BYTES
                )
        except (OSError, TimeoutError) as error:
            raise ConnectionFailedError(describe_failure(address, error)) from None
        return cls(reader, writer)

    async def read_line(self) -> str:
        """The next line from the server.

        Raises:
            ConnectionFailedError: the server closed the connection or it broke.
        """
        while not self._lines:
            try:
                data = await self._reader.read(_READ_CHUNK_BYTES)
            except OSError as error:
                raise ConnectionFailedError(error.strerror or str(error)) from None
            if not data:
                raise ConnectionFailedError("the server closed the connection")
            for decoded in self._decoder.feed(data):
                # Other servers relay other encodings: show them as best we can,
                # but skip what is cut off.
                if decoded.problem != LineProblem.TOO_LONG:
                    self._lines.append(decoded.text)
        return self._lines.popleft()

    def write_lines(self, lines: list[str]) -> None:
        """Send lines (CRLF added) unless the connection is closing."""
        if lines and not self._writer.is_closing():
            self._writer.write(b"".join(encode_line(line) for line in lines))

    def abort(self) -> None:
        """Drop the connection now; a pending `read_line` fails."""
        self._writer.transport.abort()

    async def close(self) -> None:
        """Close the connection, waiting briefly for queued bytes to leave."""
        self._writer.close()
        try:
            async with asyncio.timeout(2):
                await self._writer.wait_closed()
        except (OSError, TimeoutError):
            pass
