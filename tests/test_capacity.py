"""The open-file limit and the client cap it sets (`hubbub.capacity`)."""

from __future__ import annotations

import logging
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubbub.app import with_client_capacity
from hubbub.capacity import (
    FD_RESERVE,
    client_capacity,
    open_file_limit,
    raise_open_file_limit,
)
from hubbub.config import Limits
from tests.fakes import make_config
from tests.server_process import hubbub_serve

FULL = b"Server is full, try again later"


@pytest.fixture
def restored_file_limits() -> Iterator[tuple[int, int]]:
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        yield limits
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)


def test_capacity_is_the_limit_less_the_reserve_unless_configured() -> None:
    assert client_capacity(None, 20_000) == 20_000 - FD_RESERVE
    assert client_capacity(None, 1024) == 1024 - FD_RESERVE
    assert client_capacity(None, 10) == 1
    assert client_capacity(50, 20_000) == 50
    assert client_capacity(50_000, 1024) == 50_000  # the operator's word


def test_raising_the_limit_takes_the_soft_limit_to_the_hard_one(
    restored_file_limits: tuple[int, int],
) -> None:
    _, hard = restored_file_limits
    if hard == resource.RLIM_INFINITY or hard < 256:
        pytest.skip(f"needs a finite hard open-file limit of 256 or more, not {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))
    assert open_file_limit() == 128
    assert raise_open_file_limit() == hard
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    assert open_file_limit() == hard
    # Raising again changes nothing.
    assert raise_open_file_limit() == hard


def test_the_capacity_is_set_in_the_config_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hubbub.app"):
        derived = with_client_capacity(make_config(data_dir=tmp_path), 1024)
        given = with_client_capacity(
            make_config(data_dir=tmp_path, limits=Limits(max_clients=7)), 1024
        )
    assert derived.limits.max_clients == 1024 - FD_RESERVE
    assert given.limits.max_clients == 7
    assert [r.getMessage() for r in caplog.records] == [
        f"= up to {1024 - FD_RESERVE} clients at once (open-file limit 1024)",
        "= up to 7 clients at once (open-file limit 1024, limits.max_clients)",
    ]


def _read_until(sock: socket.socket, fragment: bytes, seconds: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + seconds
    while fragment not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _register_once_there_is_room(port: int, nick: str, seconds: float = 10) -> bytes:
    """Register, trying again while the server answers that it is full (it
    frees a slot once it has read the end of a closed connection)."""
    deadline = time.monotonic() + seconds
    while True:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :n\r\n".encode())
            answer = _read_until(sock, b" 001 ")
        if FULL not in answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def test_served_raises_a_low_soft_limit(tmp_path: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard < 4096:
        pytest.skip(f"needs a finite hard open-file limit of 4096 or more, not {hard}")
    with hubbub_serve(tmp_path, file_limits=(256, 4096)) as server:
        text = "".join(server.startup)
    assert f"up to {4096 - FD_RESERVE} clients at once (open-file limit 4096)" in text


def test_a_full_server_answers_at_once_and_keeps_its_clients(tmp_path: Path) -> None:
    """With a hard limit of 200 files, the server holds 72 clients; the next
    one gets an ERROR at once, instead of waiting unanswered in the listen
    backlog once the descriptors ran out, and those inside still answer."""
    capacity = 200 - FD_RESERVE
    with hubbub_serve(tmp_path, file_limits=(200, 200)) as server:
        assert f"up to {capacity} clients at once" in "".join(server.startup)
        inside = []
        try:
            for i in range(capacity):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                inside.append(sock)
                sock.sendall(f"NICK n{i}\r\nUSER n{i} 0 * :n\r\n".encode())
            for sock in inside:
                assert b" 001 " in _read_until(sock, b" 001 ")
            address = ("127.0.0.1", server.port)
            with socket.create_connection(address, timeout=10) as extra:
                answer = _read_until(extra, b"\r\n", seconds=5)
                assert answer == b"ERROR :Closing Link: 127.0.0.1 (%s)\r\n" % FULL
                assert extra.recv(1) == b""  # closed
            inside[0].sendall(b"PING :still\r\n")
            assert b"PONG" in _read_until(inside[0], b"still")
            # A slot that frees takes a new client.
            inside.pop().close()
            assert b" 001 late " in _register_once_there_is_room(server.port, "late")
        finally:
            for sock in inside:
                sock.close()
        server.process.terminate()
        server.process.wait(timeout=10)
        assert server.process.stderr is not None
        log = server.process.stderr.read()
    assert f"! server full: {capacity} connections (limits.max_clients)" in log
    assert "Traceback" not in log
