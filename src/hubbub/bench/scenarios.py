"""The benchmark scenarios as they run inside one worker process.

A worker owns a slice of the clients. It talks to the coordinator
(`bench/runner.py`) over a pipe: "ready" once its clients are connected,
then it waits for "go", runs until the deadline, reports what it sent, learns
the total, drains, and sends its "result". Every loop is bounded by a count
or a deadline.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from hubbub.bench.procstat import own_cpu_seconds
from hubbub.bench.stats import SampleReservoir
from hubbub.bench.wire import (
    BenchConnection,
    message_body,
    open_connection,
    sync_with_server,
)

CHANNEL = "#bench"
SYNC_SECONDS = 60.0
# The longest a worker waits for the coordinator's next word. The coordinator
# gives up on any phase after 600 s (runner.COORDINATION_SECONDS), so this only
# ends a worker whose coordinator has stopped answering without closing the pipe.
COORDINATOR_SECONDS = 900.0


@dataclass(frozen=True)
class Spec:
    """What one worker must do (picklable; sent to the worker process)."""

    scenario: str  # fanout, connect, direct
    host: str
    port: int
    first: int  # index of this worker's first client
    count: int  # clients in this worker
    seconds: float = 10.0
    senders: int = 0  # fanout: clients 0..senders-1 send
    rate: float = 0.0  # fanout: total msg/s over all senders; 0 = flat out
    # fanout at a rate: the senders start together, so that their messages
    # arrive in bursts of `senders` (the schedule before 2026-12-07), instead
    # of one every 1/rate seconds
    bursts: bool = False
    window: int = 100  # flat out: messages in flight per sender
    size: int = 100  # message body bytes
    # Registrations in flight per worker: what `connect` measures, and how many
    # `fanout` and `direct` start at once while they set up.
    in_flight: int = 100
    hold_seconds: float = 0.0  # connect: keep clients this long, then check them
    mode: str = "pingpong"  # direct: pingpong or stream
    drain_seconds: float = 10.0
    connect_timeout_seconds: float = 60.0  # per registration, TCP connect included
    prefix: str = "b"


@dataclass
class WorkerResult:
    """What a worker reports back (plain data)."""

    sent: int = 0
    received: int = 0
    expected: int = 0
    samples_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    last_delivery: float = 0.0
    registered: int = 0
    failures: int = 0
    first_failure: str = ""  # why the first client that failed did
    registration_ms: list[float] = field(default_factory=list)
    alive: int = 0


class SetupError(Exception):
    """Some of a worker's clients did not register, so its scenario cannot start."""


def describe_error(error: BaseException) -> str:
    """`Type: message`, never empty even when the exception has no message."""
    name = type(error).__name__
    text = str(error)
    return f"{name}: {text}" if text else f"{name} (raised without a message)"


def setup_failure_message(
    failures: list[BaseException], clients: int, not_attempted: int
) -> str:
    """Say how many of `clients` failed to register and why, most common first.

    >>> setup_failure_message([TimeoutError("no answer after 60 s")] * 3, 500, 0)
    '3 of 500 clients failed to register: TimeoutError: no answer after 60 s'
    """
    reasons = Counter(describe_error(error) for error in failures)
    if len(reasons) == 1:
        why = next(iter(reasons))
    else:
        why = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common(3))
        if len(reasons) > 3:
            why += f"; and {len(reasons) - 3} other reasons"
    skipped = f" ({not_attempted} not attempted after that)" if not_attempted else ""
    return f"{len(failures)} of {clients} clients failed to register{skipped}: {why}"


