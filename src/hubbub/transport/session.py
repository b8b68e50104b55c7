"""One client connection: lines in -> engine; keepalive PINGs; timeouts; one way out.

The transport (TCP, TLS, later WebSocket) gives a `ChunkReader` and a `Writer`;
everything IRC happens in the engine. Every way a session ends goes through
`Engine.disconnect`, which is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from hubbub.config import Config
from hubbub.core.engine import Engine
from hubbub.core.ports import Writer
from hubbub.core.user import User
from hubbub.protocol.framing import LineDecoder

logger = logging.getLogger(__name__)

# IRCv3 message-tags: a client may send at most 4096 bytes of tags.
CLIENT_TAGS_BYTES = 4096
READ_BYTES = 65536


class ChunkReader(Protocol):
    """Something that yields received bytes; b"" at the end of the stream."""

    async def read(self, n: int) -> bytes:
        """Up to `n` received bytes."""
        ...


async def run_session(
    engine: Engine,
    reader: ChunkReader,
    writer: Writer,
    *,
    ip: str,
    secure: bool = False,
) -> None:
    """Serve one connection; return when it is closed, for whatever reason."""
    # A host that starts with ":" would break the wire format (IPv6 "::1").
    host = "0" + ip if ip.startswith(":") else ip
    user = engine.connect(writer, host=host, ip=ip, secure=secure)
    decoder = LineDecoder(max_tags_bytes=CLIENT_TAGS_BYTES)
    reason = "Connection closed"
    try:
        while True:
            data = await _read(engine, user, reader)
            if data is None:
                reason = _timeout_reason(engine.config, user)
                break
            if not data:
                break
            for line in decoder.feed(data):
                if user.quitting:
                    break
                await engine.handle_line(user, line)
            if user.quitting:
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        reason = "Connection reset by peer"
    except asyncio.CancelledError:
        reason = "Server shutting down"
        raise
    except Exception:
        # A bug: log it and drop this connection only (the session boundary).
        logger.exception("! session %d crashed", user.session_id)
        reason = "Internal error"
    finally:
        engine.disconnect(user, reason)
        engine.flush()


def _timeout_reason(config: Config, user: User) -> str:
    if not user.registered:
        return "Registration timeout"
    total = config.ping_interval_seconds + config.ping_timeout_seconds
    return f"Ping timeout: {int(total)} seconds"


async def _read_within(reader: ChunkReader, seconds: float) -> bytes | None:
    try:
        async with asyncio.timeout(seconds):
            return await reader.read(READ_BYTES)
    except TimeoutError:
        return None


async def _read(engine: Engine, user: User, reader: ChunkReader) -> bytes | None:
    """Read one chunk; PING an idle client first; None when the client timed out."""
    config = engine.config
    if not user.registered:
        return await _read_within(reader, config.registration_timeout_seconds)
    data = await _read_within(reader, config.ping_interval_seconds)
    if data is not None:
        return data
    # Idle for a whole interval: ask for a sign of life (Modern, "Keepalive").
    engine.send(user, f"PING :{config.server_name}\r\n".encode())
    engine.flush()
    return await _read_within(reader, config.ping_timeout_seconds)
