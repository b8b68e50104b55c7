"""The benchmark scenarios as they run inside one worker process.

A worker owns a slice of the clients. It talks to the coordinator
(`bench/runner.py`) over a pipe: "ready" once its clients are connected
(and have joined, for fanout), then it waits for "go", runs until the
deadline, reports what it sent, learns the total, drains, and sends its
"result". At any point after "go" the coordinator may say "stop" (the run
was interrupted): the worker then cancels what it was doing and sends its
"result" at once, with what it had counted so far. Every loop is bounded by
a count or a deadline, and so is the setup as a whole (`setup_seconds`).
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
# gives up on any phase 600 s after its planned end (runner.COORDINATION_SECONDS),
# so this only ends a worker whose coordinator has stopped answering without
# closing the pipe.
COORDINATOR_SECONDS = 900.0
# Beyond the setup's own limit: how long the coordinator waits for the workers
# to be ready, and a worker for "go" (the others may still be setting up).
SETUP_SLACK_SECONDS = 60.0


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
    # After `seconds` of sending: the longest the senders wait for the server to
    # acknowledge what they sent and the receivers for their deliveries. What is
    # still outstanding then is reported (the server fell behind), not awaited.
    drain_seconds: float = 10.0
    connect_timeout_seconds: float = 60.0  # per registration, TCP connect included
    # fanout and direct: the longest the whole setup (registering every client,
    # then joining the channel) may take; 0: default_setup_seconds
    setup_timeout_seconds: float = 0.0
    prefix: str = "b"
    password: str = ""  # sent as PASS before NICK and USER when set
    run_id: str = ""  # marks this run's messages; the coordinator sets one


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
    foreign: int = 0  # PRIVMSGs received that this run did not send
    disconnected: int = 0  # clients the server closed during the measurement
    first_disconnect: str = ""  # why the first of them was closed
    unacknowledged: int = 0  # sent, but the server had not read them by the end
    in_doubt: int = 0  # written by senders the server closed, never acknowledged
    drain_ran_out: bool = False  # deliveries were still missing at the drain limit
    stalled_pairs: int = 0  # direct pingpong: pairs whose message never came back
    sending_seconds: float = 0.0  # from "go" until the senders stopped
    sending_cpu_seconds: float = 0.0  # this worker's CPU time meanwhile


class SetupError(Exception):
    """Some of a worker's clients did not register (or join), so its scenario
    cannot start."""


def default_setup_seconds(clients: int, connect_timeout_seconds: float) -> float:
    """How long the setup of `clients` may take, unless told (--setup-timeout):
    one registration's timeout, a minute more, and 20 ms a client.

    >>> default_setup_seconds(1000, 60.0)
    140.0
    """
    return connect_timeout_seconds + 60.0 + clients * 0.02


def setup_seconds(spec: Spec) -> float:
    """The longest this setup may take (the coordinator sets one for all workers)."""
    return spec.setup_timeout_seconds or default_setup_seconds(
        spec.count, spec.connect_timeout_seconds
    )


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


def join_failure_message(
    failed: list[tuple[str, str]], clients: int, channel: str
) -> str:
    """Say which of `clients` did not join `channel` and why, most common first.

    `failed` holds (nick, reason) pairs; each reason names its first clients.

    >>> join_failure_message([("b1", "no answer"), ("b3", "no answer")], 4, "#b")
    '2 of 4 clients did not join #b: no answer (b1, b3)'
    """
    by_reason: dict[str, list[str]] = {}
    for nick, reason in failed:
        by_reason.setdefault(reason, []).append(nick)
    ranked = sorted(by_reason.items(), key=lambda item: -len(item[1]))

    def named(nicks: list[str]) -> str:
        more = f" and {len(nicks) - 5} more" if len(nicks) > 5 else ""
        return ", ".join(nicks[:5]) + more

    if len(ranked) == 1:
        reason, nicks = ranked[0]
        why = f"{reason} ({named(nicks)})"
    else:
        why = "; ".join(
            f"{len(nicks)} x {reason} ({named(nicks)})" for reason, nicks in ranked[:3]
        )
        if len(ranked) > 3:
            why += f"; and {len(ranked) - 3} other reasons"
    return f"{len(failed)} of {clients} clients did not join {channel}: {why}"


class Pipe:
    """The worker's side of the coordinator pipe, awaited without blocking the loop.

    From the first `receive` or `until_stopped` on, a reader in the event loop
    takes each message as it arrives (costing nothing while none comes):
    "stop" (the run was interrupted) is noted at once and cuts short the work
    `until_stopped` runs; the other messages wait, in order, for `receive`.
    The coordinator's messages are small, sent whole: reading one once the
    pipe is readable does not wait.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._inbox: deque[tuple[Any, ...]] = deque()
        self._arrived: asyncio.Future[None] | None = None  # receive() waits on it
        # Done once "stop" came (or the pipe closed); made by the first listen.
        self._stop: asyncio.Future[None] | None = None
        self._closed = False  # the coordinator closed its end

    def send(self, *message: Any) -> None:
        """Send one message tuple."""
        self.connection.send(message)

    async def receive(self, seconds: float = COORDINATOR_SECONDS) -> tuple[Any, ...]:
        """Wait (without blocking the event loop) for the next message tuple.

        Raises:
            TimeoutError: nothing came within `seconds`.
            EOFError: the coordinator closed the pipe.
        """
        self._listen()
        if not self._inbox and not self._closed:
            self._arrived = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(seconds):
                    await self._arrived  # something to receive, or the end
            except TimeoutError:
                raise TimeoutError(
                    f"the coordinator sent nothing for {seconds:g} s"
                ) from None
            finally:
                self._arrived = None
        if not self._inbox:
            raise EOFError("the coordinator closed the pipe")
        return self._inbox.popleft()

    async def until_stopped(self, work: Coroutine[Any, Any, Any]) -> bool:
        """Run `work` to its end, or until the coordinator says "stop".

        Returns True if it was stopped: `work` was cancelled, and what it had
        counted is where it counted it. Work that raises raises here.
        """
        stop = self._listen()
        if stop.done():
            work.close()  # never started: nothing to cancel
            return True
        task = asyncio.ensure_future(work)
        either: list[asyncio.Future[Any]] = [task, stop]
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait([task])
        if task.cancelled():
            return True
        task.result()  # raises what the work raised
        return False

    def _listen(self) -> asyncio.Future[None]:
        if self._stop is None:
            loop = asyncio.get_running_loop()
            self._stop = loop.create_future()
            descriptor = self.connection.fileno()
            loop.add_reader(descriptor, self._read)
            # The loop made the pipe non-blocking. Sending a pickled result,
            # and reading a message whole, need it blocking; being polled does not.
            os.set_blocking(descriptor, True)
        return self._stop

    def _read(self) -> None:
        for _ in range(16):  # what is there now; the loop calls again for more
            try:
                if not self.connection.poll():
                    break
                message = self.connection.recv()
            except (EOFError, OSError):
                # The coordinator is gone: nothing will come, and nobody is
                # left to measure for.
                self._closed = True
                asyncio.get_running_loop().remove_reader(self.connection.fileno())
                message = ("stop",)
            if message[0] == "stop":
                if self._stop is not None and not self._stop.done():
                    self._stop.set_result(None)
            else:
                self._inbox.append(message)
            if self._closed:
                break
        arrived = self._arrived
        if (self._inbox or self._closed) and arrived is not None and not arrived.done():
            arrived.set_result(None)


