"""Flood control's accounting in the core (`Engine.count_line`).

The core only counts: it tells the transport how long to wait before a
client's next line (`User.input_pause`). The transports' waiting is tested
over real sockets in tests/transport/test_flood.py.
"""

from __future__ import annotations

import pytest

from hubbub.config import Limits
from hubbub.core.engine import Engine
from tests.fakes import FakeClient, FrozenClock, connect, make_engine


def _engine(clock: FrozenClock, burst: int = 5, rate: float = 2.0) -> Engine:
    return make_engine(
        clock, limits=Limits(flood_burst_lines=burst, flood_lines_per_second=rate)
    )


async def _client(clock: FrozenClock, burst: int = 5, rate: float = 2.0) -> FakeClient:
    engine = _engine(clock, burst, rate)
    client = await connect(engine, "alice")  # NICK and USER: two lines
    clock.advance(60)  # a full allowance again
    return client


async def test_a_burst_passes_then_each_line_waits_its_share() -> None:
    clock = FrozenClock()
    alice = await _client(clock)
    pauses = []
    for _ in range(8):
        await alice.send("PING :x")
        pauses.append(alice.user.input_pause)
    assert pauses == [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.5]
    # The transport waited as told: one line per 1/rate seconds from then on.
    clock.advance(1.5)
    await alice.send("PING :x")
    assert alice.user.input_pause == pytest.approx(0.5)
    clock.advance(0.5)
    await alice.send("PING :x")
    assert alice.user.input_pause == pytest.approx(0.5)


async def test_the_allowance_grows_back_to_the_burst_and_no_further() -> None:
    clock = FrozenClock()
    alice = await _client(clock)
    for _ in range(5):
        await alice.send("PING :x")
    clock.advance(1.0)  # two lines' worth at 2 per second
    await alice.send("PING :x")
    await alice.send("PING :x")
    assert alice.user.input_pause == 0.0
    await alice.send("PING :x")
    assert alice.user.input_pause == 0.5
    clock.advance(3600)
    for _ in range(5):
        await alice.send("PING :x")
        assert alice.user.input_pause == 0.0
    await alice.send("PING :x")
    assert alice.user.input_pause == 0.5


async def test_every_line_is_still_handled_none_dropped() -> None:
    clock = FrozenClock()
    engine = _engine(clock)
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    for number in range(20):
        await alice.send(f"PRIVMSG bob :{number}")
    assert [line.rsplit(":", 1)[1] for line in bob.received()] == [
        str(n) for n in range(20)
    ]
    assert alice.user.input_pause > 0.0


async def test_operators_are_not_held_back() -> None:
    clock = FrozenClock()
    alice = await _client(clock)
    await alice.send("OPER oper operpass")
    assert any(" 381 " in line for line in alice.received())
    for _ in range(20):
        await alice.send("PING :x")
        assert alice.user.input_pause == 0.0


async def test_a_rate_of_zero_turns_it_off() -> None:
    clock = FrozenClock()
    alice = await _client(clock, rate=0.0)
    for _ in range(100):
        await alice.send("PING :x")
    assert alice.user.input_pause == 0.0


async def test_registration_counts_from_a_full_burst() -> None:
    clock = FrozenClock()
    engine = _engine(clock, burst=3)
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    await client.send("NICK carol")
    await client.send("USER carol 0 * :Carol")
    assert client.user.input_pause == 0.0
    await client.send("CAP END")
    assert client.user.input_pause == 0.5


async def test_the_clock_stepping_back_costs_no_waiting() -> None:
    clock = FrozenClock()
    alice = await _client(clock)
    await alice.send("PING :x")
    clock.advance(-3600)  # the wall clock set back an hour
    await alice.send("PING :x")
    assert alice.user.input_pause == 0.0
    for _ in range(3):
        await alice.send("PING :x")
    await alice.send("PING :x")
    assert alice.user.input_pause == 0.5  # the burst spent: one line's wait
