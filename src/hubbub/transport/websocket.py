"""IRC over WebSocket: one line per message (https://ircv3.net/specs/extensions/websocket).

Subprotocols `text.ircv3.net` (UTF-8 text frames) and `binary.ircv3.net`
(binary frames); with neither, text frames. Lines go through the same
`LineDecoder` checks as TCP (length, NUL, UTF-8), and the engine never knows
the difference.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from contextlib import suppress

from aiohttp import WSMsgType, web

from hubbub.core.engine import Engine
from hubbub.protocol.framing import LineDecoder
from hubbub.transport.session import CLIENT_TAGS_BYTES

logger = logging.getLogger(__name__)

SUBPROTOCOLS = ("text.ircv3.net", "binary.ircv3.net")


class WebSocketWriter:
    """The engine's `Writer` port over a WebSocket: a queue drained by one task."""

    def __init__(self, socket: web.WebSocketResponse, *, binary: bool) -> None:
        self._socket = socket
        self._binary = binary
        self._lines: deque[bytes] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._closing = False
        self.task = asyncio.get_running_loop().create_task(self._drain())

    def write(self, data: bytes) -> None:
        """Queue encoded lines; each becomes one WebSocket message."""
        if self._closing:
            return
        for line in data.split(b"\r\n"):
            if line:
                self._lines.append(line)
                self._queued_bytes += len(line)
        self._wake.set()

    def buffered_bytes(self) -> int:
        """Bytes queued and not yet handed to the socket."""
        return self._queued_bytes

    def close(self) -> None:
        """Send what is queued, then close the WebSocket."""
        self._closing = True
        self._wake.set()

    async def _drain(self) -> None:
        socket = self._socket
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._lines:
                    line = self._lines.popleft()
                    self._queued_bytes -= len(line)
                    if self._binary:
                        await socket.send_bytes(line)
                    else:
                        await socket.send_str(line.decode("utf-8", errors="replace"))
                if self._closing:
                    await socket.close()
                    return
        except (ConnectionError, RuntimeError):
            return  # the peer went away; the reader side ends the session


def origin_allowed(request: web.Request, allowed: tuple[str, ...]) -> bool:
    """Same origin only by default; `allowed` lists others ("*" for any)."""
    origin = request.headers.get("Origin")
    if origin is None or "*" in allowed or origin in allowed:
        return True  # non-browser clients send no Origin
    scheme, _, host = origin.partition("://")
    # The host alone: behind a proxy that ends TLS, the page is https and
    # the request http. But a page's origin is http or https.
    return scheme in ("http", "https") and host == request.host


async def serve_websocket(request: web.Request, engine: Engine) -> web.StreamResponse:
    """Handle `GET /ws`: upgrade, then feed each message to the engine as a line."""
    if not origin_allowed(request, engine.config.web.allowed_origins):
        raise web.HTTPForbidden(text="origin not allowed\n")
    max_bytes = CLIENT_TAGS_BYTES + 512
    socket = web.WebSocketResponse(protocols=SUBPROTOCOLS, max_msg_size=max_bytes * 2)
    await socket.prepare(request)
    binary = socket.ws_protocol == "binary.ircv3.net"
    writer = WebSocketWriter(socket, binary=binary)
    peer = request.remote or "unknown"
    host = "0" + peer if peer.startswith(":") else peer
    secure = request.secure
    user = engine.connect(writer, host=host, ip=peer, secure=secure)
    decoder = LineDecoder(max_tags_bytes=CLIENT_TAGS_BYTES)
    reason = "Connection closed"
    try:
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                data = message.data.encode("utf-8", errors="surrogateescape")
            elif message.type == WSMsgType.BINARY:
                data = message.data
            else:
                break
            # One message is one line, whatever line ending it carries.
            for line in decoder.feed(data.rstrip(b"\r\n") + b"\n"):
                if user.quitting:
                    break
                pending = engine.handle_line(user, line)
                if pending is not None:
                    await pending
                if user.input_pause > 0.0:  # flood control
                    await asyncio.sleep(user.input_pause)
            if user.quitting:
                break
    except ConnectionError:
        reason = "Connection reset by peer"
    finally:
        engine.disconnect(user, reason)
        engine.flush()
        writer.close()
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(writer.task), 5)
    return socket