def nick_for(spec: Spec, index: int) -> str:
    """The nick of client number `index` (unique across workers)."""
    return f"{spec.prefix}{index}"


async def connect_all(
    spec: Spec,
    reservoir: SampleReservoir,
    *,
    sample_all: bool,
    pipe: Pipe | None = None,
    deadline: float | None = None,
) -> list[BenchConnection]:
    """Connect and register this worker's clients, `in_flight` at a time.

    The clients come back in index order (`direct` pairs neighbours). Once one
    registration fails no more are started, since the run cannot go ahead;
    those in flight finish (each within the timeout), then every client that
    did register is closed and the failure is raised. None is started after
    the setup's `deadline` (monotonic; by default `setup_seconds` from now),
    and none in flight waits past it. With a `pipe`, how many have registered
    is reported every second.

    Raises:
        SetupError: says how many failed, how many were not tried, and why.
    """
    if deadline is None:
        deadline = time.monotonic() + setup_seconds(spec)
    setup_name = f"the setup's {setup_seconds(spec):g} s (--setup-timeout)"
    limit = asyncio.Semaphore(spec.in_flight)
    clients: list[BenchConnection | None] = [None] * spec.count
    failures: list[BaseException] = []
    not_attempted = 0

    async def one(slot: int) -> None:
        nonlocal not_attempted
        async with limit:
            if failures or time.monotonic() >= deadline:
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
                    run_id=spec.run_id,
                    password=spec.password,
                    deadline=(deadline, setup_name),
                )
            except Exception as error:  # any failure ends the setup, said once
                failures.append(error)

    progress = (
        asyncio.create_task(
            _report_progress(pipe, lambda: sum(c is not None for c in clients))
        )
        if pipe is not None
        else None
    )
    try:
        await asyncio.gather(*(one(slot) for slot in range(spec.count)))
    finally:
        if progress is not None:
            progress.cancel()
    registered = [client for client in clients if client is not None]
    if failures or not_attempted:
        for client in registered:
            client.close()
        if failures:
            why = setup_failure_message(failures, spec.count, not_attempted)
        else:
            why = (
                f"{setup_name} ran out with {len(registered)} of {spec.count} "
                f"clients registered ({not_attempted} not attempted)"
            )
        raise SetupError(why)
    return registered


