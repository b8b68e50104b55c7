"""TCP listeners (TLS comes with its own issue) built on `Session` protocols."""

from __future__ import annotations

import asyncio

from hubbub.core.engine import Engine
from hubbub.transport.session import Session

# Deep enough for thousands of clients connecting at once.
BACKLOG = 4096


async def start_tcp_listener(engine: Engine, host: str, port: int) -> asyncio.Server:
    """Listen for IRC clients on `host:port` (port 0 picks a free port)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: Session(engine), host, port, backlog=BACKLOG, reuse_address=True
    )
