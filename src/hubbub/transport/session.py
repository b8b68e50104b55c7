"""One client connection as an `asyncio.Protocol`: bytes in -> lines -> engine.

Lines are handled in order. A command that completes without suspending
(nearly all of them) runs inline in `data_received`: no task per connection,
none per line, and for the hot commands no coroutine either (`dispatch`).
One that awaits (a password check) is finished as a task while the
connection's remaining input waits, so replies keep their order. Timeouts
and keepalive PINGs are the engine's (`Engine.check_timeouts`). Every way a
connection ends goes through `Engine.disconnect`, which is idempotent; the
socket then ends with a lingering close (`linger.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, cast

from hubbub.core.engine import Engine
from hubbub.core.user import User
from hubbub.protocol.framing import DecodedLine, LineDecoder
from hubbub.transport.linger import Lingering

logger = logging.getLogger(__name__)

# IRCv3 message-tags: a client may send at most 4096 bytes of tags.
CLIENT_TAGS_BYTES = 4096


class TransportWriter:
    """The engine's `Writer` port over an asyncio transport."""

    __slots__ = ("_lingering", "_transport", "client_closed")

    def __init__(self, transport: asyncio.Transport, lingering: Lingering) -> None:
        self._transport = transport
        self._lingering = lingering  # how this server's connections end
        # The client has closed its side (EOF): there is nothing to linger
        # for (and no lingering place to take).
        self.client_closed = False

    def write(self, data: bytes) -> None:
        """Queue bytes; the event loop sends them as the socket allows."""
        if not self._transport.is_closing():
            self._transport.write(data)

    def buffered_bytes(self) -> int:
        """Bytes not yet accepted by the kernel."""
        return self._transport.get_write_buffer_size()

    def close(self) -> None:
        """Close after sending what is queued: lingering, unless the client
        has closed already (TLS lingers in its own `close`)."""
        if self.client_closed:
            self._transport.close()
        else:
            self._lingering.close(self._transport)