async def join_all(
    spec: Spec, clients: list[BenchConnection], channel: str, deadline: float
) -> None:
    """Every client joins `channel` at once; each answer is awaited until the
    setup's `deadline`, no longer (a server may throttle JOINs, or drop them).

    Raises:
        SetupError: names the clients that did not join and why: the server's
            refusal quoted, the connection closed, or no answer in time. Every
            client is closed first.
    """
    answers = [client.join(channel) for client in clients]
    if answers:
        await asyncio.wait(answers, timeout=max(0.0, deadline - time.monotonic()))
    silent = (
        f"no answer to JOIN when the setup's {setup_seconds(spec):g} s "
        "(--setup-timeout) ran out"
    )
    failed: list[tuple[str, str]] = []
    for client, answer in zip(clients, answers, strict=True):
        if not answer.done():
            answer.cancel()
            failed.append((client.nick, silent))
        elif (error := answer.exception()) is not None:
            failed.append((client.nick, str(error)))
    if failed:
        for client in clients:
            client.close()
        raise SetupError(join_failure_message(failed, len(clients), channel))


async def _report_progress(pipe: Pipe, count: Callable[[], int]) -> None:
    while True:  # until cancelled, at the end of the phase it reports on
        await asyncio.sleep(1.0)
        pipe.send("progress", count())


@dataclass
class Sent:
    """What one sender sent."""

    count: int = 0  # messages written while the connection was open
    unacknowledged: int = 0  # of those, the server had not read by the end
    # Written before the server closed the connection, in batches it never
    # acknowledged: whether it read them is unknown, so they are not counted
    # in `count` (nobody is expected to receive them).
    in_doubt: int = 0


