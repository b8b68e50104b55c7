"""The load generator's message format (bench/wire.py)."""

from __future__ import annotations

import time

from hubbub.bench.wire import body_timestamp_ns, message_body


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
