"""A run whose second worker never answers a stop, for tests/bench/test_runner.py.

`python -m tests.bench.stubborn_workers STOP_SECONDS` runs two stub workers
(the scenario "stub", added to SCENARIOS before the workers are forked).
Once measuring, each prints `measuring INDEX PID`; the first then counts
until it is stopped (and prints `stopped 0`), the second blocks its event
loop and never reads the stop. The coordinator takes SIGINT as Python does
(KeyboardInterrupt). At the end it prints what run() raised, and the
report as JSON (`null` without one), a line each.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time

from hubbub.bench import runner
from hubbub.bench.scenarios import SCENARIOS, Pipe, Spec, WorkerResult


def _say(line: str) -> None:
    """One line on stdout in one write: the two workers' lines do not mix."""
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


async def stub(spec: Spec, pipe: Pipe) -> WorkerResult:
    pipe.send("ready")
    await pipe.receive()
    result = WorkerResult(started=time.monotonic())
    _say(f"measuring {spec.first} {os.getpid()}")
    if spec.first == 0:

        async def count() -> None:
            for _ in range(60_000):  # a minute at most
                result.sent += 1
                result.received += 2
                await asyncio.sleep(0.001)

        if await pipe.until_stopped(count()):
            _say("stopped 0")
    else:
        # Deaf: its loop does not run again to read "stop".
        time.sleep(60)  # noqa: ASYNC251
    result.finished = time.monotonic()
    return result


def main() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    SCENARIOS["stub"] = stub
    plan = runner.Plan(
        Spec("stub", "127.0.0.1", 1, 0, 0, seconds=60.0),
        clients=2,
        workers=2,
        progress=False,
        stop_seconds=float(sys.argv[1]),
    )
    try:
        runner.run(plan)
    except runner.Interrupted as error:
        print(f"interrupted: {error}", flush=True)
        print(json.dumps(error.report), flush=True)


if __name__ == "__main__":
    main()
