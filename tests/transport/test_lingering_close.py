"""A lingering close over real sockets: the client reads the server's last
lines, its ERROR included, even when it kept sending after the end, and the
server lets go of the socket soon after, however the client behaves.

Closing a socket with unread bytes in its receive buffer answers with a TCP
RST, and the client's kernel then drops what the client had not read yet.
These clients read only when asked (their bytes wait in the kernel, as for a
client busy elsewhere), so they see that loss.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hubbub.app import App, run_app
from hubbub.protocol.casemap import casefold
from hubbub.transport import linger
from hubbub.transport.session import TransportWriter
from tests.fakes import make_config

POLL_SECONDS = 0.02
# How long a test client waits before reading, so that a reset, if the
# server sent one, has arrived: the client is busy elsewhere meanwhile.
READ_LATE_SECONDS = 0.3
# More than the server reads from a socket at once (256 KiB for asyncio and
# uvloop), less than what a lingering close discards (LINGER_BYTES): after
# a QUIT in front of it, some of it is still unread when the session ends.
TRAILING = b"".join(
    b"PRIVMSG nobody :%06d %s\r\n" % (n, b"x" * 480) for n in range(1200)
)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """A server with a slow flood rate: a flooder's reading stays paused."""
    limits = {"flood_burst_lines": 10, "flood_lines_per_second": 0.2}
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path, limits=limits)
    async with run_app(config) as running:
        yield running