async def _send_flat_out(
    client: BenchConnection,
    target: str,
    index: int,
    deadline: float,
    spec: Spec,
    sent: Sent,
) -> Sent:
    """Send as fast as the server takes it, at most `window` messages in flight.

    Flow control without echo-message: each batch ends with a PING, and at most
    two batches may wait for their PONG. Sending stops at `deadline`, or when
    the connection closes; then the PONGs still due are awaited until
    `deadline + spec.drain_seconds`, and the batches still unacknowledged then
    are reported: the server fell behind. Counted in `sent` as it goes, so a
    run that is stopped keeps the count.
    """
    batch = max(1, spec.window // 2)
    run_id, size = spec.run_id, spec.size
    pending: deque[asyncio.Future[bytes]] = deque()
    try:
        while time.monotonic() < deadline:
            first = sent.count
            lines = "".join(
                f"PRIVMSG {target} :{message_body(run_id, index, first + k, size)}\r\n"
                for k in range(batch)
            )
            token = f"w{index}.{sent.count + batch}"
            pong = client.expect(token.encode())
            if not client.send_raw((lines + f"PING :{token}\r\n").encode()):
                pong.cancel()
                break  # the connection is gone: these were not sent
            sent.count += batch
            pending.append(pong)
            if len(pending) >= 2:
                if not await _acknowledged(pending[0], deadline):
                    break  # the deadline came first, or the connection went
                pending.popleft()
        drain_until = deadline + spec.drain_seconds
        while pending and await _acknowledged(pending[0], drain_until):
            pending.popleft()
        if client.close_reason is None:
            sent.unacknowledged = len(pending) * batch
        else:
            sent.in_doubt = len(pending) * batch
            sent.count -= sent.in_doubt
    finally:  # also when the run is stopped
        for pong in pending:
            pong.cancel()
    return sent


async def _acknowledged(pong: asyncio.Future[bytes], until: float) -> bool:
    """Wait until `until` for a batch's PONG: True if it came.

    False if the time ran out (the PONG may still come: wait again later) or
    the connection closed.
    """
    if not pong.done():
        try:
            async with asyncio.timeout(max(0.0, until - time.monotonic())):
                await asyncio.shield(pong)
        except TimeoutError:
            return False
        except ConnectionError:
            return False
    return not pong.cancelled() and pong.exception() is None


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
    sent: Sent,
) -> Sent:
    """Send this sender's share of `spec.rate` on an absolute schedule.

    Stops early when the connection closes: what it could not send is neither
    sent nor expected. Counted in `sent` as it goes.
    """
    interval = spec.senders / spec.rate
    start = time.monotonic() + send_offset(index, spec.rate, bursts=spec.bursts)
    while True:
        due = start + sent.count * interval
        if due >= deadline:
            return sent
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        body = message_body(spec.run_id, index, sent.count, spec.size)
        if not client.send_raw(f"PRIVMSG {target} :{body}\r\n".encode()):
            return sent
        sent.count += 1


async def run_fanout(spec: Spec, pipe: Pipe) -> WorkerResult:
    """C clients in one channel; the first S send; everyone counts deliveries."""
    reservoir = SampleReservoir()
    deadline = time.monotonic() + setup_seconds(spec)
    clients = await connect_all(
        spec, reservoir, sample_all=spec.rate > 0, pipe=pipe, deadline=deadline
    )
    await join_all(spec, clients, CHANNEL, deadline)
    return await _measure(spec, pipe, clients, reservoir, CHANNEL)


async def _ready_steady(
    spec: Spec,
    pipe: Pipe,
    counted: list[BenchConnection],
    reservoir: SampleReservoir,
) -> None:
    """Zero the counters, say "ready", wait for "go".

    The counters are zeroed before "ready", not after "go": nobody sends before
    "go", but once it comes another worker may send before this one has read
    it, and its first deliveries belong in the count (`expected` has them).
    """
    for client in counted:
        client.deliveries = 0
        client.foreign = 0
        client.last_delivery = 0.0
    reservoir.clear()
    pipe.send("ready")
    await pipe.receive(setup_seconds(spec) + SETUP_SLACK_SECONDS)  # "go"


async def _measure(
    spec: Spec,
    pipe: Pipe,
    clients: list[BenchConnection],
    reservoir: SampleReservoir,
    target: str,
) -> WorkerResult:
    await _ready_steady(spec, pipe, clients, reservoir)
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    progress = asyncio.create_task(
        _report_progress(pipe, lambda: sum(c.deliveries for c in clients))
    )
    try:
        return await _send_and_drain(spec, pipe, clients, reservoir, target, result)
    finally:
        progress.cancel()


def _sending_over(result: WorkerResult) -> None:
    """Note how long the senders sent and the CPU this worker used meanwhile."""
    result.sending_seconds = time.monotonic() - result.started
    result.sending_cpu_seconds = result.cpu_seconds + own_cpu_seconds()


def _sent_over(result: WorkerResult, sent: list[Sent]) -> None:
    """Note what the senders sent, once they have stopped."""
    result.sent = sum(s.count for s in sent)
    result.unacknowledged = sum(s.unacknowledged for s in sent)
    result.in_doubt = sum(s.in_doubt for s in sent)


def _stopped_while_sending(result: WorkerResult, sent: list[Sent]) -> None:
    """The run was stopped: what was sent until then, if the senders had not
    finished. (What the measurement needed after that, the drain, is not
    done: the coordinator reports no loss for a stopped run.)"""
    if not result.sending_seconds:
        _sending_over(result)
        _sent_over(result, sent)


