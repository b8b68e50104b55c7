"""A lean IRC connection for load generation: registers, answers PINGs, counts.

It parses as little as it can: deliveries are counted with `bytes.count` over
complete lines, and latency is read from the timestamp the sender put in the
message body (`<run id> <sender> <seq> <monotonic_ns> <padding>`). The run id,
random per run, tells this run's messages from anyone else's: only lines
carrying it are counted as deliveries; other PRIVMSGs are counted as foreign.

The setup's replies are parsed line by line (they are few): a 4xx or 5xx
numeric before the welcome fails the registration at once, quoting the server,
and so does one after a JOIN (`474 b3 #bench :Cannot join channel (+b)`); the
JOIN's own echo says it succeeded. The last lines read are kept, so that when
the server closes the connection its ERROR line can be quoted as the reason.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

from hubbub.bench.stats import SampleReservoir

PRIVMSG = b" PRIVMSG "


def new_run_id() -> str:
    """A random token that marks one run's messages (`r` and 8 hex digits)."""
    return "r" + secrets.token_hex(4)


def run_marker(run_id: str) -> bytes:
    """What every one of the run's PRIVMSG lines contains: the body's start."""
    return f" :{run_id} ".encode()


def message_body(run_id: str, sender: int, seq: int, size: int) -> str:
    """A benchmark message body carrying its send time, padded to about `size` bytes."""
    head = f"{run_id} {sender} {seq} {time.monotonic_ns()}"
    return head + " " + "x" * max(0, size - len(head) - 1)


def body_timestamp_ns(line: bytes) -> int | None:
    """The send timestamp in a benchmark PRIVMSG line, if it has one."""
    start = line.find(b" :", line.find(PRIVMSG))
    if start < 0:
        return None
    parts = line[start + 2 :].split(b" ", 4)
    if len(parts) < 4 or not parts[3].isdigit():
        return None
    return int(parts[3])


class RegistrationError(ConnectionError):
    """The server answered the registration with an error numeric."""


class JoinRefused(ConnectionError):  # noqa: N818 (the server's answer, quoted)
    """The server answered a JOIN with an error (a numeric, or a FAIL reply)."""


def _command_and_params(line: bytes) -> tuple[bytes, bytes]:
    """A raw line's command and the rest, tags and source skipped."""
    if line.startswith(b"@"):
        line = line.partition(b" ")[2]
    if line.startswith(b":"):
        line = line.partition(b" ")[2]
    command, _, params = line.lstrip(b" ").partition(b" ")
    return command.upper(), params


_RFC1459 = str.maketrans("[]\\~", "{}|^")


def _source_nick(line: bytes) -> bytes:
    """The nick in a raw line's source (`:nick!user@host`), tags skipped."""
    if line.startswith(b"@"):
        line = line.partition(b" ")[2]
    if not line.startswith(b":"):
        return b""
    return line[1:].partition(b" ")[0].partition(b"!")[0]


def _is_refusal(command: bytes) -> bool:
    """An error numeric (4xx, 5xx), RPL_TRYAGAIN (263) or a FAIL standard reply."""
    if command == b"FAIL" or command == b"263":
        return True
    return len(command) == 3 and command[:1] in b"45" and command.isdigit()


def _casefold(nick: str) -> str:
    """IRC's case mapping (rfc1459): `[]\\~` are the capitals of `{}|^`."""
    return nick.lower().translate(_RFC1459)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").strip()


def server_error_text(data: bytes) -> str:
    """The text of the last ERROR line in `data` ("" if there is none)."""
    for line in reversed(data.split(b"\n")):
        command, params = _command_and_params(line.rstrip(b"\r"))
        if command == b"ERROR":
            return _text(params.removeprefix(b":")) or "(no reason given)"
    return ""