class Pipe:
    """The worker's side of the coordinator pipe, awaited without blocking the loop."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def send(self, *message: Any) -> None:
        """Send one message tuple."""
        self.connection.send(message)

    async def receive(self, seconds: float = COORDINATOR_SECONDS) -> tuple[Any, ...]:
        """Wait (without blocking the event loop) for the next message tuple.

        Raises:
            TimeoutError: nothing came within `seconds`.
        """
        if not self.connection.poll():
            loop = asyncio.get_running_loop()
            readable: asyncio.Future[None] = loop.create_future()
            descriptor = self.connection.fileno()

            def wake() -> None:
                if not readable.done():
                    readable.set_result(None)

            loop.add_reader(descriptor, wake)
            try:
                async with asyncio.timeout(seconds):
                    await readable
            except TimeoutError:
                raise TimeoutError(
                    f"the coordinator sent nothing for {seconds:g} s"
                ) from None
            finally:
                loop.remove_reader(descriptor)
                # The loop made the pipe non-blocking; pickled results need it blocking.
                os.set_blocking(descriptor, True)
        message: tuple[Any, ...] = self.connection.recv()
        return message


def nick_for(spec: Spec, index: int) -> str:
    """The nick of client number `index` (unique across workers)."""
    return f"{spec.prefix}{index}"


async def connect_all(
    spec: Spec, reservoir: SampleReservoir, *, sample_all: bool
) -> list[BenchConnection]:
    """Connect and register this worker's clients, `in_flight` at a time.

    The clients come back in index order (`direct` pairs neighbours). Once one
    registration fails no more are started, since the run cannot go ahead;
    those in flight finish (each within the timeout), then every client that
    did register is closed and the failure is raised.

    Raises:
        SetupError: says how many failed, how many were not tried, and why.
    """
    limit = asyncio.Semaphore(spec.in_flight)
    clients: list[BenchConnection | None] = [None] * spec.count
    failures: list[BaseException] = []
    not_attempted = 0

    async def one(slot: int) -> None:
        nonlocal not_attempted
        async with limit:
            if failures:
                not_attempted += 1
                return
            try:
                clients[slot] = await open_connection(
                    spec.host,
                    spec.port,
                    nick_for(spec, spec.first + slot),
                    sample_all=sample_all,
                    reservoir=reservoir,
                    timeout_seconds=spec.connect_timeout_seconds,
                )
            except Exception as error:  # any failure ends the setup, said once
                failures.append(error)

    await asyncio.gather(*(one(slot) for slot in range(spec.count)))
    registered = [client for client in clients if client is not None]
    if failures:
        for client in registered:
            client.close()
        raise SetupError(setup_failure_message(failures, spec.count, not_attempted))
    return registered


async def _report_progress(pipe: Pipe, clients: list[BenchConnection]) -> None:
    while True:
        await asyncio.sleep(1.0)
        pipe.send("progress", sum(c.deliveries for c in clients))


async def _send_flat_out(
    client: BenchConnection, target: str, index: int, deadline: float, spec: Spec
) -> int:
    """Send as fast as the server takes it, at most `window` messages in flight.

    Flow control without echo-message: each batch ends with a PING, and at most
    two batches may wait for their PONG.
    """
    batch = max(1, spec.window // 2)
    pending: deque[asyncio.Future[bytes]] = deque()
    seq = 0
    while time.monotonic() < deadline:
        lines = "".join(
            f"PRIVMSG {target} :{message_body(index, seq + k, spec.size)}\r\n"
            for k in range(batch)
        )
        seq += batch
        token = f"w{index}.{seq}"
        pending.append(client.expect(token.encode()))
        client.send_raw((lines + f"PING :{token}\r\n").encode())
        if len(pending) >= 2:
            await _batch_acknowledged(client, pending.popleft())
    while pending:  # at most two
        await _batch_acknowledged(client, pending.popleft())
    return seq


async def _batch_acknowledged(
    client: BenchConnection, pong: asyncio.Future[bytes]
) -> None:
    try:
        async with asyncio.timeout(SYNC_SECONDS):
            await pong
    except TimeoutError:
        raise TimeoutError(
            f"sender {client.nick} got no PONG for a batch within {SYNC_SECONDS:g} s"
        ) from None


def send_offset(index: int, total_rate: float, *, bursts: bool = False) -> float:
    """Seconds after the start at which sender `index` (of the senders who
    send `total_rate` messages a second between them, each every `senders /
    total_rate` seconds) sends its first message.

    Their schedules are spread over that interval, so that the messages
    arrive evenly, one every `1 / total_rate` seconds; with `bursts`, every
    sender starts at once, and their messages arrive together.
    """
    return 0.0 if bursts else index / total_rate


async def _send_at_rate(
    client: BenchConnection,
    target: str,
    index: int,
    deadline: float,
    spec: Spec,
) -> int:
    """Send this sender's share of `spec.rate` on an absolute schedule."""
    interval = spec.senders / spec.rate
    start = time.monotonic() + send_offset(index, spec.rate, bursts=spec.bursts)
    seq = 0
    while True:
        due = start + seq * interval
        if due >= deadline:
            return seq
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        client.send_raw(
            f"PRIVMSG {target} :{message_body(index, seq, spec.size)}\r\n".encode()
        )
        seq += 1


