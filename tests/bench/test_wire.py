"""The load generator's message format and registration (bench/wire.py)."""

from __future__ import annotations

import time

import pytest

from hubbub.bench.wire import (
    BenchConnection,
    JoinRefused,
    RegistrationError,
    body_timestamp_ns,
    message_body,
    open_connection,
    server_error_text,
    sync_with_server,
)
from tests.bench.fake_server import fake_server


def test_message_body_carries_run_sender_sequence_and_time() -> None:
    before = time.monotonic_ns()
    body = message_body("r1234abcd", 7, 42, 100)
    run_id, sender, seq, stamp, padding = body.split(" ", 4)
    assert (run_id, sender, seq) == ("r1234abcd", "7", "42")
    assert before <= int(stamp) <= time.monotonic_ns()
    assert len(body) == 100
    assert set(padding) == {"x"}


def test_timestamp_is_read_back_from_a_relayed_line() -> None:
    body = message_body("r1234abcd", 1, 2, 60)
    line = f":b1!~b1@127.0.0.1 PRIVMSG #bench :{body}".encode()
    assert body_timestamp_ns(line) == int(body.split(" ")[3])


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
        connection.send_raw = lambda data: True  # type: ignore[method-assign]
        with pytest.raises(TimeoutError, match=r"b1 got no PONG t7 within 0\.1 s"):
            await sync_with_server(connection, "t7", 0.1)
        connection.close()


@pytest.mark.parametrize(
    ("answer", "quoted"),
    [
        (b":fake 433 * b1 :Nickname is already in use\r\n", "433 * b1 :Nickname"),
        (b":fake 432 * b1 :Erroneous Nickname\r\n", "432 * b1 :Erroneous"),
        (b":fake 464 b1 :Password incorrect\r\n", "464 b1 :Password incorrect"),
        (b"@time=x :fake 465 b1 :You are banned\r\n", "465 b1 :You are banned"),
    ],
)
async def test_an_error_numeric_before_the_welcome_fails_at_once_quoting_it(
    answer: bytes, quoted: str
) -> None:
    # The server keeps the connection open: the client must not wait it out.
    async with fake_server(keep_refused=True) as server:
        server.refuse["b1"] = answer
        began = time.monotonic()
        with pytest.raises(RegistrationError) as raised:
            await _open(server.port, "b1", 10.0)
    assert time.monotonic() - began < 2
    assert str(raised.value).startswith(
        f"the server refused the registration: {quoted}"
    )


@pytest.mark.parametrize(
    "reason",
    [
        "Closing Link: 127.0.0.1 (Too many connections from your IP address)",
        "Your host is trying to (re)connect too fast -- throttled",
    ],
)
async def test_a_server_that_closes_with_error_is_quoted(reason: str) -> None:
    async with fake_server() as server:
        server.refuse["b1"] = f"ERROR :{reason}\r\n".encode()
        with pytest.raises(ConnectionError) as raised:
            await _open(server.port, "b1", 10.0)
    assert str(raised.value) == f"the server closed the connection: ERROR :{reason}"


async def test_a_nick_the_server_changed_is_a_registration_error() -> None:
    # Truncated to the server's nick length: two clients could share it.
    async with fake_server(welcome_as={"b123456789": "b1234567"}) as server:
        with pytest.raises(
            RegistrationError, match="registered b123456789 as b1234567"
        ):
            await _open(server.port, "b123456789", 2.0)


async def test_a_password_goes_first_as_pass() -> None:
    async with fake_server() as server:
        connection = await open_connection(
            "127.0.0.1",
            server.port,
            "b1",
            sample_all=False,
            reservoir=None,
            timeout_seconds=2.0,
            password="open sesame",
        )
        connection.close()
    assert server.lines == [
        b"PASS :open sesame",
        b"NICK b1",
        b"USER b1 0 * :bench",
    ]


def test_the_last_error_line_is_found_among_others() -> None:
    data = (
        b":a!b@c PRIVMSG #x :hi\r\n:srv KILL b1 :flood\r\n"
        b"ERROR :Closing Link: x (Excess Flood)\r\n"
    )
    assert server_error_text(data) == "Closing Link: x (Excess Flood)"
    assert server_error_text(b":a!b@c PRIVMSG #x :ERROR here\r\n") == ""


async def test_only_this_runs_messages_count_as_deliveries() -> None:
    client = BenchConnection("b1", sample_all=True, reservoir=None, run_id="rabc")
    client.setting_up = False
    ours = f":b0!u@h PRIVMSG #bench :{message_body('rabc', 0, 0, 40)}\r\n"
    theirs = f":b0!u@h PRIVMSG #bench :{message_body('rdef', 0, 0, 40)}\r\n"
    chat = ":alice!u@h PRIVMSG #bench :hello 1 2 3\r\n"
    client.data_received((ours + theirs + chat + ours).encode())
    assert (client.deliveries, client.foreign) == (2, 2)


async def _open(port: int, nick: str, seconds: float) -> BenchConnection:
    return await open_connection(
        "127.0.0.1",
        port,
        nick,
        sample_all=False,
        reservoir=None,
        timeout_seconds=seconds,
    )


async def test_a_join_is_answered_by_its_own_echo_not_by_anothers() -> None:
    client = BenchConnection("b1", sample_all=False, reservoir=None, run_id="rabc")
    client.setting_up = False  # registered
    joined = client.join("#bench")
    client.data_received(b":b2!u@h JOIN #bench\r\n:srv NOTICE b1 :#bench soon\r\n")
    assert not joined.done()
    client.data_received(b"@time=x :B1!u@h JOIN :#Bench\r\n")  # case-insensitive
    assert joined.done()
    assert joined.exception() is None
    assert not client.setting_up  # nothing more is parsed while measuring


@pytest.mark.parametrize(
    "answer",
    [
        b":srv 474 b1 #bench :Cannot join channel (+b)",
        b":srv 263 b1 JOIN :Please wait a while and try again.",
        b"FAIL JOIN CHANNEL_RENAMED #bench #new :Renamed",
    ],
)
async def test_a_refused_join_quotes_the_server(answer: bytes) -> None:
    client = BenchConnection("b1", sample_all=False, reservoir=None, run_id="rabc")
    client.setting_up = False
    joined = client.join("#bench")
    client.data_received(answer + b"\r\n")
    assert isinstance(joined.exception(), JoinRefused)
    quoted = answer.partition(b" ")[2] if answer.startswith(b":") else answer
    assert str(joined.exception()) == (
        f"the server refused the JOIN: {quoted.decode()}"
    )
