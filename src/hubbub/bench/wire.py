"""A lean IRC connection for load generation: registers, answers PINGs, counts.

It parses as little as it can: deliveries are counted with `bytes.count` over
complete lines, and latency is read from the timestamp the sender put in the
message body (`<sender> <seq> <monotonic_ns> <padding>`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from hubbub.bench.stats import SampleReservoir

PRIVMSG = b" PRIVMSG "


def message_body(sender: int, seq: int, size: int) -> str:
    """A benchmark message body carrying its send time, padded to about `size` bytes."""
    head = f"{sender} {seq} {time.monotonic_ns()}"
    return head + " " + "x" * max(0, size - len(head) - 1)


def body_timestamp_ns(line: bytes) -> int | None:
    """The send timestamp in a benchmark PRIVMSG line, if it has one."""
    start = line.find(b" :", line.find(PRIVMSG))
    if start < 0:
        return None
    parts = line[start + 2 :].split(b" ", 3)
    if len(parts) < 3 or not parts[2].isdigit():
        return None
    return int(parts[2])


class BenchConnection(asyncio.Protocol):
    """One load-generating client."""

    def __init__(
        self, nick: str, *, sample_all: bool, reservoir: SampleReservoir | None
    ) -> None:
        self.nick = nick
        self.sample_all = sample_all  # latency of every line, or of each read's last
        self.reservoir = reservoir  # where latencies go; None records none
        self.transport: asyncio.Transport | None = None
        self.deliveries = 0  # PRIVMSG lines received
        self.last_delivery = 0.0  # monotonic time of the latest delivery
        self.closed = asyncio.get_running_loop().create_future()
        self.on_privmsg: Callable[[bytes], None] | None = None  # per-line hook (direct)
        self._buffer = b""
        self._waiters: list[tuple[bytes, asyncio.Future[bytes]]] = []

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport."""
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        """Count complete lines; answer PINGs; wake waiters."""
        buffer = self._buffer + data if self._buffer else data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self._buffer = buffer
            return
        complete, self._buffer = buffer[: cut + 1], buffer[cut + 1 :]
        count = complete.count(PRIVMSG)
        if count:
            self.deliveries += count
            self.last_delivery = time.monotonic()
            self._sample(complete)
        if b"PING " in complete:
            self._answer_pings(complete)
        if self._waiters:
            self._wake(complete)

    def connection_lost(self, exc: Exception | None) -> None:
        """Resolve `closed` and fail anyone still waiting."""
        if not self.closed.done():
            self.closed.set_result(None)
        for _, waiter in self._waiters:
            if not waiter.done():
                reason = f" ({exc})" if exc else ""
                waiter.set_exception(ConnectionError(f"connection closed{reason}"))
                # Mark it retrieved: an awaiter still gets it, nobody else warns.
                waiter.exception()
        self._waiters.clear()

    # Helpers

    def _sample(self, complete: bytes) -> None:
        now = time.monotonic_ns()
        reservoir = self.reservoir
        if self.on_privmsg is not None or self.sample_all:
            for line in complete.split(b"\n"):
                if PRIVMSG not in line:
                    continue
                if reservoir is not None:
                    stamp = body_timestamp_ns(line)
                    if stamp is not None:
                        reservoir.add((now - stamp) / 1e6)
                if self.on_privmsg is not None:
                    self.on_privmsg(line)
            return
        if reservoir is None:
            return
        last = complete[complete.rfind(b"\n", 0, len(complete) - 1) + 1 :]
        stamp = body_timestamp_ns(last) if PRIVMSG in last else None
        if stamp is not None:
            reservoir.add((now - stamp) / 1e6)

    def _answer_pings(self, complete: bytes) -> None:
        for line in complete.split(b"\n"):
            if line.startswith(b"PING "):
                self.send_raw(b"PONG " + line[5:].rstrip(b"\r") + b"\r\n")

    def _wake(self, complete: bytes) -> None:
        still: list[tuple[bytes, asyncio.Future[bytes]]] = []
        for fragment, waiter in self._waiters:
            if waiter.done():
                continue
            at = complete.find(fragment)
            if at < 0:
                still.append((fragment, waiter))
                continue
            begin = complete.rfind(b"\n", 0, at) + 1
            end = complete.find(b"\n", at)
            waiter.set_result(complete[begin:end].rstrip(b"\r"))
        self._waiters = still

    def send_raw(self, data: bytes) -> None:
        """Write bytes now (asyncio buffers what the socket does not take)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def expect(self, fragment: bytes) -> asyncio.Future[bytes]:
        """A future for the next line containing `fragment`."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((fragment, waiter))
        return waiter

    def buffered_bytes(self) -> int:
        """Bytes we have written that the kernel has not taken yet."""
        return self.transport.get_write_buffer_size() if self.transport else 0

    def close(self) -> None:
        """Close the connection."""
        if self.transport is not None:
            self.transport.close()


async def open_connection(
    host: str,
    port: int,
    nick: str,
    *,
    sample_all: bool,
    reservoir: SampleReservoir | None,
    timeout_seconds: float,
) -> BenchConnection:
    """Connect and register `nick`; return once the welcome burst is over.

    On any failure the connection is closed before the error propagates, so a
    client that did not register never holds a socket open.

    Raises:
        OSError: the server refused the connection.
        TimeoutError: registration took over `timeout_seconds` (the message says
            which step was waiting).
        ConnectionError: the server closed the connection during registration.
    """
    loop = asyncio.get_running_loop()
    waiting_for = "the TCP connection"
    connection: BenchConnection | None = None
    try:
        async with asyncio.timeout(timeout_seconds):
            _, connection = await loop.create_connection(
                lambda: BenchConnection(
                    nick, sample_all=sample_all, reservoir=reservoir
                ),
                host,
                port,
            )
            # The end of the MOTD (376) or its absence (422) ends the burst.
            welcome = connection.expect(b" 001 ")
            motd_end = connection.expect(b" 376 ")
            no_motd = connection.expect(b" 422 ")
            connection.send_raw(f"NICK {nick}\r\nUSER {nick} 0 * :bench\r\n".encode())
            waiting_for = "the welcome (001)"
            await welcome
            waiting_for = "the end of the MOTD (376 or 422)"
            done, _ = await asyncio.wait(
                {motd_end, no_motd}, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in done:
                waiter.result()  # raises ConnectionError if the server hung up
    except BaseException as error:
        if connection is not None:
            connection.close()  # connection_lost then fails the waiters left
        if isinstance(error, TimeoutError) and not str(error):
            raise TimeoutError(
                f"no answer after {timeout_seconds:g} s waiting for {waiting_for}"
            ) from None
        raise
    for waiter in (motd_end, no_motd):
        if waiter not in done:
            waiter.cancel()
    connection._waiters = [(f, w) for f, w in connection._waiters if not w.done()]
    return connection


async def sync_with_server(
    connection: BenchConnection, token: str, seconds: float
) -> None:
    """Send PING and wait for its PONG: every earlier line has been handled.

    Raises:
        TimeoutError: no PONG within `seconds`.
        ConnectionError: the connection closed first.
    """
    pong = connection.expect(token.encode())
    connection.send_raw(f"PING :{token}\r\n".encode())
    try:
        async with asyncio.timeout(seconds):
            await pong
    except TimeoutError:
        pong.cancel()
        raise TimeoutError(
            f"{connection.nick} got no PONG {token} within {seconds:g} s"
        ) from None