class RawClient:
    """An IRC client over a plain socket that reads only when asked."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    @classmethod
    async def open(cls, port: int) -> RawClient:
        """Connect to the server on loopback."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        return cls(sock)

    async def send(self, data: bytes) -> None:
        """Send all of `data`."""
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def read_until(self, fragment: bytes, seconds: float = 10.0) -> bytes:
        """What the server sent, up to the end of the line holding `fragment`."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(seconds):
            while fragment not in self._buffer:
                chunk = await loop.sock_recv(self.sock, 65536)
                if not chunk:
                    raise AssertionError(f"EOF before {fragment!r}: {self._buffer!r}")
                self._buffer += chunk
        end = self._buffer.index(b"\n", self._buffer.index(fragment)) + 1
        read, self._buffer = self._buffer[:end], self._buffer[end:]
        return read

    async def read_to_end(self, seconds: float = 10.0) -> bytes:
        """Everything up to the server's FIN (a reset raises)."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(seconds):
            while chunk := await loop.sock_recv(self.sock, 65536):
                self._buffer += chunk
        read, self._buffer = self._buffer, b""
        return read

    async def register(self, nick: str) -> None:
        """NICK/USER, then the welcome burst, up to its end (no MOTD: 422)."""
        await self.send(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
        await self.read_until(b" 422 ")

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def server_socket_inode(client: socket.socket) -> int:
    """The inode of the server's socket for the `client`'s connection (Linux)."""
    client_port = client.getsockname()[1]
    server_port = client.getpeername()[1]
    with open("/proc/net/tcp") as table:
        for row in table.read().splitlines()[1:]:
            fields = row.split()
            local, remote = fields[1], fields[2]
            if (
                int(local.split(":")[1], 16) == server_port
                and int(remote.split(":")[1], 16) == client_port
            ):
                return int(fields[9])
    raise AssertionError("no server socket for this connection")


def socket_is_open(inode: int) -> bool:
    """Does this process hold the socket `inode` open?"""
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == f"socket:[{inode}]":
                return True
        except OSError:  # closed since it was listed
            continue
    return False


async def until(condition: str, check: Callable[[], bool], seconds: float = 10) -> None:
    """Wait until `check()` is true."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {condition} after {seconds} s")
        await asyncio.sleep(POLL_SECONDS)


def gone(app: App, nick: str) -> Callable[[], bool]:
    """A check: has the session of `nick` ended?"""
    return lambda: casefold(nick) not in app.engine.state.users


async def send_without_end(client: RawClient, seconds: float = 10) -> None:
    """Send lines until the server drops the connection (for `seconds` at
    most: then TimeoutError)."""
    async with asyncio.timeout(seconds):
        while True:
            await client.send(TRAILING)


needs_proc = pytest.mark.skipif(
    not os.path.exists("/proc/net/tcp"), reason="reads the sockets from /proc (Linux)"
)


async def test_a_client_that_sends_on_after_its_quit_reads_its_error(
    app: App,
) -> None:
    client = await RawClient.open(app.ports["irc"])
    await client.register("chatty")
    await client.send(b"QUIT :bye\r\n" + TRAILING)
    await until("ended", gone(app, "chatty"))
    await asyncio.sleep(READ_LATE_SECONDS)
    assert (await client.read_to_end()).endswith(
        b"ERROR :Closing Link: 127.0.0.1 (Quit: bye)\r\n"
    )
    client.close()


@needs_proc
async def test_a_flooder_killed_while_held_back_reads_why(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flood control stopped reading it: its last lines are still in the
    kernel when an operator ends the session, which reads again to drain."""
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    oper = await RawClient.open(app.ports["irc"])
    await oper.register("oper")
    await oper.send(b"OPER oper operpass\r\n")
    await oper.read_until(b" 381 ")
    flooder = await RawClient.open(app.ports["irc"])
    await flooder.register("flooder")
    inode = server_socket_inode(flooder.sock)
    await flooder.send(b"".join(b"PRIVMSG oper :line %d\r\n" % n for n in range(40)))
    # It was read at once; flood control stopped after a few lines, which
    # oper sees, and is not reading the flooder's socket now.
    await oper.read_until(b":line 0")
    await flooder.send(b"".join(b"PRIVMSG oper :more %d\r\n" % n for n in range(200)))
    await oper.send(b"KILL flooder :enough\r\n")
    await until("ended", gone(app, "flooder"))
    await asyncio.sleep(READ_LATE_SECONDS)
    assert (await flooder.read_to_end()).endswith(
        b"ERROR :Closing Link: 127.0.0.1 (Killed (oper (enough)))\r\n"
    )
    flooder.close()
    await until("released", lambda: not socket_is_open(inode))
    oper.close()


def _tls_quit_then_send_on(port: int) -> tuple[bytes, int]:
    """Over TLS (blocking, in a thread): register, QUIT with more behind it,
    read late, close; what came after the QUIT, and the server's socket."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the server's self-signed certificate
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        tls.sendall(b"NICK secure\r\nUSER secure 0 * :secure\r\n")
        received = b""
        while b" 422 " not in received:
            chunk = tls.recv(65536)
            assert chunk, received
            received += chunk
        inode = server_socket_inode(tls)
        tls.sendall(b"QUIT :bye\r\n" + TRAILING)
        time.sleep(READ_LATE_SECONDS)
        received = b""
        while chunk := tls.recv(65536):  # b"" at the server's close_notify
            received += chunk
        return received, inode


@needs_proc
async def test_a_tls_client_that_sends_on_after_its_quit_reads_its_error(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    received, inode = await asyncio.to_thread(_tls_quit_then_send_on, app.ports["tls"])
    assert received.endswith(b"ERROR :Closing Link: 127.0.0.1 (Quit: bye)\r\n")
    # The client has closed: the server lets go without waiting out the linger.
    await until("released", lambda: not socket_is_open(inode))


@needs_proc
async def test_the_socket_is_let_go_once_the_client_closes(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    client = await RawClient.open(app.ports["irc"])
    await client.register("brief")
    inode = server_socket_inode(client.sock)
    await client.send(b"QUIT :bye\r\n")
    assert (await client.read_to_end()).endswith(b"(Quit: bye)\r\n")
    assert socket_is_open(inode)  # lingering: the client has not closed yet
    await client.send(b"PING :after the end\r\n")  # read and dropped
    client.close()
    await until("released", lambda: not socket_is_open(inode))


@needs_proc
async def test_a_client_that_never_closes_is_let_go_in_time(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linger, "LINGER_SECONDS", 0.5)
    client = await RawClient.open(app.ports["irc"])
    await client.register("stayer")
    inode = server_socket_inode(client.sock)
    await client.send(b"QUIT :bye\r\n")
    assert (await client.read_to_end()).endswith(b"(Quit: bye)\r\n")
    await until("released", lambda: not socket_is_open(inode))
    client.close()


@needs_proc
async def test_a_client_that_sends_on_without_end_is_let_go(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    monkeypatch.setattr(linger, "LINGER_BYTES", 65536)
    client = await RawClient.open(app.ports["irc"])
    await client.register("firehose")
    inode = server_socket_inode(client.sock)
    await client.send(b"QUIT :bye\r\n")
    # It sends on until dropped past LINGER_BYTES (a reset), not for ever.
    with pytest.raises(ConnectionError):
        await send_without_end(client)
    await until("released", lambda: not socket_is_open(inode))
    client.close()


@needs_proc
async def test_a_client_that_closed_first_is_closed_at_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It has sent all it will (EOF): there is nothing to linger for."""
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    client = await RawClient.open(app.ports["irc"])
    await client.register("leaver")
    inode = server_socket_inode(client.sock)
    client.sock.shutdown(socket.SHUT_WR)  # EOF, and it still reads
    assert (await client.read_to_end()).endswith(
        b"ERROR :Closing Link: 127.0.0.1 (Connection closed)\r\n"
    )
    await until("released", lambda: not socket_is_open(inode))
    client.close()


@needs_proc
async def test_a_quit_that_spends_the_flood_allowance_still_reads_on(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flood control would stop reading after such a QUIT: the lingering
    close must read on, to see the client close."""
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    client = await RawClient.open(app.ports["irc"])
    await client.register("spender")
    inode = server_socket_inode(client.sock)
    # What is left of the allowance, then the QUIT overdraws it (it grows
    # by one line in 5 s: not in the time this takes).
    user = app.engine.state.users[casefold("spender")]
    pings = b"PING :x\r\n" * int(user.flood_allowance)
    await client.send(pings + b"QUIT :bye\r\n")
    assert (await client.read_to_end()).endswith(b"(Quit: bye)\r\n")
    assert user.input_pause > 0.0  # it did
    client.close()
    await until("released", lambda: not socket_is_open(inode))


@needs_proc
async def test_past_max_lingering_connections_close_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lingering sockets are no clients: the client caps do not count them.
    So only MAX_LINGERING linger at once, and clients that end their
    sessions and never close cannot use up the server's descriptors."""
    monkeypatch.setattr(linger, "MAX_LINGERING", 2)
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config) as app:
        clients, inodes = [], []
        for n in range(4):
            client = await RawClient.open(app.ports["irc"])
            await client.register(f"stayer{n}")
            clients.append(client)
            inodes.append(server_socket_inode(client.sock))
        for n, client in enumerate(clients):
            await client.send(b"QUIT :bye\r\n")
            await until("ended", gone(app, f"stayer{n}"))
        # None of them closes: the first two linger, the others are closed.
        for client in clients:
            assert (await client.read_to_end()).endswith(b"(Quit: bye)\r\n")
        await until("closed", lambda: not any(map(socket_is_open, inodes[2:])))
        assert all(map(socket_is_open, inodes[:2]))
        # Their places come back as they close.
        clients[0].close()
        await until("released", lambda: not socket_is_open(inodes[0]))
        late = await RawClient.open(app.ports["irc"])
        await late.register("late")
        late_inode = server_socket_inode(late.sock)
        await late.send(b"QUIT :bye\r\n")
        assert (await late.read_to_end()).endswith(b"(Quit: bye)\r\n")
        assert socket_is_open(late_inode)  # lingering, in the freed place
        for client in (*clients[1:], late):
            client.close()


@needs_proc
async def test_a_shutdown_lets_go_of_every_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that has its last lines but does not close (it waits for
    the server to go first) is closed once it has been quiet a moment, well
    before `SHUTDOWN_LINGER_SECONDS`, and cleanly: it reads all, then EOF.
    No socket is left open once the server has stopped."""
    monkeypatch.setattr(linger, "LINGER_SECONDS", 60.0)
    monkeypatch.setattr(linger, "SHUTDOWN_LINGER_SECONDS", 30.0)
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config) as app:
        client = await RawClient.open(app.ports["irc"])
        await client.register("stayer")
        inode = server_socket_inode(client.sock)
        loop = asyncio.get_running_loop()
        started = loop.time()
    assert not socket_is_open(inode)
    assert loop.time() - started < 10  # not the 30 s a chatty client may get
    assert (await client.read_to_end()).endswith(b"(Server shutting down)\r\n")
    client.close()


async def test_a_shutdown_drops_a_client_still_sending_at_its_deadline() -> None:
    lingering = linger.Lingering()
    transport = RecordingTransport()
    lingering.close(transport)
    closing = transport.protocol

    async def chatter() -> None:
        while True:
            closing.data_received(b"PING :still here\r\n")
            await asyncio.sleep(linger.SHUTDOWN_QUIET_SECONDS / 4)

    talking = asyncio.create_task(chatter())
    loop = asyncio.get_running_loop()
    started = loop.time()
    await lingering.settle(0.5)
    talking.cancel()
    assert loop.time() - started >= 0.5  # never quiet: held to the deadline
    assert transport.calls[-1] == "abort"
    assert "close" not in transport.calls
    assert len(lingering) == 0


class RecordingTransport(asyncio.Transport):
    """A transport that records how it was ended."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def is_closing(self) -> bool:
        return "close" in self.calls or "abort" in self.calls

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        self.calls.append("close")

    def abort(self) -> None:
        self.calls.append("abort")

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.calls.append(type(protocol).__name__)
        assert isinstance(protocol, linger.LingeringClose)
        self.protocol = protocol

    def write_eof(self) -> None:
        self.calls.append("write_eof")

    def resume_reading(self) -> None:
        self.calls.append("resume_reading")


async def test_the_writer_lingers_unless_the_client_closed_first() -> None:
    lingering = linger.Lingering()
    open_transport, closed_transport = RecordingTransport(), RecordingTransport()
    TransportWriter(open_transport, lingering).close()
    assert open_transport.calls == ["LingeringClose", "write_eof", "resume_reading"]
    assert len(lingering) == 1
    writer = TransportWriter(closed_transport, lingering)
    writer.client_closed = True  # its EOF came first (Session.eof_received)
    writer.close()
    assert closed_transport.calls == ["close"]
    assert len(lingering) == 1  # no lingering place taken
    await lingering.settle(0)
    assert open_transport.calls[-1] == "abort"
    assert len(lingering) == 0
