"""What a worker does with its clients (bench/scenarios.py)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

from hubbub.bench.scenarios import (
    Pipe,
    SetupError,
    Spec,
    _measure,
    connect_all,
    describe_error,
    join_all,
    join_failure_message,
    send_offset,
    setup_failure_message,
)
from hubbub.bench.stats import SampleReservoir
from hubbub.bench.wire import BenchConnection, message_body
from tests.bench.fake_server import fake_server


def _spec(port: int, count: int, **fields: Any) -> Spec:
    return Spec("fanout", "127.0.0.1", port, 0, count, **fields)


async def test_connect_all_returns_the_clients_in_index_order() -> None:
    async with fake_server() as server:
        clients = await connect_all(
            _spec(server.port, 5, in_flight=5), SampleReservoir(), sample_all=False
        )
        assert [client.nick for client in clients] == [f"b{i}" for i in range(5)]
        for client in clients:
            client.close()


async def test_a_failed_setup_says_how_many_and_why_and_closes_everyone() -> None:
    async with fake_server(silent=frozenset({"b1"})) as server:
        spec = _spec(server.port, 3, in_flight=3, connect_timeout_seconds=0.3)
        with pytest.raises(SetupError) as raised:
            await connect_all(spec, SampleReservoir(), sample_all=False)
        # The two that registered are closed, and so is the one that did not.
        await server.wait_closed(3)
    assert str(raised.value) == (
        "1 of 3 clients failed to register: "
        "TimeoutError: no answer after 0.3 s waiting for the welcome (001)"
    )


async def test_no_registration_starts_after_one_has_failed() -> None:
    async with fake_server(hang_up=frozenset({"b0"})) as server:
        spec = _spec(server.port, 4, in_flight=1)
        with pytest.raises(SetupError) as raised:
            await connect_all(spec, SampleReservoir(), sample_all=False)
    assert server.nicks == ["b0"]
    assert str(raised.value).startswith(
        "1 of 4 clients failed to register (3 not attempted after that): "
        "ConnectionError: connection closed"
    )


def test_setup_failure_message_counts_each_reason() -> None:
    failures: list[BaseException] = [
        TimeoutError("no answer after 60 s waiting for the welcome (001)"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError("no answer after 60 s waiting for the welcome (001)"),
    ]
    assert setup_failure_message(failures, 500, 0) == (
        "3 of 500 clients failed to register: "
        "2 x TimeoutError: no answer after 60 s waiting for the welcome (001); "
        "1 x ConnectionRefusedError: [Errno 111] Connect call failed"
    )


def test_an_exception_without_a_message_is_still_described() -> None:
    assert describe_error(TimeoutError()) == "TimeoutError (raised without a message)"
    assert describe_error(ValueError("bad")) == "ValueError: bad"


class ScriptedPipe(Pipe):
    """A coordinator that answers each receive from a script, running a hook first.

    "stop" comes the real way, through `coordinator` (see `stop`).
    """

    def __init__(self, script: list[tuple[Callable[[], None], tuple[Any, ...]]]):
        self.coordinator, worker = multiprocessing.Pipe()
        super().__init__(worker)
        self.script = script
        self.sent: list[tuple[Any, ...]] = []

    def stop(self) -> None:
        self.coordinator.send(("stop",))

    def send(self, *message: Any) -> None:
        self.sent.append(message)

    async def receive(self, seconds: float = 0.0) -> tuple[Any, ...]:
        hook, message = self.script.pop(0)
        hook()
        return message


RUN = "r0000abcd"


def _delivery(sender: int, run_id: str = RUN) -> bytes:
    body = message_body(run_id, sender, 0, 40)
    return f":b{sender}!u@h PRIVMSG #bench :{body}\r\n".encode()


async def test_deliveries_after_ready_count_even_before_this_worker_reads_go() -> None:
    reservoir = SampleReservoir()
    clients = [_connection(f"b{i}", reservoir) for i in (5, 6)]
    for client in clients:
        client.data_received(_delivery(9))  # left over from before: not counted

    def another_worker_already_sends() -> None:
        for client in clients:
            client.data_received(_delivery(0))

    pipe = ScriptedPipe(
        [(another_worker_already_sends, ("go",)), (lambda: None, ("total", 1))]
    )
    # This worker's clients are 5 and 6 and send nothing; client 0 sent one message.
    spec = Spec(
        "fanout", "h", 1, 5, 2, seconds=0.1, senders=1, drain_seconds=0.3, run_id=RUN
    )
    began = time.monotonic()
    result = await _measure(spec, pipe, clients, reservoir, "#bench")
    assert pipe.sent[0] == ("ready",)
    assert (result.expected, result.received) == (2, 2)
    assert len(result.samples_ms) == 2  # the latency of both counted deliveries
    assert time.monotonic() - began < 0.3  # the drain saw nothing missing


async def test_a_worker_of_receivers_is_busy_for_as_long_as_the_others_send() -> None:
    """Its utilisation is over the senders' time (until the total comes),
    not over the moment its own (no) senders took."""
    reservoir = SampleReservoir()
    clients = [_connection(f"b{i}", reservoir) for i in (5, 6)]

    def the_others_send_for_a_while() -> None:
        time.sleep(0.3)
        for client in clients:
            client.data_received(_delivery(0))

    pipe = ScriptedPipe(
        [(lambda: None, ("go",)), (the_others_send_for_a_while, ("total", 1))]
    )
    spec = Spec(
        "fanout", "h", 1, 5, 2, seconds=0.1, senders=1, drain_seconds=0.3, run_id=RUN
    )
    result = await _measure(spec, pipe, clients, reservoir, "#bench")
    assert result.sending_seconds >= 0.3
    assert result.sending_cpu_seconds <= result.sending_seconds + 0.05


async def test_a_stop_ends_the_drain_at_once_keeping_what_was_counted() -> None:
    reservoir = SampleReservoir()
    clients = [_connection(f"b{i}", reservoir) for i in (5, 6)]

    def one_delivery_each_then_stop() -> None:
        for client in clients:
            client.data_received(_delivery(0))
        pipe.stop()

    # 5 messages were sent; only 1 has arrived: the drain would wait 30 s.
    pipe = ScriptedPipe(
        [(lambda: None, ("go",)), (one_delivery_each_then_stop, ("total", 5))]
    )
    spec = Spec(
        "fanout", "h", 1, 5, 2, seconds=0.1, senders=1, drain_seconds=30, run_id=RUN
    )
    began = time.monotonic()
    result = await _measure(spec, pipe, clients, reservoir, "#bench")
    assert time.monotonic() - began < 5
    assert result.received == 2
    assert result.finished >= result.started > 0
    assert ("sent", 0) in pipe.sent


async def test_a_stop_that_came_first_runs_nothing_more() -> None:
    pipe = ScriptedPipe([])
    pipe.stop()
    ran: list[str] = []

    async def work() -> None:
        ran.append("work")

    assert await pipe.until_stopped(asyncio.sleep(30)) is True  # cut short
    assert await pipe.until_stopped(work()) is True
    assert ran == []


async def test_join_all_waits_for_answers_no_longer_than_the_setup_deadline() -> None:
    async with fake_server(ignore_join=frozenset({"b1"})) as server:
        spec = _spec(server.port, 3, in_flight=3, setup_timeout_seconds=0.5)
        clients = await connect_all(spec, SampleReservoir(), sample_all=False)
        began = time.monotonic()
        with pytest.raises(SetupError) as raised:
            await join_all(spec, clients, "#bench", time.monotonic() + 0.5)
        assert time.monotonic() - began < 3
        await server.wait_closed(3)  # every client, joined or not, is closed
    assert str(raised.value) == (
        "1 of 3 clients did not join #bench: no answer to JOIN when the setup's "
        "0.5 s (--setup-timeout) ran out (b1)"
    )


def test_join_failures_are_grouped_by_reason_with_their_clients() -> None:
    failed = [(f"b{i}", "no answer") for i in range(7)] + [("b9", "refused")]
    assert join_failure_message(failed, 10, "#bench") == (
        "8 of 10 clients did not join #bench: 7 x no answer (b0, b1, b2, b3, b4 "
        "and 2 more); 1 x refused (b9)"
    )


def _connection(nick: str, reservoir: SampleReservoir) -> BenchConnection:
    """A client as it is after registration, fed by hand (no socket)."""
    client = BenchConnection(nick, sample_all=False, reservoir=reservoir, run_id=RUN)
    client.setting_up = False
    return client


async def test_pipe_receive_gives_up_with_a_message() -> None:
    parent, child = multiprocessing.Pipe()
    with pytest.raises(TimeoutError, match=r"the coordinator sent nothing for 0\.05 s"):
        await Pipe(child).receive(0.05)
    parent.send(("go",))
    assert await Pipe(child).receive(1.0) == ("go",)


@pytest.mark.parametrize(("senders", "rate"), [(5, 50.0), (3, 7.0), (1, 10.0)])
def test_senders_at_a_total_rate_send_evenly_not_together(
    senders: int, rate: float
) -> None:
    # Every sender sends every senders/rate seconds from its offset: between
    # them, one message every 1/rate seconds (not `senders` at once).
    interval = senders / rate
    times = sorted(
        send_offset(index, rate) + seq * interval
        for index in range(senders)
        for seq in range(4)
    )
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert gaps == pytest.approx([1 / rate] * (len(times) - 1))


def test_senders_in_bursts_start_together() -> None:
    assert {send_offset(index, 50.0, bursts=True) for index in range(5)} == {0.0}
