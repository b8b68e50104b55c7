"""The end of a connection whose session has ended: a lingering close.

Closing a socket while bytes the client sent wait unread in its receive
buffer makes the kernel answer with a reset (RFC 1122, 4.2.2.13), and the
client's kernel then drops what the client had not yet read of ours: our
last lines, the ERROR that says why, never reach it. Plain TCP
(`session.TransportWriter.close`) and TLS (`tls.TlsProtocol.close`, after
its close_notify) end with `Lingering.close` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hubbub.capacity import FD_RESERVE

# A lingering close (`LingeringClose`) lasts until the client closes its
# side, and at most LINGER_SECONDS (which include sending what was still
# queued: a client that reads nothing cannot hold its socket open), or until
# the client has sent LINGER_BYTES more, whichever comes first. A client
# that is still there reads our last lines and closes in far less time;
# nginx lingers 5 s for more input (lingering_timeout), Apache httpd 2 s.
# The byte bound keeps a client that floods on from costing more than a few
# reads; what it sends past it is answered with a reset.
LINGER_SECONDS = 5.0
LINGER_BYTES = 1024 * 1024
# At most this many connections of one server linger at once; past it, a
# connection closes at once, as it did before lingering. A lingering socket
# is no client any more (the caps of `Engine.connect` no longer count it),
# so this bounds what lingering adds to the descriptors in use, within what
# the client cap leaves free (`capacity.FD_RESERVE`): clients that end
# their sessions and never close, however many, cannot use up the rest.
MAX_LINGERING = FD_RESERVE // 2
# A shutdown waits this long at most for lingering clients to close, then
# drops the rest. One that has sent nothing for SHUTDOWN_QUIET_SECONDS is
# closed before that: with nothing unread, closing sends no reset, and the
# kernel delivers what is queued (a client that waits for the server to go
# before it closes, as irctest's do, would otherwise hold every shutdown).
SHUTDOWN_LINGER_SECONDS = 1.0
SHUTDOWN_QUIET_SECONDS = 0.1


class LingeringClose(asyncio.Protocol):
    """The protocol of a connection whose session has ended, until it closes.

    That happens to a client that sends on after its QUIT, or that is
    killed, timed out or held back by flood control while it sends. So, as
    Apache httpd's and nginx's lingering_close do, `close_lingering` sends
    what is queued, then a FIN, and this protocol reads on and drops what
    arrives (undecoded: the session has ended) until the client closes too,
    or for LINGER_SECONDS or LINGER_BYTES at most; then the connection is
    dropped (`abort`).
    """

    __slots__ = ("_closed", "_discarded", "_timer", "_transport", "heard_at")

    def __init__(
        self, transport: asyncio.Transport, closed: Callable[[], None]
    ) -> None:
        self._transport = transport
        self._closed = closed  # called once the connection is gone
        self._discarded = 0
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(LINGER_SECONDS, transport.abort)
        self.heard_at = loop.time()  # when it began, or the client last sent

    def data_received(self, data: bytes) -> None:
        """Drop it, up to LINGER_BYTES in all."""
        self.heard_at = asyncio.get_running_loop().time()
        self._discarded += len(data)
        if self._discarded > LINGER_BYTES:
            self._transport.abort()

    def eof_received(self) -> bool | None:
        """The client has closed its side: the transport closes ours (once
        what is queued is sent, within LINGER_SECONDS)."""
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Closed, whichever way."""
        self._timer.cancel()
        self._closed()


class Lingering:
    """The connections of one server that are closing with a lingering
    close: at most `limit` at once, and ended at shutdown (`settle`)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_LINGERING if limit is None else limit
        self._closings: dict[asyncio.Transport, LingeringClose] = {}

    def __len__(self) -> int:
        return len(self._closings)

    def close(self, transport: asyncio.Transport) -> None:
        """Send what is queued and a FIN, then drop what the client still
        sends until it closes (`LingeringClose`); or close at once, when
        `limit` connections linger already, or `transport` is closing or
        cannot half-close. Its protocol is replaced, and reading resumes if
        paused."""
        if (
            len(self._closings) >= self.limit
            or transport.is_closing()
            or not transport.can_write_eof()
        ):
            transport.close()
            return
        closing = LingeringClose(transport, lambda: self._forget(transport))
        self._closings[transport] = closing
        transport.set_protocol(closing)
        try:
            transport.write_eof()
        except OSError:  # the connection was reset meanwhile: nothing to send
            transport.abort()
            return
        transport.resume_reading()

    def _forget(self, transport: asyncio.Transport) -> None:
        self._closings.pop(transport, None)

    async def settle(self, seconds: float | None = None) -> None:
        """At shutdown: give the lingering clients up to `seconds`
        (SHUTDOWN_LINGER_SECONDS) to close, closing those that have sent
        nothing for SHUTDOWN_QUIET_SECONDS; then drop those left."""
        loop = asyncio.get_running_loop()
        quiet = SHUTDOWN_QUIET_SECONDS
        if seconds is None:
            seconds = SHUTDOWN_LINGER_SECONDS
        deadline = loop.time() + seconds
        while self._closings and loop.time() < deadline:
            now = loop.time()
            for transport, closing in list(self._closings.items()):
                if now - closing.heard_at >= quiet and not transport.is_closing():
                    transport.close()  # once what is queued is sent
            await asyncio.sleep(min(quiet / 2, max(0.0, deadline - loop.time())))
        for transport in list(self._closings):
            transport.abort()
        self._closings.clear()
