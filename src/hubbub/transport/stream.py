"""The IRC listeners, plain TCP and TLS, built on `Session` protocols."""

from __future__ import annotations

import asyncio

from hubbub.core.engine import Engine
from hubbub.transport.linger import Lingering
from hubbub.transport.session import PendingCommands, Session
from hubbub.transport.tls import TlsProtocol, TlsServerContext

# Deep enough for thousands of clients connecting at once.
BACKLOG = 4096


async def start_tcp_listener(
    engine: Engine,
    host: str,
    port: int,
    pending: PendingCommands,
    lingering: Lingering,
) -> asyncio.Server:
    """Listen for IRC clients on `host:port` (port 0 picks a free port);
    commands that finish as tasks are kept in `pending`, and connections
    end through `lingering`."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: Session(engine, pending, lingering),
        host,
        port,
        backlog=BACKLOG,
        reuse_address=True,
    )


async def start_tls_listener(
    engine: Engine,
    host: str,
    port: int,
    tls: TlsServerContext,
    pending: PendingCommands,
    lingering: Lingering,
) -> asyncio.Server:
    """Listen for IRC over TLS; each connection uses the context current at accept."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: TlsProtocol(
            tls.context, Session(engine, pending, lingering, secure=True), lingering
        ),
        host,
        port,
        backlog=BACKLOG,
        reuse_address=True,
    )
