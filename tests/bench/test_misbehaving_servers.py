"""`hubbub bench` against servers that refuse, kill, lag, swallow or chatter.

Each runs the real command line in a subprocess against the fake server
(tests/bench/fake_server.py) and reads its JSON report: the run must finish
within its time bounds and say what the server did, with the figures kept.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.fake_server import FakeServer, fake_server


@dataclass
class Outcome:
    status: int
    report: dict[str, Any] | None
    stdout: str
    stderr: str
    seconds: float


async def _bench(
    tmp_path: Path,
    server: FakeServer,
    *args: str,
    quiet: bool = True,
    stop: tuple[Callable[[], bool], signal.Signals] | None = None,
) -> Outcome:
    """Run `hubbub bench ARGS` against `server`; with `stop`, send its signal
    once its condition holds (checked every 50 ms, for 30 s at most)."""
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "hubbub", "bench", *args]
    command += [f"127.0.0.1:{server.port}", "--json", str(report)]
    command += ["--quiet"] if quiet else []
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    if stop is not None:
        condition, signum = stop
        for _ in range(600):
            if condition() or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert condition(), "the run never got there"
        process.send_signal(signum)
    async with asyncio.timeout(90):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    assert b"Traceback" not in stderr, stderr.decode()
    return Outcome(
        process.returncode,
        json.loads(report.read_text()) if report.exists() else None,
        stdout.decode(),
        stderr.decode(),
        time.monotonic() - began,
    )


async def test_a_sender_the_server_kills_is_reported_not_fatal(tmp_path: Path) -> None:
    async with fake_server(kill_after={"b0": 120}) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "4", "--senders", "2",
            "--seconds", "1", "--drain", "2",
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    report = outcome.report
    assert report is not None
    assert report["disconnected"] == 1
    assert report["first_disconnect"] == (
        "b0: the server closed the connection: "
        "ERROR :Closing Link: 127.0.0.1 (Excess Flood)"
    )
    assert report["received"] > 0  # the figures measured are kept
    assert "the server disconnected 1 clients" in outcome.stdout
    # Its last batches, written but never acknowledged, may not have been
    # read: in doubt, not expected, so nobody counts them as lost.
    assert report["in_doubt"] > 0
    assert report["lost"] == 0


async def test_a_stream_sender_the_server_kills_is_reported(tmp_path: Path) -> None:
    async with fake_server(kill_after={"b0": 120}) as server:
        outcome = await _bench(
            tmp_path, server, "direct", "--pairs", "2", "--mode", "stream",
            "--seconds", "1", "--drain", "2",
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    assert outcome.report is not None
    assert outcome.report["disconnected"] == 1
    assert "Excess Flood" in outcome.report["first_disconnect"]
    assert outcome.report["received"] > 0
    assert outcome.report["lost"] == 0


async def test_messages_a_killed_sender_could_not_send_are_not_counted(
    tmp_path: Path,
) -> None:
    # 2 senders at 100/s for 2 s: 100 each; b0 is killed at its 11th.
    async with fake_server(kill_after={"b0": 10}) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "4", "--senders", "2",
            "--rate", "100", "--seconds", "2", "--drain", "2",
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    report = outcome.report
    assert report is not None
    assert report["disconnected"] == 1
    assert 100 <= report["sent"] <= 115  # not 200
    # b0's last message or two died with it; nothing else is missing.
    assert report["lost"] <= 3 * 3


async def test_a_lagging_server_stops_the_run_at_seconds_plus_drain(
    tmp_path: Path,
) -> None:
    # The server never gets round to the batches' PINGs: before, each sender
    # waited 60 s for a PONG and the run then failed, its figures discarded.
    async with fake_server(lag=True) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "3", "--senders", "1",
            "--seconds", "1", "--window", "400", "--drain", "1",
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    assert outcome.seconds < 10
    report = outcome.report
    assert report is not None
    assert report["server_fell_behind"] is True
    assert report["unacknowledged"] == 400  # the two batches in flight
    assert report["received"] == 2 * report["sent"]  # the fake relayed them all
    assert "the server fell behind" in outcome.stdout


async def test_a_server_that_keeps_up_did_not_fall_behind(tmp_path: Path) -> None:
    async with fake_server() as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "3", "--senders", "1",
            "--seconds", "0.5",
        )  # fmt: skip
    assert outcome.report is not None
    assert outcome.report["server_fell_behind"] is False
    assert outcome.report["unacknowledged"] == 0
    assert outcome.report["lost"] == 0
    assert outcome.report["disconnected"] == 0


async def test_stalled_ping_pong_pairs_are_counted_and_the_run_bounded(
    tmp_path: Path,
) -> None:
    async with fake_server(swallow=True) as server:
        outcome = await _bench(
            tmp_path, server, "direct", "--pairs", "2", "--seconds", "1",
            "--drain", "1",
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    assert outcome.seconds < 10
    report = outcome.report
    assert report is not None
    assert report["stalled_pairs"] == 2
    assert (report["sent"], report["received"], report["lost"]) == (2, 0, 2)
    # Nothing came back: no latency, rather than a latency of zero.
    assert report["latency"] == {
        "count": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None
    }  # fmt: skip
    assert "p50_ms n/a" in outcome.stdout


async def test_foreign_privmsgs_are_counted_apart_and_hide_no_loss(
    tmp_path: Path,
) -> None:
    async with fake_server(foreign_every=2, kill_after={"b0": 30}) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "3", "--senders", "2",
            "--rate", "100", "--seconds", "1", "--drain", "1",
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    report = outcome.report
    assert report is not None
    assert report["foreign"] > 0
    # Only the run's own messages are received; b0's last one died with it.
    assert report["received"] <= report["expected"]
    assert report["lost"] == report["expected"] - report["received"]
    assert "PRIVMSGs from outside this run" in outcome.stdout


async def test_connect_fails_when_any_registration_fails(tmp_path: Path) -> None:
    async with fake_server() as server:
        server.refuse["b1"] = b"ERROR :Closing Link: 127.0.0.1 (Bad Password)\r\n"
        outcome = await _bench(tmp_path, server, "connect", "--clients", "3")
    assert outcome.status == 1
    assert outcome.report is not None
    assert (outcome.report["registered"], outcome.report["failures"]) == (2, 1)
    assert outcome.stderr == (
        "hubbub bench: 1 of 3 registrations failed; the first: ConnectionError: "
        "the server closed the connection: ERROR :Closing Link: 127.0.0.1 "
        "(Bad Password)\n"
    )


async def test_a_setup_refused_by_a_numeric_quotes_it(tmp_path: Path) -> None:
    async with fake_server(keep_refused=True) as server:
        server.refuse["b2"] = b":fake 433 * b2 :Nickname is already in use\r\n"
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "3", "--connect-timeout", "30"
        )
    assert outcome.status == 1
    assert outcome.seconds < 15  # not the 30 s --connect-timeout
    assert outcome.stderr == (
        "hubbub bench: a worker failed: 1 of 3 clients failed to register: "
        "RegistrationError: the server refused the registration: "
        "433 * b2 :Nickname is already in use\n"
    )


async def test_direct_shows_its_progress(tmp_path: Path) -> None:
    async with fake_server() as server:
        outcome = await _bench(
            tmp_path, server, "direct", "--pairs", "1", "--seconds", "2.5",
            quiet=False,
        )  # fmt: skip
    assert outcome.status == 0, outcome.stderr
    assert re.search(r"direct: .*[1-9][\d,]* messages received", outcome.stderr)
    assert outcome.stderr.endswith("\n")


async def test_a_failed_setup_ends_the_progress_line_before_the_error(
    tmp_path: Path,
) -> None:
    async with fake_server(silent=frozenset({"b0", "b1"})) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "2", "--connect-timeout", "1.6",
            quiet=False,
        )  # fmt: skip
    assert outcome.status == 1
    progress, error, nothing = outcome.stderr.split("\n")
    assert "fanout: setting up, 0 of 2 clients registered" in progress
    assert error.startswith("hubbub bench: a worker failed: 2 of 2 clients")
    assert nothing == ""


async def test_sigterm_mid_run_reports_the_figures_so_far_and_exits_143(
    tmp_path: Path,
) -> None:
    async with fake_server() as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "4", "--senders", "2",
            "--rate", "200", "--seconds", "60", "--workers", "2",
            stop=(lambda: server.relayed >= 50, signal.SIGTERM),
        )  # fmt: skip
    assert outcome.status == 143, outcome.stderr
    assert outcome.seconds < 30  # not the 60 s asked for
    report = outcome.report
    assert report is not None
    assert report["interrupted"] is True
    assert 0 < report["measured_seconds"] < 60
    assert report["workers_missing"] == 0
    assert report["sent"] >= 50
    assert report["received"] > 0
    assert (report["expected"], report["lost"]) == (None, None)
    assert "(interrupted: partial figures)" in outcome.stdout
    assert outcome.stderr.startswith("hubbub bench: interrupted after ")


async def test_connect_interrupted_in_its_hold_reports_the_registrations(
    tmp_path: Path,
) -> None:
    welcomed: list[float] = []

    def holding() -> bool:  # a second after the last welcome
        if len(server.lines) == 6 and not welcomed:  # NICK and USER, each
            welcomed.append(time.monotonic())
        return bool(welcomed) and time.monotonic() - welcomed[0] > 1.0

    async with fake_server() as server:
        outcome = await _bench(
            tmp_path, server, "connect", "--clients", "3", "--workers", "2",
            "--hold", "60", stop=(holding, signal.SIGINT),
        )  # fmt: skip
    assert outcome.status == 130, outcome.stderr
    assert outcome.seconds < 30
    report = outcome.report
    assert report is not None
    assert report["interrupted"] is True
    assert (report["registered"], report["failures"]) == (3, 0)
    assert report["alive_after_hold"] is None  # not checked: no verdict either
    assert "registrations failed" not in outcome.stderr


async def test_joins_never_answered_fail_the_setup_at_its_deadline_naming_them(
    tmp_path: Path,
) -> None:
    # Before, each client waited 60 s for its JOIN, one after the other.
    async with fake_server(ignore_join=frozenset({"b1", "b3"})) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "4", "--setup-timeout", "1.5"
        )
    assert outcome.status == 1
    assert outcome.seconds < 10
    assert outcome.stderr == (
        "hubbub bench: a worker failed: 2 of 4 clients did not join #bench: no "
        "answer to JOIN when the setup's 1.5 s (--setup-timeout) ran out (b1, b3)\n"
    )


async def test_a_refused_join_fails_the_setup_at_once_quoting_the_server(
    tmp_path: Path,
) -> None:
    refusal = b":fake 474 b2 #bench :Cannot join channel (+b)\r\n"
    async with fake_server(refuse_join={"b2": refusal}) as server:
        outcome = await _bench(tmp_path, server, "fanout", "--clients", "3")
    assert outcome.status == 1
    assert outcome.seconds < 15  # not the setup's two minutes
    assert outcome.stderr == (
        "hubbub bench: a worker failed: 1 of 3 clients did not join #bench: the "
        "server refused the JOIN: 474 b2 #bench :Cannot join channel (+b) (b2)\n"
    )


async def test_a_server_that_throttles_joins_cannot_stretch_the_setup(
    tmp_path: Path,
) -> None:
    # One JOIN answered a second: 8 clients would take 8 s.
    async with fake_server(join_every=1.0) as server:
        outcome = await _bench(
            tmp_path, server, "fanout", "--clients", "8", "--setup-timeout", "2"
        )
    assert outcome.status == 1
    assert outcome.seconds < 10
    found = re.fullmatch(
        r"hubbub bench: a worker failed: (\d) of 8 clients did not join #bench: no "
        r"answer to JOIN when the setup's 2 s \(--setup-timeout\) ran out "
        r"\((b\d, ){4}b\d( and \d more)?\)\n",
        outcome.stderr,
    )
    assert found is not None, outcome.stderr
    assert int(found[1]) >= 6


async def test_registrations_cannot_stretch_the_setup_either(tmp_path: Path) -> None:
    silent = frozenset({"b0", "b1", "b2", "b3"})
    async with fake_server(silent=silent) as server:
        outcome = await _bench(
            tmp_path, server, "direct", "--pairs", "2", "--connect-timeout", "30",
            "--setup-timeout", "1",
        )  # fmt: skip
    assert outcome.status == 1
    assert outcome.seconds < 10  # not the 30 s --connect-timeout
    assert outcome.stderr == (
        "hubbub bench: a worker failed: 4 of 4 clients failed to register: "
        "TimeoutError: no answer waiting for the welcome (001) when the setup's "
        "1 s (--setup-timeout) ran out\n"
    )