async def run_fanout(spec: Spec, pipe: Pipe) -> WorkerResult:
    """C clients in one channel; the first S send; everyone counts deliveries."""
    reservoir = SampleReservoir()
    clients = await connect_all(spec, reservoir, sample_all=spec.rate > 0)
    for client in clients:
        client.send_raw(f"JOIN {CHANNEL}\r\n".encode())
    for client in clients:
        await sync_with_server(client, f"joined-{client.nick}", SYNC_SECONDS)
    return await _measure(spec, pipe, clients, reservoir, CHANNEL)


async def _ready_steady(
    pipe: Pipe, counted: list[BenchConnection], reservoir: SampleReservoir
) -> None:
    """Zero the counters, say "ready", wait for "go".

    The counters are zeroed before "ready", not after "go": nobody sends before
    "go", but once it comes another worker may send before this one has read
    it, and its first deliveries belong in the count (`expected` has them).
    """
    for client in counted:
        client.deliveries = 0
        client.last_delivery = 0.0
    reservoir.clear()
    pipe.send("ready")
    await pipe.receive()  # "go"


async def _measure(
    spec: Spec,
    pipe: Pipe,
    clients: list[BenchConnection],
    reservoir: SampleReservoir,
    target: str,
) -> WorkerResult:
    await _ready_steady(pipe, clients, reservoir)
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    progress = asyncio.create_task(_report_progress(pipe, clients))
    try:
        return await _send_and_drain(spec, pipe, clients, reservoir, target, result)
    finally:
        progress.cancel()


async def _send_and_drain(
    spec: Spec,
    pipe: Pipe,
    clients: list[BenchConnection],
    reservoir: SampleReservoir,
    target: str,
    result: WorkerResult,
) -> WorkerResult:
    deadline = result.started + spec.seconds
    senders = [
        (client, spec.first + i)
        for i, client in enumerate(clients)
        if spec.first + i < spec.senders
    ]
    sent_by: dict[int, int] = {}

    async def send(client: BenchConnection, index: int) -> None:
        if spec.rate > 0:
            count = await _send_at_rate(client, target, index, deadline, spec)
        else:
            count = await _send_flat_out(client, target, index, deadline, spec)
        sent_by[index] = count

    await asyncio.gather(*(send(client, index) for client, index in senders))
    result.sent = sum(sent_by.values())
    pipe.send("sent", result.sent)
    _, total = await pipe.receive()
    # Everyone but the sender gets each message (no echo-message).
    expected = {
        id(client): total - sent_by.get(spec.first + i, 0)
        for i, client in enumerate(clients)
    }
    result.expected = sum(expected.values())
    drain_deadline = time.monotonic() + spec.drain_seconds
    while time.monotonic() < drain_deadline:
        if all(client.deliveries >= expected[id(client)] for client in clients):
            break
        await asyncio.sleep(0.01)
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    result.received = sum(client.deliveries for client in clients)
    result.last_delivery = max(
        (client.last_delivery for client in clients), default=0.0
    )
    result.samples_ms = reservoir.samples
    return result


async def run_connect(spec: Spec, pipe: Pipe) -> WorkerResult:
    """Register `count` clients, `in_flight` at a time; optionally hold, then check."""
    pipe.send("ready")
    await pipe.receive()
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    reservoir = SampleReservoir()
    limit = asyncio.Semaphore(spec.in_flight)
    clients: list[BenchConnection] = []

    async def one(index: int) -> None:
        async with limit:
            began = time.monotonic()
            try:
                client = await open_connection(
                    spec.host,
                    spec.port,
                    nick_for(spec, index),
                    sample_all=False,
                    reservoir=reservoir,
                    timeout_seconds=spec.connect_timeout_seconds,
                )
            except (OSError, TimeoutError, ConnectionError) as error:
                result.failures += 1
                result.first_failure = result.first_failure or describe_error(error)
                return
            result.registration_ms.append((time.monotonic() - began) * 1000)
            clients.append(client)

    await asyncio.gather(*(one(spec.first + i) for i in range(spec.count)))
    result.registered = len(clients)
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    pipe.send("registered", result.registered)
    await pipe.receive()  # the coordinator has read the server's memory
    if spec.hold_seconds > 0:
        await asyncio.sleep(spec.hold_seconds)  # clients answer server PINGs meanwhile
    result.alive = await _count_alive(clients)
    for client in clients:
        client.close()
    return result