class BenchConnection(asyncio.Protocol):
    """One load-generating client."""

    def __init__(
        self,
        nick: str,
        *,
        sample_all: bool,
        reservoir: SampleReservoir | None,
        run_id: str = "",
    ) -> None:
        loop = asyncio.get_running_loop()
        self.nick = nick
        self.sample_all = sample_all  # latency of every line, or of each read's last
        self.reservoir = reservoir  # where latencies go; None records none
        self.marker = run_marker(run_id)  # in each of this run's PRIVMSG lines
        self.transport: asyncio.Transport | None = None
        self.deliveries = 0  # this run's PRIVMSG lines received
        self.foreign = 0  # other PRIVMSG lines received (other runs, other users)
        self.last_delivery = 0.0  # monotonic time of the latest delivery
        self.closed = loop.create_future()
        self.close_reason: str | None = None  # why it closed; None while open
        self.closed_by_us = False
        self.on_privmsg: Callable[[bytes], None] | None = None  # per-line hook (direct)
        # The setup's replies are parsed line by line while this is set: the
        # registration's until the end of the welcome burst, then a JOIN's
        # (see join) until its answer. Never while measuring.
        self.setting_up = True
        self.welcomed: asyncio.Future[None] = loop.create_future()
        self.burst_over: asyncio.Future[None] = loop.create_future()
        self._joining: tuple[str, asyncio.Future[None]] | None = None
        self._buffer = b""
        self._tail = b""  # the last complete lines read: an ERROR is among them
        self._waiters: list[tuple[bytes, asyncio.Future[bytes]]] = []

    @property
    def disconnected_by_server(self) -> bool:
        """The connection is gone, and not because we closed it."""
        return self.close_reason is not None and not self.closed_by_us

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
        self._tail = complete
        if self.setting_up:
            self._read_setup(complete)
        count = complete.count(self.marker)
        if count:
            self.deliveries += count
            self.last_delivery = time.monotonic()
            self._sample(complete)
        if complete.count(b"\n") != count:  # lines that are not deliveries
            self._other_lines(complete, count)
        if self._waiters:
            self._wake(complete)

    def connection_lost(self, exc: Exception | None) -> None:
        """Resolve `closed`, say why, and fail anyone still waiting."""
        server_error = server_error_text(self._tail + self._buffer)
        if server_error:
            reason = f"the server closed the connection: ERROR :{server_error}"
        else:
            reason = "connection closed" + (f" ({exc})" if exc else "")
        if self.close_reason is None:
            self.close_reason = reason
        if not self.closed.done():
            self.closed.set_result(None)
        waiters: list[asyncio.Future[Any]] = [self.welcomed, self.burst_over]
        waiters += [waiter for _, waiter in self._waiters]
        if self._joining is not None:
            waiters.append(self._joining[1])
        self._waiters.clear()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(ConnectionError(self.close_reason))
                # Mark it retrieved: an awaiter still gets it, nobody else warns.
                waiter.exception()

    # Helpers

    def _read_setup(self, complete: bytes) -> None:
        if self._joining is None:
            self._read_registration(complete)
        else:
            self._read_join(complete, *self._joining)

    def _read_registration(self, complete: bytes) -> None:
        for raw in complete.split(b"\n"):
            command, params = _command_and_params(raw.rstrip(b"\r"))
            if command == b"001":
                self._welcome(params)
            elif command in (b"376", b"422") and self.welcomed.done():
                self.setting_up = False
                if not self.burst_over.done():
                    self.burst_over.set_result(None)
                return
            elif (
                not self.welcomed.done()
                and len(command) == 3
                and command[:1] in b"45"
                and command.isdigit()
            ):
                # Before the welcome, any error numeric answers NICK, USER or PASS.
                numeric = _text(command + b" " + params)
                self._refuse(f"the server refused the registration: {numeric}")
                return

    def _welcome(self, params: bytes) -> None:
        nick = _text(params.partition(b" ")[0])
        if _casefold(nick) != _casefold(self.nick):
            # Two clients could end up with one nick; direct would message nobody.
            self._refuse(
                f"the server registered {self.nick} as {nick} (its nicks are"
                " shorter? a shorter --prefix or fewer clients may do)"
            )
        elif not self.welcomed.done():
            self.welcomed.set_result(None)

    def _read_join(
        self, complete: bytes, channel: str, answer: asyncio.Future[None]
    ) -> None:
        """Our own JOIN echoed means joined; an error reply means refused."""
        for raw in complete.split(b"\n"):
            line = raw.rstrip(b"\r")
            command, params = _command_and_params(line)
            if command == b"JOIN":
                joined = _casefold(_text(params.split(b" ")[0].removeprefix(b":")))
                ours = _casefold(_text(_source_nick(line))) == _casefold(self.nick)
                if ours and joined == channel:
                    self._join_answered(answer, None)
                    return
            elif _is_refusal(command):
                refusal = _text(command + b" " + params)
                self._join_answered(
                    answer, JoinRefused(f"the server refused the JOIN: {refusal}")
                )
                return

    def _join_answered(
        self, answer: asyncio.Future[None], refusal: JoinRefused | None
    ) -> None:
        self.setting_up = False
        self._joining = None
        if answer.done():
            return
        if refusal is None:
            answer.set_result(None)
        else:
            answer.set_exception(refusal)
            answer.exception()  # an awaiter still gets it; nobody else warns

    def _refuse(self, reason: str) -> None:
        self.setting_up = False
        self.close_reason = reason
        for waiter in (self.welcomed, self.burst_over):
            if not waiter.done():
                waiter.set_exception(RegistrationError(reason))
                waiter.exception()
        self.close()

    def _other_lines(self, complete: bytes, deliveries: int) -> None:
        """PINGs to answer, and PRIVMSGs from outside the run to count.

        Only for reads holding lines other than deliveries: the common read,
        all deliveries, costs two scans (the marker and the newlines), no more.
        """
        if b"PING " in complete:
            self._answer_pings(complete)
        if complete.count(PRIVMSG) != deliveries:
            marker = self.marker
            for line in complete.split(b"\n"):
                if PRIVMSG in line and marker not in line:
                    self.foreign += 1

    def _sample(self, complete: bytes) -> None:
        now = time.monotonic_ns()
        reservoir = self.reservoir
        marker = self.marker
        if self.on_privmsg is not None or self.sample_all:
            for line in complete.split(b"\n"):
                if marker not in line:
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
        stamp = body_timestamp_ns(last) if marker in last else None
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

    def send_raw(self, data: bytes) -> bool:
        """Write bytes now (asyncio buffers what the socket does not take).

        Returns False, writing nothing, once the connection is closed or closing.
        """
        if self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(data)
        return True

    def join(self, channel: str) -> asyncio.Future[None]:
        """Send JOIN: a future that resolves once the server echoes it.

        It fails with JoinRefused quoting the server's error reply (`474 b3
        #bench :Cannot join channel (+b)`), or with ConnectionError if the
        connection closes first. Only after registration, one JOIN at a time.
        """
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.close_reason is not None:
            answer.set_exception(ConnectionError(self.close_reason))
            answer.exception()
            return answer
        self._joining = (_casefold(channel), answer)
        self.setting_up = True
        self.send_raw(f"JOIN {channel}\r\n".encode())
        return answer

    def expect(self, fragment: bytes) -> asyncio.Future[bytes]:
        """A future for the next line containing `fragment`."""
        waiter = asyncio.get_running_loop().create_future()
        if self.close_reason is not None:
            waiter.set_exception(ConnectionError(self.close_reason))
            waiter.exception()
            return waiter
        self._waiters.append((fragment, waiter))
        return waiter

    def buffered_bytes(self) -> int:
        """Bytes we have written that the kernel has not taken yet."""
        return self.transport.get_write_buffer_size() if self.transport else 0

    def close(self) -> None:
        """Close the connection."""
        if self.close_reason is None:
            self.closed_by_us = True
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
    run_id: str = "",
    password: str = "",
    deadline: tuple[float, str] | None = None,
) -> BenchConnection:
    """Connect and register `nick`; return once the welcome burst is over.

    With a `password`, PASS goes first. On any failure the connection is
    closed before the error propagates, so a client that did not register
    never holds a socket open. A `deadline` (a monotonic time, and what to
    call it) may end the wait sooner than `timeout_seconds`.

    Raises:
        OSError: the server refused the connection.
        TimeoutError: registration took over `timeout_seconds`, or went past
            the `deadline` (the message says which, and which step was waiting).
        RegistrationError: the server answered with an error numeric (quoted),
            or welcomed the client under another nick.
        ConnectionError: the server closed the connection during registration
            (quoting its ERROR line if it sent one).
    """
    loop = asyncio.get_running_loop()
    waiting_for = "the TCP connection"
    connection: BenchConnection | None = None
    seconds, at_deadline = timeout_seconds, False  # at_deadline: it comes first
    if deadline is not None and deadline[0] - time.monotonic() < timeout_seconds:
        seconds, at_deadline = max(0.0, deadline[0] - time.monotonic()), True
    try:
        async with asyncio.timeout(seconds):
            _, connection = await loop.create_connection(
                lambda: BenchConnection(
                    nick, sample_all=sample_all, reservoir=reservoir, run_id=run_id
                ),
                host,
                port,
            )
            login = f"PASS :{password}\r\n" if password else ""
            login += f"NICK {nick}\r\nUSER {nick} 0 * :bench\r\n"
            connection.send_raw(login.encode())
            waiting_for = "the welcome (001)"
            await asyncio.shield(connection.welcomed)
            # The end of the MOTD (376) or its absence (422) ends the burst.
            waiting_for = "the end of the MOTD (376 or 422)"
            await asyncio.shield(connection.burst_over)
    except BaseException as error:
        if connection is not None:
            connection.close()  # connection_lost then fails the waiters left
        if isinstance(error, TimeoutError) and not str(error):
            if deadline is not None and at_deadline:
                raise TimeoutError(
                    f"no answer waiting for {waiting_for} when {deadline[1]} ran out"
                ) from None
            raise TimeoutError(
                f"no answer after {timeout_seconds:g} s waiting for {waiting_for}"
            ) from None
        raise
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
