"""The core's own cost per message, in-process: no sockets, no kernel.

`hubbub bench` measures a whole server; this measures only what the
sans-I/O core spends per line (framing, parsing, dispatch, delivery,
outboxes), so a change to the hot path can be judged in seconds and without
the noise of loopback TCP. It drives `Engine` the way the TCP transport does
(a `LineDecoder`, inline handling, one flush per batch of input) with
writers that drop what they are given.

    .venv/bin/python benchmarks/core_micro.py            # medians of 5 runs
    .venv/bin/python benchmarks/core_micro.py --history  # with in-memory history
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from hubbub.config import Config
from hubbub.core.engine import Engine
from hubbub.core.user import User
from hubbub.protocol.framing import LineDecoder
from hubbub.storage.memory import MemoryAccountStore, MemoryHistoryStore
from hubbub.storage.passwords import Argon2Passwords


class NullWriter:
    """A `Writer` that counts the bytes it is given."""

    __slots__ = ("written",)

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def buffered_bytes(self) -> int:
        return 0

    def close(self) -> None:
        pass


class Client:
    """One connection: feeds raw bytes through the decoder into the engine."""

    def __init__(self, engine: Engine, nick: str) -> None:
        self.engine = engine
        self.writer = NullWriter()
        self.user: User = engine.connect(self.writer, host="127.0.0.1", ip="127.0.0.1")
        self.decoder = LineDecoder(max_tags_bytes=4096)
        self.feed(f"NICK {nick}\r\nUSER {nick} 0 * :micro\r\n".encode())

    def feed(self, data: bytes) -> None:
        for line in self.decoder.feed(data):
            coroutine = self.engine.handle_line(self.user, line)
            if coroutine is None:
                continue
            try:
                coroutine.send(None)
            except StopIteration:
                continue
            raise RuntimeError("a handler suspended; the micro benchmark cannot")
        self.engine.flush()


def new_engine(history: bool) -> Engine:
    config = Config.model_validate(
        {"limits": {"clients_per_ip": 1_000_000}, "storage": {"history": history}}
    )
    return Engine(
        config,
        passwords=Argon2Passwords(),
        accounts=MemoryAccountStore(),
        history=MemoryHistoryStore(),
    )


def direct(history: bool, rounds: int) -> float:
    """µs per private message, a to b and back (one line per input batch)."""
    engine = new_engine(history)
    a, b = Client(engine, "alice"), Client(engine, "bob")
    to_b = b"PRIVMSG bob :" + b"x" * 100 + b"\r\n"
    to_a = b"PRIVMSG alice :" + b"x" * 100 + b"\r\n"
    started = time.perf_counter()
    for _ in range(rounds):
        a.feed(to_b)
        b.feed(to_a)
    elapsed = time.perf_counter() - started
    assert b.writer.written > rounds * 100
    assert a.writer.written > rounds * 100
    return elapsed / (2 * rounds) * 1e6


def fanout(history: bool, rounds: int, members: int = 100, batch: int = 10) -> float:
    """µs per delivery: `batch` lines to a `members`-strong channel per input."""
    engine = new_engine(history)
    clients = [Client(engine, f"m{i}") for i in range(members)]
    for client in clients:
        client.feed(b"JOIN #micro\r\n")
    sender = clients[0]
    data = (b"PRIVMSG #micro :" + b"x" * 100 + b"\r\n") * batch
    started = time.perf_counter()
    for _ in range(rounds):
        sender.feed(data)
    elapsed = time.perf_counter() - started
    return elapsed / (rounds * batch * (members - 1)) * 1e6


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, float, float]:
    figures = sorted(measure() for _ in range(runs))
    return statistics.median(figures), figures[0], figures[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", action="store_true", help="in-memory history on")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], float]]] = [
        ("direct: µs per private message", lambda: direct(args.history, 20_000)),
        ("fanout 100, 10 a batch: µs per delivery", lambda: fanout(args.history, 300)),
    ]
    for name, measure in cases:
        median, low, high = median_of(args.runs, measure)
        print(f"{name:<45} {median:7.3f}  ({low:.3f}-{high:.3f})")


if __name__ == "__main__":
    main()
