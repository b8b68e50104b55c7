"""Test doubles: fake clients that speak IRC to an in-process engine, a frozen clock."""

from __future__ import annotations

from hubbub.config import Config, Operator
from hubbub.core.engine import Engine
from hubbub.core.user import User
from hubbub.protocol.framing import DecodedLine, LineDecoder
from hubbub.storage.memory import MemoryAccountStore, MemoryHistoryStore
from hubbub.storage.passwords import Argon2Passwords, hash_password

SERVER = "irc.test"
OPER_HASH = hash_password("operpass")


class FrozenClock:
    """A clock that moves only when told."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.current = now

    def now(self) -> float:
        """The frozen time."""
        return self.current

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.current += seconds


class FakeWriter:
    """The `Writer` port as a recording buffer."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.backlog_bytes = 0  # pretend the kernel has this much unsent

    def write(self, data: bytes) -> None:
        """Record written bytes."""
        assert not self.closed, "write after close"
        self.data += data

    def buffered_bytes(self) -> int:
        """Pretend backlog."""
        return self.backlog_bytes

    def close(self) -> None:
        """Record the close."""
        self.closed = True


class FakeClient:
    """A client connected to the engine in-process: send lines, read lines."""

    def __init__(self, engine: Engine, ip: str = "127.0.0.1") -> None:
        self.engine = engine
        self.writer = FakeWriter()
        self.user: User = engine.connect(self.writer, host=ip, ip=ip)
        self._read = 0
        self._decoder = LineDecoder()

    async def send(self, line: str) -> None:
        """Send one line as if received from the network."""
        pending = self.engine.handle_line(self.user, DecodedLine(line))
        if pending is not None:
            await pending

    async def send_raw(self, data: bytes) -> None:
        """Send raw bytes through the line decoder (framing included)."""
        for decoded in LineDecoder(max_tags_bytes=4096).feed(data):
            pending = self.engine.handle_line(self.user, decoded)
            if pending is not None:
                await pending

    def received(self) -> list[str]:
        """Lines written to this client since the last call (the drain idiom)."""
        self.engine.flush()
        new = bytes(self.writer.data[self._read :])
        self._read = len(self.writer.data)
        return [line for line in new.decode("utf-8").split("\r\n") if line]

    def clear(self) -> None:
        """Forget everything received so far."""
        self.received()

    @property
    def closed(self) -> bool:
        """Has the server closed this connection?"""
        return self.writer.closed


def make_config(**overrides: object) -> Config:
    """A test configuration: server name irc.test, one operator."""
    values: dict[str, object] = {
        "server_name": SERVER,
        "network_name": "TestNet",
        "operators": [Operator(name="oper", password_hash=OPER_HASH)],
        # Real-socket tests bind every listener to a free port.
        "tls": {"port": 0},
        "web": {"port": 0},
    }
    values.update(overrides)
    return Config.model_validate(values)


def make_engine(clock: FrozenClock | None = None, **overrides: object) -> Engine:
    """An engine with the test config (changed by `overrides`)."""
    return Engine(
        make_config(**overrides),
        passwords=Argon2Passwords(time_cost=1, memory_cost=64, scram_iterations=4096),
        accounts=MemoryAccountStore(),
        history=MemoryHistoryStore(),
        clock=clock or FrozenClock(),
    )


async def connect(
    engine: Engine, nick: str, *, caps: tuple[str, ...] = (), ip: str = "127.0.0.1"
) -> FakeClient:
    """A registered client (welcome burst discarded)."""
    client = FakeClient(engine, ip=ip)
    if caps:
        await client.send("CAP LS 302")
        await client.send("CAP REQ :" + " ".join(caps))
    await client.send(f"NICK {nick}")
    await client.send(f"USER {nick} 0 * :{nick.capitalize()} Realname")
    if caps:
        await client.send("CAP END")
    lines = client.received()
    assert any(f" 001 {nick} " in line for line in lines), lines
    return client


async def joined(engine: Engine, channel: str, *nicks: str) -> list[FakeClient]:
    """Connect `nicks` and join each to `channel` in order (the first is op)."""
    clients = []
    for nick in nicks:
        client = await connect(engine, nick)
        await client.send(f"JOIN {channel}")
        clients.append(client)
    for client in clients:
        client.clear()
    return clients
