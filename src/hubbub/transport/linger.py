"""The end of a connection whose session has ended: a lingering close.

Closing a socket while bytes the client sent wait unread in its receive
buffer makes the kernel answer with a reset (RFC 1122, 4.2.2.13), and the
client's kernel then drops what the client had not yet read of ours: our
last lines, the ERROR that says why, never reach it. Plain TCP
(`session.TransportWriter.close`) and TLS (`tls.TlsProtocol.close`, after
its close_notify) end with `close_lingering` instead.
"""

from __future__ import annotations

import asyncio

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

    __slots__ = ("_discarded", "_timer", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._discarded = 0
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(LINGER_SECONDS, transport.abort)

    def data_received(self, data: bytes) -> None:
        """Drop it, up to LINGER_BYTES in all."""
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


def close_lingering(transport: asyncio.Transport) -> None:
    """Send what is queued and a FIN, then drop what the client still sends
    until it closes (`LingeringClose`). `transport` must support
    `write_eof`; its protocol is replaced, and reading resumes if paused."""
    transport.set_protocol(LingeringClose(transport))
    try:
        transport.write_eof()
    except OSError:  # the connection was reset meanwhile: nothing to send
        transport.abort()
        return
    transport.resume_reading()