async def _drain(receivers: list[tuple[BenchConnection, int]], until: float) -> bool:
    """Wait until every receiver still connected has its expected deliveries.

    Returns False if `until` came first (then some are late, or lost).
    """
    while True:
        if all(
            client.deliveries >= expected or client.close_reason is not None
            for client, expected in receivers
        ):
            return True
        if time.monotonic() >= until:
            return False
        await asyncio.sleep(0.01)


def _disconnections(result: WorkerResult, clients: list[BenchConnection]) -> None:
    """Count the clients the server closed, and keep the first one's reason."""
    gone = [client for client in clients if client.disconnected_by_server]
    result.disconnected = len(gone)
    result.first_disconnect = next((f"{c.nick}: {c.close_reason}" for c in gone), "")


def _expected_of(client: BenchConnection, expected: int) -> int:
    # A client the server disconnected expects nothing after that: what it
    # missed is reported as a disconnection, not as lost messages.
    return (
        min(expected, client.deliveries) if client.disconnected_by_server else expected
    )


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
    sent_by = {index: Sent() for _, index in senders}
    expected: list[tuple[BenchConnection, int]] = []

    async def send(client: BenchConnection, index: int) -> None:
        if spec.rate > 0:
            await _send_at_rate(client, target, index, deadline, spec, sent_by[index])
        else:
            await _send_flat_out(client, target, index, deadline, spec, sent_by[index])

    async def send_then_drain() -> None:
        await asyncio.gather(*(send(client, index) for client, index in senders))
        if senders:
            _sending_over(result)
        _sent_over(result, list(sent_by.values()))
        pipe.send("sent", result.sent)
        _, total = await pipe.receive()
        if not senders:
            # Only receivers here: their sending time is the others', which
            # ends with the total (over a time of its own, next to nothing,
            # one tick of the CPU clock made this worker look 10 times busy).
            _sending_over(result)
        # Everyone but the sender gets each message (no echo-message).
        expected.extend(
            (client, total - sent_by.get(spec.first + i, Sent()).count)
            for i, client in enumerate(clients)
        )
        result.drain_ran_out = not await _drain(expected, deadline + spec.drain_seconds)

    if await pipe.until_stopped(send_then_drain()):
        _stopped_while_sending(result, list(sent_by.values()))
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    result.expected = sum(_expected_of(client, n) for client, n in expected)
    result.received = sum(client.deliveries for client in clients)
    result.foreign = sum(client.foreign for client in clients)
    result.last_delivery = max(
        (client.last_delivery for client in clients), default=0.0
    )
    result.samples_ms = reservoir.samples
    _disconnections(result, clients)
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
                    run_id=spec.run_id,
                    password=spec.password,
                )
            except (OSError, TimeoutError, ConnectionError) as error:
                result.failures += 1
                result.first_failure = result.first_failure or describe_error(error)
                return
            result.registration_ms.append((time.monotonic() - began) * 1000)
            clients.append(client)

    async def register_all() -> None:
        await asyncio.gather(*(one(spec.first + i) for i in range(spec.count)))

    async def hold_then_check() -> None:
        await pipe.receive()  # the coordinator has read the server's memory
        if spec.hold_seconds > 0:
            await asyncio.sleep(spec.hold_seconds)  # clients answer PINGs meanwhile
        result.alive = await _count_alive(clients)

    progress = asyncio.create_task(_report_progress(pipe, lambda: len(clients)))
    try:
        # Stopped, the registrations in flight are cancelled (and closed).
        stopped = await pipe.until_stopped(register_all())
    finally:
        progress.cancel()
    result.registered = len(clients)
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    if not stopped:
        pipe.send("registered", result.registered)
        await pipe.until_stopped(hold_then_check())
    _disconnections(result, clients)
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
    clients = await connect_all(spec, reservoir, sample_all=True, pipe=pipe)
    pairs = [(clients[i], clients[i + 1]) for i in range(0, len(clients) - 1, 2)]
    if spec.mode == "stream":
        stream_spec = Spec(**{**spec.__dict__, "senders": spec.first + len(clients)})
        # Each pair's first client streams to the second.
        return await _measure_stream(stream_spec, pipe, pairs, reservoir)
    return await _measure_pingpong(spec, pipe, pairs, reservoir)


@dataclass
class _Exchange:
    """Ping-pong messages sent and received, over all of a worker's pairs."""

    sent: int = 0
    received: int = 0