async def _count_alive(clients: list[BenchConnection]) -> int:
    async def alive(client: BenchConnection) -> bool:
        try:
            await sync_with_server(client, f"alive-{client.nick}", SYNC_SECONDS)
        except (TimeoutError, ConnectionError):
            return False
        return True

    return sum(await asyncio.gather(*(alive(client) for client in clients)))


async def run_direct(spec: Spec, pipe: Pipe) -> WorkerResult:
    """Pairs of clients: ping-pong round trips, or one-way streaming."""
    reservoir = SampleReservoir()
    clients = await connect_all(spec, reservoir, sample_all=True)
    pairs = [(clients[i], clients[i + 1]) for i in range(0, len(clients) - 1, 2)]
    if spec.mode == "stream":
        stream_spec = Spec(**{**spec.__dict__, "senders": spec.first + len(clients)})
        # Each pair's first client streams to the second.
        return await _measure_stream(stream_spec, pipe, pairs, reservoir)
    return await _measure_pingpong(spec, pipe, pairs, reservoir)


async def _measure_pingpong(
    spec: Spec,
    pipe: Pipe,
    pairs: list[tuple[BenchConnection, BenchConnection]],
    reservoir: SampleReservoir,
) -> WorkerResult:
    await _ready_steady(pipe, [], reservoir)
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    deadline = result.started + spec.seconds
    rounds = [0]
    finished: list[asyncio.Future[None]] = []
    loop = asyncio.get_running_loop()
    for a, b in pairs:
        done: asyncio.Future[None] = loop.create_future()
        finished.append(done)
        _wire_pair(a, b, spec, deadline, rounds, done)
    limit = spec.seconds + SYNC_SECONDS
    try:
        async with asyncio.timeout(limit):
            await asyncio.gather(*finished)
    except TimeoutError:
        stalled = sum(not done.done() for done in finished)
        raise TimeoutError(
            f"{stalled} of {len(pairs)} ping-pong pairs stalled (a message lost?) "
            f"and were not done {limit:g} s after the start"
        ) from None
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    result.sent = result.received = result.expected = rounds[0] * 2
    result.samples_ms = reservoir.samples
    pipe.send("sent", result.sent)
    await pipe.receive()
    return result


def _wire_pair(
    a: BenchConnection,
    b: BenchConnection,
    spec: Spec,
    deadline: float,
    rounds: list[int],
    done: asyncio.Future[None],
) -> None:
    """a sends b a "ping", b sends it back; a's reservoir gets the round trip."""
    b.reservoir = None  # one-way times are not what ping-pong measures
    seq = [0]

    def send_ping() -> None:
        body = message_body(0, seq[0], spec.size)
        a.send_raw(f"PRIVMSG {b.nick} :{body}\r\n".encode())

    def on_b(line: bytes) -> None:
        body = line[line.find(b" :", line.find(b" PRIVMSG ")) + 2 :].rstrip(b"\r")
        b.send_raw(b"PRIVMSG " + a.nick.encode() + b" :" + body + b"\r\n")

    def on_a(line: bytes) -> None:
        rounds[0] += 1
        seq[0] += 1
        if time.monotonic() < deadline:
            send_ping()
        elif not done.done():
            done.set_result(None)

    b.on_privmsg = on_b
    a.on_privmsg = on_a
    send_ping()


async def _measure_stream(
    spec: Spec,
    pipe: Pipe,
    pairs: list[tuple[BenchConnection, BenchConnection]],
    reservoir: SampleReservoir,
) -> WorkerResult:
    await _ready_steady(pipe, [b for _, b in pairs], reservoir)
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    deadline = result.started + spec.seconds
    counts = await asyncio.gather(
        *(
            _send_flat_out(a, b.nick, i, deadline, spec)
            for i, (a, b) in enumerate(pairs)
        )
    )
    result.sent = result.expected = sum(counts)
    pipe.send("sent", result.sent)
    await pipe.receive()
    drain_deadline = time.monotonic() + spec.drain_seconds
    while time.monotonic() < drain_deadline:
        if all(
            b.deliveries >= count for (_, b), count in zip(pairs, counts, strict=True)
        ):
            break
        await asyncio.sleep(0.01)
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    result.received = sum(b.deliveries for _, b in pairs)
    result.samples_ms = reservoir.samples
    return result


SCENARIOS: dict[str, Callable[[Spec, Pipe], Coroutine[Any, Any, WorkerResult]]] = {
    "fanout": run_fanout,
    "connect": run_connect,
    "direct": run_direct,
}
