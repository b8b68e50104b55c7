"""TCP listeners (TLS comes with its own issue) on asyncio streams."""

from __future__ import annotations

import asyncio
import logging

from hubbub.core.engine import Engine
from hubbub.transport.session import run_session

logger = logging.getLogger(__name__)

# Deep enough for thousands of clients connecting at once.
BACKLOG = 4096


class TransportWriter:
    """The engine's `Writer` port over an asyncio transport."""

    __slots__ = ("_transport",)

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        """Queue bytes; asyncio sends them as the socket allows."""
        if not self._transport.is_closing():
            self._transport.write(data)

    def buffered_bytes(self) -> int:
        """Bytes not yet accepted by the kernel."""
        return self._transport.get_write_buffer_size()

    def close(self) -> None:
        """Close after sending what is queued."""
        self._transport.close()


async def start_tcp_listener(engine: Engine, host: str, port: int) -> asyncio.Server:
    """Listen for IRC clients on `host:port` (port 0 picks a free port)."""

    async def serve_client(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        ip = peer[0] if isinstance(peer, tuple) else "unknown"
        # (uvloop's transports are not asyncio.WriteTransport subclasses, but
        # have the same methods: no isinstance check here.)
        try:
            await run_session(engine, reader, TransportWriter(writer.transport), ip=ip)
        finally:
            writer.close()

    return await asyncio.start_server(
        serve_client, host, port, backlog=BACKLOG, limit=2**20, reuse_address=True
    )