class PendingCommands:
    """The commands that sessions finish as tasks (`Session._finish_later`).

    A shutdown lets them end (`finish`) before it closes the database: a
    command still inside a transaction when the event loop goes away (a
    JOIN's history replay, a password check) is cancelled with its database
    connection checked out, which is then never returned to the pool.
    """

    def __init__(self) -> None:
        self._running: set[asyncio.Future[Any]] = set()  # also keeps them alive

    def __len__(self) -> int:
        return len(self._running)

    def add(self, future: asyncio.Future[Any]) -> None:
        """Keep `future` (a command's task, or what it awaits) until done."""
        self._running.add(future)
        future.add_done_callback(self._running.discard)

    async def finish(self, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for the commands under way (and those
        they lead to); then cancel what is left, and wait as long again for
        it to unwind."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        cancelled = False
        while self._running:
            left = deadline - loop.time()
            if left <= 0:
                if cancelled:
                    logger.warning(
                        "! %d commands did not end when cancelled", len(self._running)
                    )
                    return
                for future in list(self._running):
                    future.cancel()
                cancelled = True
                deadline = loop.time() + grace_seconds
                continue
            await asyncio.wait(set(self._running), timeout=left)


class Session(asyncio.Protocol):
    """Feeds one connection's lines to the engine."""

    __slots__ = (
        "_decoder",
        "_ended",
        "_held",
        "_lingering",
        "_pending",
        "_transport",
        "_writer",
        "engine",
        "secure",
        "user",
    )

    def __init__(
        self,
        engine: Engine,
        pending: PendingCommands,
        lingering: Lingering,
        *,
        secure: bool = False,
    ) -> None:
        self.engine = engine
        self._pending = pending  # where commands finishing as tasks are kept
        self._lingering = lingering  # how the connection ends (TCP; TLS's own)
        self.secure = secure
        self.user: User | None = None
        self._decoder = LineDecoder(max_tags_bytes=CLIENT_TAGS_BYTES)
        self._transport: asyncio.Transport | None = None
        self._writer: TransportWriter | None = None
        # Lines received while a suspended handler finishes, or while flood
        # control holds the connection back; None when not held.
        self._held: list[DecodedLine] | None = None
        # Why the connection ended, while lines it sent before are still
        # held (`_end`): the session ends once they are handled.
        self._ended: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start a session in the engine."""
        # A stream transport (uvloop's do not subclass asyncio.Transport).
        self._transport = cast("asyncio.Transport", transport)
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        # A host that starts with ":" would break the wire format (IPv6 "::1").
        host = "0" + ip if ip.startswith(":") else ip
        self._writer = writer = TransportWriter(self._transport, self._lingering)
        certfp = transport.get_extra_info("certfp")
        self.user = self.engine.connect(
            writer, host=host, ip=ip, secure=self.secure, certfp=certfp
        )

    def data_received(self, data: bytes) -> None:
        """Split into lines and handle them."""
        lines = self._decoder.feed(data)
        if self._held is not None:
            self._held.extend(lines)
        else:
            self._handle(lines)

    def eof_received(self) -> bool | None:
        """The client closed its side: end the session."""
        if self._writer is not None:
            self._writer.client_closed = True  # nothing to linger for
        self._end("Connection closed")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone, however it ended."""
        self._end(
            "Connection reset by peer" if exc is not None else "Connection closed"
        )

    def _end(self, reason: str) -> None:
        user = self.user
        if user is None:
            return
        if self._held and not user.quitting:
            # Lines sent before the end are still held (flood control, or a
            # command that waits): they are handled first, at the same pace,
            # as over plain TCP, where the end is not read before them. (TLS
            # reads the client's close with the rest of its data.)
            if self._ended is None:
                self._ended = reason
            return
        self.engine.disconnect(user, reason)
        self.engine.flush()

    def _handle(self, lines: list[DecodedLine]) -> None:
        user = self.user
        assert user is not None
        for index, line in enumerate(lines):
            if user.quitting:
                return
            try:
                coroutine = self.engine.handle_line(user, line)
                if coroutine is None:  # handled inline: nearly every line
                    if user.input_pause > 0.0:  # flood control
                        self._wait_for_input(lines[index + 1 :], user.input_pause)
                        return
                    continue
                waiting = coroutine.send(None)
            except StopIteration:  # a labeled line, say: done at once too
                if user.input_pause > 0.0:  # flood control
                    self._wait_for_input(lines[index + 1 :], user.input_pause)
                    return
                continue
            except Exception:
                self._crashed()
                return
            # The handler awaits something: finish it as a task, hold the rest.
            self._held = lines[index + 1 :]
            self._pause_reading()
            self._finish_later(coroutine, waiting)
            return
        if self._ended is not None:  # every line it sent is handled now
            reason, self._ended = self._ended, None
            self._end(reason)

    def _finish_later(
        self, coroutine: Coroutine[Any, Any, None], waiting: object
    ) -> None:
        def resume(_: object = None) -> None:
            # The awaited future is done, so the coroutine can go on in a task.
            task = asyncio.ensure_future(coroutine)
            self._pending.add(task)
            task.add_done_callback(self._finished)

        if isinstance(waiting, asyncio.Future):
            # `resume` first: the task is kept before `waiting` is let go.
            waiting.add_done_callback(resume)
            self._pending.add(waiting)
        else:
            resume()

    def _finished(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._crashed(task.exception())
            return
        self.engine.flush()
        user = self.user
        if user is not None and user.input_pause > 0.0:  # flood control
            self._wait_for_input(self._held or [], user.input_pause)
            return
        self._resume_input()

    def _wait_for_input(self, held: list[DecodedLine], seconds: float) -> None:
        """Flood control: read nothing and handle no line for `seconds`."""
        self._held = held
        self._pause_reading()
        asyncio.get_running_loop().call_later(seconds, self._resume_input)

    def _pause_reading(self) -> None:
        # Not once the session has ended (a QUIT that spent the flood
        # allowance, say): its connection is lingering, and must read on.
        user = self.user
        if self._transport is not None and (user is None or not user.quitting):
            self._transport.pause_reading()

    def _resume_input(self) -> None:
        """Handle the lines held meanwhile, and read again."""
        held, self._held = self._held or [], None
        if self.user is None or self.user.quitting:
            return
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()
        self._handle(held)

    def _crashed(self, error: BaseException | None = None) -> None:
        # A bug in a handler: log it, drop this connection only.
        logger.error("! session crashed", exc_info=error or True)
        if self.user is not None:
            self.engine.disconnect(self.user, "Internal error")
            self.engine.flush()
