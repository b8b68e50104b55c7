"""The load generator's message format and registration (bench/wire.py)."""

from __future__ import annotations

import time

import pytest

from hubbub.bench.wire import (
    BenchConnection,
    body_timestamp_ns,
    message_body,
    open_connection,
    sync_with_server,
)
from tests.bench.fake_server import fake_server


def test_message_body_carries_sender_sequence_and_time() -> None:
    before = time.monotonic_ns()
    body = message_body(7, 42, 100)
    sender, seq, stamp, padding = body.split(" ", 3)
    assert (sender, seq) == ("7", "42")
    assert before <= int(stamp) <= time.monotonic_ns()
    assert len(body) == 100
    assert set(padding) == {"x"}


def test_timestamp_is_read_back_from_a_relayed_line() -> None:
    body = message_body(1, 2, 60)
    line = f":b1!~b1@127.0.0.1 PRIVMSG #bench :{body}".encode()
    assert body_timestamp_ns(line) == int(body.split(" ")[2])


def test_lines_without_a_timestamp_give_none() -> None:
    assert body_timestamp_ns(b":a!b@c PRIVMSG #x :hello there") is None
    assert body_timestamp_ns(b":server 001 nick :Welcome") is None


async def test_open_connection_registers_and_syncs() -> None:
    async with fake_server() as server:
        connection = await _open(server.port, "b1", 2.0)
        await sync_with_server(connection, "t1", 2.0)
        connection.close()
        await server.wait_closed(1)
    assert server.nicks == ["b1"]


async def test_a_registration_that_times_out_closes_its_socket() -> None:
    async with fake_server(silent=frozenset({"b1"})) as server:
        with pytest.raises(TimeoutError) as raised:
            await _open(server.port, "b1", 0.2)
        # The server sees the client hang up; before the fix the socket stayed open.
        await server.wait_closed(1)
    assert str(raised.value) == ("no answer after 0.2 s waiting for the welcome (001)")


async def test_a_server_that_hangs_up_during_registration_is_an_error() -> None:
    async with fake_server(hang_up=frozenset({"b1"})) as server:
        with pytest.raises(ConnectionError, match="connection closed"):
            await _open(server.port, "b1", 2.0)


async def test_a_refused_connection_is_an_os_error() -> None:
    async with fake_server() as server:
        port = server.port
    with pytest.raises(OSError, match=r"\S"):
        await _open(port, "b1", 2.0)


async def test_a_missing_pong_names_the_client_and_the_token() -> None:
    async with fake_server() as server:
        connection = await _open(server.port, "b1", 2.0)
        connection.send_raw = lambda data: None  # type: ignore[method-assign]
        with pytest.raises(TimeoutError, match=r"b1 got no PONG t7 within 0\.1 s"):
            await sync_with_server(connection, "t7", 0.1)
        connection.close()


async def _open(port: int, nick: str, seconds: float) -> BenchConnection:
    return await open_connection(
        "127.0.0.1",
        port,
        nick,
        sample_all=False,
        reservoir=None,
        timeout_seconds=seconds,
    )
