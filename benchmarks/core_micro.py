"""The core's own cost per message, in-process: no sockets, no kernel.

`hubbub bench` measures a whole server; this measures only what the
sans-I/O core spends per line (framing, parsing, dispatch, delivery,
outboxes), so a change to the hot path can be judged in seconds and without
the noise of loopback TCP. It drives `Engine` the way the TCP transport does
(a `LineDecoder`, inline handling, one flush per batch of input) with
writers that drop what they are given.

    .venv/bin/python benchmarks/core_micro.py            # medians of 5 runs
    .venv/bin/python benchmarks/core_micro.py --history  # with in-memory history
    .venv/bin/python benchmarks/core_micro.py --queued-history  # as the SQL store

`--history` stores each item in the in-memory store (sorted lists, what the
tests use); `--queued-history` only queues it, as the SQL store's event-loop
side does (the group commit's append; its writer thread is not measured).

Instructions per message, which do not move with the machine's noise:
callgrind counts two runs of one case at two sizes, and the difference
divided by the extra messages leaves out start-up (`--once` runs one case
once; fix the hash seed so that dictionaries are laid out alike):

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=a.out \
        .venv/bin/python benchmarks/core_micro.py --once direct --rounds 2000
    (the same with --rounds 6000 and b.out; then the PROGRAM TOTALS of
    callgrind_annotate, b minus a, over 8,000 messages)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from hubbub.config import Config
from hubbub.core.engine import Engine
from hubbub.core.ports import HistoryItem
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


class QueuedHistory(MemoryHistoryStore):
    """History whose `append` only queues the item, as the SQL store's does
    in the event loop (its group commit writes them in another thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[HistoryItem] = []
        self.append = self.pending.append  # type: ignore[method-assign,assignment]

    def written(self) -> None:
        """Let go of what is queued, as a finished batch does."""
        self.pending.clear()


# QueuedHistory lets go of its items after this many rounds.
BATCH_ROUNDS = 2500


def new_engine(history: bool, queued: bool = False) -> Engine:
    config = Config.model_validate(
        {
            "limits": {"clients_per_ip": 1_000_000, "flood_lines_per_second": 0},
            "storage": {"history": history or queued},
        }
    )
    return Engine(
        config,
        passwords=Argon2Passwords(),
        accounts=MemoryAccountStore(),
        history=QueuedHistory() if queued else MemoryHistoryStore(),
    )


def written(engine: Engine) -> None:
    if isinstance(engine.history, QueuedHistory):
        engine.history.written()


def direct(history: bool, rounds: int, queued: bool = False) -> float:
    """µs per private message, a to b and back (one line per input batch)."""
    engine = new_engine(history, queued)
    a, b = Client(engine, "alice"), Client(engine, "bob")
    to_b = b"PRIVMSG bob :" + b"x" * 100 + b"\r\n"
    to_a = b"PRIVMSG alice :" + b"x" * 100 + b"\r\n"
    started = time.perf_counter()
    for round_ in range(rounds):
        a.feed(to_b)
        b.feed(to_a)
        if round_ % BATCH_ROUNDS == BATCH_ROUNDS - 1:
            written(engine)
    elapsed = time.perf_counter() - started
    assert b.writer.written > rounds * 100
    assert a.writer.written > rounds * 100
    return elapsed / (2 * rounds) * 1e6


def fanout(
    history: bool,
    rounds: int,
    members: int = 100,
    batch: int = 10,
    queued: bool = False,
) -> float:
    """µs per delivery: `batch` lines to a `members`-strong channel per input."""
    engine = new_engine(history, queued)
    clients = [Client(engine, f"m{i}") for i in range(members)]
    for client in clients:
        client.feed(b"JOIN #micro\r\n")
    sender = clients[0]
    data = (b"PRIVMSG #micro :" + b"x" * 100 + b"\r\n") * batch
    started = time.perf_counter()
    for round_ in range(rounds):
        sender.feed(data)
        if round_ % BATCH_ROUNDS == BATCH_ROUNDS - 1:
            written(engine)
    elapsed = time.perf_counter() - started
    return elapsed / (rounds * batch * (members - 1)) * 1e6


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, float, float]:
    figures = sorted(measure() for _ in range(runs))
    return statistics.median(figures), figures[0], figures[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", action="store_true", help="in-memory history on")
    parser.add_argument(
        "--queued-history",
        action="store_true",
        help="history on, items only queued (the SQL store's event-loop side)",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--once",
        choices=["direct", "fanout"],
        help="run this case once (for callgrind), print its figure",
    )
    parser.add_argument("--rounds", type=int, help="rounds of the --once case")
    args = parser.parse_args()
    history, queued = args.history, args.queued_history
    if args.once == "direct":
        print(f"{direct(history, args.rounds or 20_000, queued):.3f}")
        return
    if args.once == "fanout":
        print(f"{fanout(history, args.rounds or 300, queued=queued):.3f}")
        return
    cases: list[tuple[str, Callable[[], float]]] = [
        (
            "direct: µs per private message",
            lambda: direct(history, 20_000, queued),
        ),
        (
            "fanout 100, 10 a batch: µs per delivery",
            lambda: fanout(history, 300, queued=queued),
        ),
    ]
    for name, measure in cases:
        median, low, high = median_of(args.runs, measure)
        print(f"{name:<45} {median:7.3f}  ({low:.3f}-{high:.3f})")


if __name__ == "__main__":
    main()