async def _measure_pingpong(
    spec: Spec,
    pipe: Pipe,
    pairs: list[tuple[BenchConnection, BenchConnection]],
    reservoir: SampleReservoir,
) -> WorkerResult:
    await _ready_steady(spec, pipe, [], reservoir)
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    deadline = result.started + spec.seconds
    exchange = _Exchange()
    finished: list[asyncio.Future[None]] = []
    loop = asyncio.get_running_loop()
    for a, b in pairs:
        done: asyncio.Future[None] = loop.create_future()
        finished.append(done)
        _wire_pair(a, b, spec, deadline, exchange, done)
    progress = asyncio.create_task(_report_progress(pipe, lambda: exchange.received))
    try:
        # A pair whose message was lost (or whose client the server closed)
        # never finishes: the wait ends `drain_seconds` after the deadline.
        stopped = await pipe.until_stopped(
            asyncio.wait(finished, timeout=spec.seconds + spec.drain_seconds)
        )
    finally:
        progress.cancel()
    result.stalled_pairs = sum(not done.done() for done in finished)
    for done in finished:
        done.cancel()
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    result.sending_seconds = result.finished - result.started
    result.sending_cpu_seconds = result.cpu_seconds
    result.sent = result.expected = exchange.sent
    result.received = exchange.received
    result.foreign = sum(a.foreign + b.foreign for a, b in pairs)
    result.samples_ms = reservoir.samples
    _disconnections(result, [client for pair in pairs for client in pair])
    if not stopped:
        pipe.send("sent", result.sent)
        await pipe.until_stopped(pipe.receive())  # the total (not needed here)
    return result


def _wire_pair(
    a: BenchConnection,
    b: BenchConnection,
    spec: Spec,
    deadline: float,
    exchange: _Exchange,
    done: asyncio.Future[None],
) -> None:
    """a sends b a "ping", b sends it back; a's reservoir gets the round trip."""
    b.reservoir = None  # one-way times are not what ping-pong measures
    seq = [0]

    def send_ping() -> None:
        body = message_body(spec.run_id, 0, seq[0], spec.size)
        if a.send_raw(f"PRIVMSG {b.nick} :{body}\r\n".encode()):
            exchange.sent += 1

    def on_b(line: bytes) -> None:
        exchange.received += 1
        body = line[line.find(b" :", line.find(b" PRIVMSG ")) + 2 :].rstrip(b"\r")
        if b.send_raw(b"PRIVMSG " + a.nick.encode() + b" :" + body + b"\r\n"):
            exchange.sent += 1

    def on_a(line: bytes) -> None:
        exchange.received += 1
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
    receivers = [b for _, b in pairs]
    await _ready_steady(spec, pipe, receivers, reservoir)
    result = WorkerResult(started=time.monotonic(), cpu_seconds=-own_cpu_seconds())
    deadline = result.started + spec.seconds
    sent = [Sent() for _ in pairs]
    expected: list[tuple[BenchConnection, int]] = []

    async def send_then_drain() -> None:
        await asyncio.gather(
            *(
                _send_flat_out(a, b.nick, i, deadline, spec, sent[i])
                for i, (a, b) in enumerate(pairs)
            )
        )
        _sending_over(result)
        _sent_over(result, sent)
        pipe.send("sent", result.sent)
        await pipe.receive()
        expected.extend((b, s.count) for b, s in zip(receivers, sent, strict=True))
        result.drain_ran_out = not await _drain(expected, deadline + spec.drain_seconds)

    progress = asyncio.create_task(
        _report_progress(pipe, lambda: sum(b.deliveries for b in receivers))
    )
    try:
        if await pipe.until_stopped(send_then_drain()):
            _stopped_while_sending(result, sent)
    finally:
        progress.cancel()
    result.finished = time.monotonic()
    result.cpu_seconds += own_cpu_seconds()
    result.expected = sum(_expected_of(b, n) for b, n in expected)
    result.received = sum(b.deliveries for b in receivers)
    result.foreign = sum(b.foreign for b in receivers)
    result.samples_ms = reservoir.samples
    _disconnections(result, [client for pair in pairs for client in pair])
    return result


SCENARIOS: dict[str, Callable[[Spec, Pipe], Coroutine[Any, Any, WorkerResult]]] = {
    "fanout": run_fanout,
    "connect": run_connect,
    "direct": run_direct,
}
