"""The real clock: each line's time, and so its msgid and server-time, come from it."""

from __future__ import annotations

import time

from hubbub.config import Config
from hubbub.core.engine import Engine
from hubbub.core.ports import SystemClock, system_now
from hubbub.protocol.framing import DecodedLine
from hubbub.storage.memory import MemoryAccountStore, MemoryHistoryStore
from hubbub.storage.passwords import Argon2Passwords


class DroppingWriter:
    def write(self, data: bytes) -> None:
        pass

    def buffered_bytes(self) -> int:
        return 0

    def close(self) -> None:
        pass


def test_system_now_is_the_wall_clock_rounded_down_to_the_millisecond() -> None:
    for _ in range(1000):
        before = time.time()
        now = system_now()
        after = time.time()
        milliseconds = now * 1000
        assert abs(milliseconds - round(milliseconds)) < 1e-3
        assert before - 0.001 <= now <= after


def test_system_clock_reads_the_same_clock() -> None:
    before = system_now()
    now = SystemClock().now()
    assert before <= now <= system_now()


def test_engine_reads_the_system_clock_for_each_line() -> None:
    engine = Engine(
        Config(),
        passwords=Argon2Passwords(),
        accounts=MemoryAccountStore(),
        history=MemoryHistoryStore(),
    )
    user = engine.connect(DroppingWriter(), host="127.0.0.1", ip="127.0.0.1")
    user.last_received = 0.0
    before = system_now()
    engine.handle_line(user, DecodedLine("PING :x"))
    assert before <= user.last_received <= system_now()
