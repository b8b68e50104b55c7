"""Splitting clients over workers (bench/runner.py) and smoke runs of every scenario."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from hubbub.bench.runner import (
    Plan,
    _connect_report,
    _Interruption,
    _traffic_report,
    _Workers,
    format_report,
    run,
    split,
)
from hubbub.bench.scenarios import SCENARIOS, Pipe, Spec, WorkerResult
from tests.server_process import NO_FLOOD_LIMITS, hubbub_serve


def test_split_covers_every_client_once() -> None:
    plan = Plan(Spec("fanout", "h", 1, 0, 0), clients=10, workers=3)
    specs = split(plan)
    assert [(s.first, s.count) for s in specs] == [(0, 4), (4, 3), (7, 3)]


def test_split_keeps_direct_pairs_in_one_worker() -> None:
    plan = Plan(Spec("direct", "h", 1, 0, 0), clients=10, workers=2)
    assert [(s.first, s.count) for s in split(plan)] == [(0, 6), (6, 4)]


def test_split_never_makes_empty_workers() -> None:
    plan = Plan(Spec("connect", "h", 1, 0, 0), clients=2, workers=8)
    assert [(s.first, s.count) for s in split(plan)] == [(0, 1), (1, 1)]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubbub", "bench", *args, "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("scenario", "options", "check"),
    [
        ("fanout", "--clients 6 --senders 2 --seconds 1", "received"),
        ("fanout", "--clients 6 --senders 2 --rate 50 --seconds 1", "received"),
        (
            "fanout",
            "--clients 6 --senders 2 --rate 50 --bursts --seconds 1",
            "received",
        ),
        (
            "fanout",
            "--clients 6 --workers 2 --seconds 1 --setup-in-flight 2 "
            "--connect-timeout 10",
            "received",
        ),
        ("direct", "--pairs 3 --seconds 1", "received"),
        ("direct", "--pairs 2 --mode stream --seconds 1", "received"),
        (
            "direct",
            "--pairs 2 --seconds 1 --setup-in-flight 1 --connect-timeout 10",
            "received",
        ),
        (
            "connect",
            "--clients 20 --in-flight 5 --workers 2 --connect-timeout 10",
            "registered",
        ),
    ],
)
def test_each_scenario_runs_for_a_second_against_hubbub(
    tmp_path: Path, scenario: str, options: str, check: str
) -> None:
    report_path = tmp_path / "report.json"
    with hubbub_serve(tmp_path, config=NO_FLOOD_LIMITS) as server:
        address = f"127.0.0.1:{server.port}"
        result = _bench(
            scenario,
            address,
            *options.split(),
            "--server-pid",
            str(server.process.pid),
            "--json",
            str(report_path),
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    assert report["scenario"] == scenario
    assert report[check] > 0
    if scenario == "connect":
        assert report["failures"] == 0
        # The RSS readings are real; 20 idle clients may fit in memory the
        # server already holds, so growth itself is the benchmark's to show.
        before = report["server_rss_before_bytes"]
        after = report["server_rss_after_bytes"]
        assert before > 0
        assert after > 0
        assert report["server_bytes_per_client"] == pytest.approx(
            (after - before) / report["registered"]
        )
    else:
        assert report["lost"] == 0
        assert report["server_cpu_seconds"] >= 0
        # The server's CPU, split between its event loop's thread and the rest.
        main = report["server_main_thread_us_per_delivery"]
        others = report["server_other_threads_us_per_delivery"]
        assert main >= 0
        assert main + others == pytest.approx(report["server_cpu_us_per_delivery"])
        # ... and its kernel time, a part of the whole.
        kernel = report["server_kernel_us_per_delivery"]
        assert 0 <= kernel <= report["server_cpu_us_per_delivery"] + 1e-9
    assert f"hubbub bench {scenario}" in result.stdout


def test_unreachable_server_is_a_one_line_error() -> None:
    result = _bench("fanout", "127.0.0.1:1", "--clients", "2", "--seconds", "1")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "hubbub bench: a worker failed: 2 of 2 clients failed to register: "
        "ConnectionRefusedError: "
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("scenario", ["fanout", "direct"])
def test_a_server_that_never_welcomes_fails_setup_within_the_timeout(
    scenario: str,
) -> None:
    # A listening socket that nobody accepts from: TCP connects, IRC never answers.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        size = ["--clients", "3"] if scenario == "fanout" else ["--pairs", "2"]
        began = time.monotonic()
        result = _bench(
            scenario, f"127.0.0.1:{port}", *size, "--connect-timeout", "0.5"
        )
    assert result.returncode == 1
    clients = 3 if scenario == "fanout" else 4
    assert result.stderr == (
        f"hubbub bench: a worker failed: {clients} of {clients} clients failed to "
        "register: TimeoutError: no answer after 0.5 s waiting for the welcome (001)\n"
    )
    assert time.monotonic() - began < 30


def test_connect_that_registers_nobody_says_why_and_fails() -> None:
    result = _bench("connect", "127.0.0.1:1", "--clients", "3")
    assert result.returncode == 1
    assert result.stdout  # the report, all the same
    assert result.stderr.startswith(
        "hubbub bench: no client registered: ConnectionRefusedError: "
    )
    assert result.stderr.count("\n") == 1


def test_a_terminated_bench_takes_its_workers_with_it(tmp_path: Path) -> None:
    # A listener that accepts but never speaks: the clients wait for a welcome.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        bench = subprocess.Popen(
            [
                sys.executable, "-m", "hubbub", "bench", "connect",
                f"127.0.0.1:{port}", "--clients", "4", "--workers", "2", "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        children = _children_of(bench.pid, within=10)
        assert len(children) == 2
        bench.send_signal(signal.SIGTERM)
        _, stderr = bench.communicate(timeout=20)
        assert "Traceback" not in stderr
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in children)


def test_ctrl_c_says_where_the_run_was_and_takes_its_workers_with_it() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        bench = subprocess.Popen(
            [
                sys.executable, "-m", "hubbub", "bench", "fanout",
                f"127.0.0.1:{port}", "--clients", "4", "--workers", "2",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        children = _children_of(bench.pid, within=10)
        assert len(children) == 2
        time.sleep(1.2)  # the progress line is up
        began = time.monotonic()
        os.kill(bench.pid, signal.SIGINT)
        _, stderr = bench.communicate(timeout=20)
    assert bench.returncode == 130
    assert time.monotonic() - began < 5  # the workers are ended, not awaited
    assert "Traceback" not in stderr
    assert "Aborted!" not in stderr
    last = stderr.split("\n")[-2]
    assert re.fullmatch(
        r"hubbub bench: interrupted after \d+\.\d s of setup, with 0 counted; "
        "no report",
        last,
    ), stderr
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children)


def test_a_throttling_server_is_reported_as_falling_behind(tmp_path: Path) -> None:
    # hubbub's default flood control: 30 lines at once, then 5 a second.
    with hubbub_serve(tmp_path) as server:
        began = time.monotonic()
        result = _bench(
            "fanout", f"127.0.0.1:{server.port}", "--clients", "4", "--senders",
            "2", "--seconds", "1", "--drain", "1", "--json",
            str(tmp_path / "r.json"),
        )  # fmt: skip
        took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    assert took < 20
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["server_fell_behind"] is True
    assert report["unacknowledged"] > 0
    assert 0 < report["received"] < report["expected"]


def test_generator_utilisation_is_over_the_sending_window_only() -> None:
    # 0.5 s of CPU in 1 s of sending, then 10 s of waiting for the drain.
    result = WorkerResult(
        sent=10, expected=20, received=20, started=100.0, finished=111.0,
        last_delivery=101.0, cpu_seconds=0.6, sending_seconds=1.0,
        sending_cpu_seconds=0.5,
    )  # fmt: skip
    plan = Plan(Spec("fanout", "h", 1, 0, 0, senders=1), clients=3)
    report = _traffic_report(plan, [result], None, None)
    assert report["generator_busiest_worker_utilisation"] == pytest.approx(0.5)
    assert report["generator_cpu_seconds"] == pytest.approx(0.6)
    assert report["latency"]["p50_ms"] is None
    assert "p50_ms n/a" in format_report(report)


def test_ctrl_c_mid_run_reports_the_figures_measured_until_then(
    tmp_path: Path,
) -> None:
    report_path = tmp_path / "report.json"
    with hubbub_serve(tmp_path, config=NO_FLOOD_LIMITS) as server:
        bench = subprocess.Popen(
            [
                sys.executable, "-m", "hubbub", "bench", "fanout",
                f"127.0.0.1:{server.port}", "--clients", "6", "--senders", "2",
                "--window", "20", "--seconds", "60", "--workers", "2",
                "--server-pid", str(server.process.pid), "--json", str(report_path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert bench.stderr is not None
            # The measurement's progress line, a second into it.
            _read_until(bench.stderr, b"deliveries", within=30)
            began = time.monotonic()
            bench.send_signal(signal.SIGINT)
            out, err = bench.communicate(timeout=30)
        finally:
            if bench.poll() is None:
                bench.kill()
    stdout, stderr = out.decode(), err.decode()
    assert bench.returncode == 130, stderr
    assert time.monotonic() - began < 15  # stopped, not run to its end
    assert "Traceback" not in stderr
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is True
    assert 1.0 <= report["measured_seconds"] < 60
    assert (report["workers"], report["workers_missing"]) == (2, 0)
    assert report["sent"] > 0
    assert report["received"] > 0
    assert report["latency"]["count"] > 0
    assert report["server_cpu_us_per_delivery"] > 0
    # Stopped with messages in flight: loss is not known, rather than zero.
    assert report["lost"] is None
    assert report["server_fell_behind"] is None
    assert "hubbub bench fanout (interrupted: partial figures)" in stdout
    assert "note: interrupted after" in stdout
    assert re.fullmatch(
        r"hubbub bench: interrupted after \d+\.\d s of the run \(of 60 s\): the "
        r"report has the figures measured until then",
        stderr.split("\n")[-2],
    ), stderr


async def _stubborn_run(stop_seconds: float) -> tuple[asyncio.subprocess.Process, int]:
    """Start tests/bench/stubborn_workers.py; return it once both workers
    measure, with the PID of the one that never answers a stop."""
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bench.stubborn_workers", str(stop_seconds),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert run.stdout is not None
    deaf = 0
    for _ in range(2):
        line = await asyncio.wait_for(run.stdout.readline(), 30)
        _, index, pid = line.split()
        deaf = int(pid) if index == b"1" else deaf
    return run, deaf


async def _next_line(run: asyncio.subprocess.Process) -> str:
    assert run.stdout is not None
    return (await asyncio.wait_for(run.stdout.readline(), 30)).decode().strip()


async def test_a_worker_deaf_to_the_stop_is_ended_and_its_figures_missing() -> None:
    run, deaf = await _stubborn_run(stop_seconds=1.0)
    began = time.monotonic()
    run.send_signal(signal.SIGINT)
    assert await _next_line(run) == "stopped 0"
    message = await _next_line(run)
    report = json.loads(await _next_line(run))
    await asyncio.wait_for(run.wait(), 30)
    assert 1.0 <= time.monotonic() - began < 10  # the stop's bound, then on
    assert re.fullmatch(
        r"interrupted: interrupted after \d+\.\d s of the run \(of 60 s\): the "
        r"report has the figures measured until then; those of 1 of 2 workers "
        r"are missing \(worker 2: it did not answer the stop within 1 s\)",
        message,
    ), message
    assert report["interrupted"] is True
    assert (report["workers"], report["workers_missing"]) == (2, 1)
    assert report["first_missing_worker"] == (
        "worker 2: it did not answer the stop within 1 s"
    )
    assert report["sent"] > 0
    assert report["received"] == 2 * report["sent"]  # the first worker's count
    assert "the figures of 1 of 2 workers are missing" in format_report(report)
    assert not _alive(deaf)


async def test_a_second_ctrl_c_ends_the_run_at_once() -> None:
    run, deaf = await _stubborn_run(stop_seconds=60.0)
    run.send_signal(signal.SIGINT)
    assert await _next_line(run) == "stopped 0"  # the stop is under way
    began = time.monotonic()
    run.send_signal(signal.SIGINT)
    message = await _next_line(run)
    assert await _next_line(run) == "null"  # no report
    await asyncio.wait_for(run.wait(), 30)
    assert time.monotonic() - began < 10  # not the stop's 60 s
    assert message == (
        "interrupted: interrupted again while stopping the workers; no report"
    )
    # Ended with the run (terminated, or by its watch on the coordinator).
    assert await asyncio.to_thread(_gone_within, deaf, 10)


def test_an_interrupted_report_says_so_and_leaves_loss_unknown() -> None:
    result = WorkerResult(
        sent=10, expected=0, received=15, started=100.0, finished=102.5,
        last_delivery=102.0, cpu_seconds=0.5, sending_seconds=2.5,
        sending_cpu_seconds=0.5,
    )  # fmt: skip
    plan = Plan(Spec("fanout", "h", 1, 0, 0, senders=1, seconds=30), clients=4)
    stopped = _Interruption(2.4, workers=2, missing={1: "it failed: boom"})
    report = _traffic_report(plan, [result], None, None, stopped)
    assert list(report)[:6] == [
        "scenario", "interrupted", "measured_seconds", "workers_missing",
        "first_missing_worker", "clients",
    ]  # fmt: skip
    assert report["workers"] == 2
    assert report["first_missing_worker"] == "worker 2: it failed: boom"
    assert report["window_seconds"] == pytest.approx(2.5)  # until the stop
    assert report["per_second"] == pytest.approx(6.0)
    assert (report["expected"], report["lost"], report["loss_fraction"]) == (
        None, None, None
    )  # fmt: skip
    summary = format_report(report)
    assert summary.startswith("hubbub bench fanout (interrupted: partial figures)")
    assert "lost                                   n/a" in summary
    assert "note: interrupted after 2.4 s of the run" in summary


def test_an_interrupted_connect_report_did_not_check_the_hold() -> None:
    result = WorkerResult(
        registered=3, started=100.0, finished=101.0, registration_ms=[1.0] * 3
    )
    plan = Plan(Spec("connect", "h", 1, 0, 0, hold_seconds=60), clients=5)
    report = _connect_report(plan, [result], None, None, _Interruption(1.0, 1, {}))
    assert report["interrupted"] is True
    assert (report["registered"], report["alive_after_hold"]) == (3, None)
    assert "loss" not in format_report(report)


def _read_until(stream: IO[bytes], wanted: bytes, within: float) -> bytes:
    """Read `stream` until `wanted` has come (without blocking past `within`)."""
    seen = b""
    deadline = time.monotonic() + within
    while wanted not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([stream], [], [], max(0.0, left))
        chunk = os.read(stream.fileno(), 4096) if ready else b""
        if not chunk:
            raise AssertionError(f"{wanted!r} did not come: {seen[-500:]!r}")
        seen += chunk
    return seen


def _children_of(pid: int, within: float) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if len(found) >= 2:
            return [int(child) for child in found]
        time.sleep(0.05)
    return []


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def _report_pipe_ends(spec: Spec, pipe: Pipe) -> WorkerResult:
    """A stub scenario: which pipe ends (socket inodes) this worker holds."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            held.add(os.readlink(f"/proc/self/fd/{fd}"))
    pipe.send("ends", sorted(end for end in held if end.startswith("socket:")))
    return WorkerResult()


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="reads /proc (Linux)")
def test_a_worker_holds_no_coordinator_end_of_any_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """So that a worker reads the end of its pipe once the coordinator is
    gone (its own pipe's coordinator end, and those of the workers forked
    before it, came with the fork)."""
    monkeypatch.setitem(SCENARIOS, "ends", _report_pipe_ends)
    workers = _Workers([Spec("ends", "h", 1, n, 1) for n in range(3)])
    try:
        coordinator_ends = {
            os.readlink(f"/proc/self/fd/{pipe.fileno()}") for pipe in workers.pipes
        }
        for pipe in workers.pipes:
            assert pipe.poll(10)
            kind, ends = pipe.recv()
            assert kind == "ends"
            assert ends  # its own end, at least
            assert not coordinator_ends & set(ends)
    finally:
        workers.stop(at_once=True)


async def _quick(spec: Spec, pipe: Pipe) -> WorkerResult:
    """A stub scenario: ready, then progress for a little over a second
    (the progress line is shown once a second), then done."""
    pipe.send("ready")
    await pipe.receive()
    result = WorkerResult(started=time.monotonic())
    for _ in range(6):
        await asyncio.sleep(0.25)
        pipe.send("progress", 1)
    pipe.send("sent", 0)
    await pipe.receive()
    result.finished = time.monotonic()
    return result


class _ClosingStderr:
    """A standard error whose reader goes away (a closed pipe) before the
    progress line's end."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, text: str) -> int:
        if text == "\n":  # the progress line's end (_Progress.end)
            raise BrokenPipeError(32, "Broken pipe")
        self.lines += 1
        return len(text)

    def flush(self) -> None:
        pass


def test_signals_are_let_in_again_when_the_progress_line_cannot_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(SCENARIOS, "quick", _quick)
    plan = Plan(
        Spec("quick", "127.0.0.1", 1, 0, 0, seconds=0.1, drain_seconds=0.0),
        clients=1,
        workers=1,
        progress=True,
    )
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    stderr = _ClosingStderr()
    monkeypatch.setattr(sys, "stderr", stderr)
    with pytest.raises(BrokenPipeError):
        run(plan)
    monkeypatch.undo()
    assert stderr.lines  # a progress line was shown, then could not end
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
