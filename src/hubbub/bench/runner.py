"""The coordinator: starts worker processes, runs one scenario, gathers the figures.

Clients are spread over `workers` processes so the generator is less likely
to be the bottleneck; each worker's own CPU time is reported beside the
server's so a reader can tell when it was.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from hubbub.bench.procstat import ProcessSample, sample_process
from hubbub.bench.scenarios import (
    SCENARIOS,
    Pipe,
    SetupError,
    Spec,
    WorkerResult,
    describe_error,
)
from hubbub.bench.stats import LatencySummary, Loss, micros_per, per_second
from hubbub.bench.wire import new_run_id

COORDINATION_SECONDS = 600.0  # the longest any phase may take before giving up
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class BenchError(Exception):
    """The benchmark could not run (a worker failed, the server vanished)."""


class Interrupted(BenchError):  # noqa: N818 (not an error: the user stopped it)
    """The run was stopped (Ctrl-C, SIGTERM) before it finished."""


@dataclass(frozen=True)
class Plan:
    """One benchmark run: the scenario, its size, and where the server is."""

    spec: Spec  # the template; `first` and `count` are set per worker
    clients: int
    workers: int = 1
    server_pid: int | None = None
    progress: bool = True


def split(plan: Plan) -> list[Spec]:
    """Give each worker a contiguous slice of the clients (pairs stay together)."""
    workers = max(1, min(plan.workers, plan.clients))
    unit = 2 if plan.spec.scenario == "direct" else 1
    units = plan.clients // unit
    specs: list[Spec] = []
    first = 0
    for index in range(workers):
        share = (units // workers + (1 if index < units % workers else 0)) * unit
        if share:
            specs.append(replace(plan.spec, first=first, count=share))
        first += share
    return specs


def _worker_main(spec: Spec, connection: Connection) -> None:
    import uvloop

    # Ctrl-C reaches the whole process group: the coordinator stops the
    # workers, which say nothing. And a worker whose coordinator is gone
    # (killed) ends too, instead of holding its connections for ever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the coordinator's
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # see _Workers
    _end_with_parent()

    try:
        result = uvloop.run(SCENARIOS[spec.scenario](spec, Pipe(connection)))
    except SetupError as error:  # its message is the whole story
        connection.send(("error", str(error)))
        return
    except Exception as error:  # reported to the coordinator, which explains it
        connection.send(("error", describe_error(error)))
        return
    connection.send(("result", asdict(result)))


def _end_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _Workers:
    """The coordinator's side of the worker pipes."""

    def __init__(self, specs: list[Spec]) -> None:
        context = multiprocessing.get_context("fork")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        # A worker is born with the coordinator's handlers (which raise
        # KeyboardInterrupt) until it sets its own: the signals wait meanwhile.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            for spec in specs:
                parent, child = context.Pipe()
                process = context.Process(
                    target=_worker_main, args=(spec, child), daemon=True
                )
                process.start()
                self.pipes.append(parent)
                self.processes.append(process)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        self.progress: list[int] = [0] * len(specs)

    def broadcast(self, *message: Any) -> None:
        for pipe in self.pipes:
            pipe.send(message)

    def gather(self, kind: str, show: Any = None) -> list[tuple[Any, ...]]:
        """Wait until every worker has sent a `kind` message; return them in order."""
        answers: list[tuple[Any, ...] | None] = [None] * len(self.pipes)
        deadline = time.monotonic() + COORDINATION_SECONDS
        while any(answer is None for answer in answers):
            if time.monotonic() > deadline:
                raise BenchError(f"workers did not report {kind!r} in time")
            ready = wait(
                [p for p, a in zip(self.pipes, answers, strict=True) if a is None], 1.0
            )
            for pipe in ready:
                assert isinstance(pipe, Connection)
                index = self.pipes.index(pipe)
                try:
                    message = pipe.recv()
                except EOFError:
                    raise BenchError("a worker process died") from None
                if message[0] == "error":
                    raise BenchError(f"a worker failed: {message[1]}")
                if message[0] == "progress":
                    self.progress[index] = message[1]
                elif message[0] == kind:
                    answers[index] = message
            if show is not None:
                show(sum(self.progress))
        return [answer for answer in answers if answer is not None]

    def stop(self, *, at_once: bool = False) -> None:
        # One deadline for all of them; a worker still running (the run was
        # interrupted) is ended rather than waited for.
        deadline = time.monotonic() + (0 if at_once else 5)
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=1)
                if process.is_alive():
                    process.kill()


def _sample(pid: int | None) -> ProcessSample | None:
    if pid is None:
        return None
    try:
        return sample_process(pid)
    except OSError as error:
        raise BenchError(f"cannot read process {pid}: {error}") from None


class _Progress:
    """The progress line on stderr: one phase after another, ended by a newline."""

    def __init__(self, plan: Plan) -> None:
        self.enabled = plan.progress
        self.shown = False
        self.began = time.monotonic()
        self._last = 0.0
        self._describe: Callable[[int, float], str] | None = None

    def phase(self, describe: Callable[[int, float], str]) -> None:
        """From now on show `describe(count, seconds_since_the_phase_began)`."""
        self._describe = describe
        self.began = time.monotonic()
        self._last = self.began

    def __call__(self, count: int) -> None:
        now = time.monotonic()
        if not self.enabled or self._describe is None or now - self._last < 1.0:
            return
        self._last = now
        sys.stderr.write(f"\r{self._describe(count, now - self.began)}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def end(self) -> None:
        """End the line, so that whatever is written next starts on its own."""
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.shown = False


def run(plan: Plan) -> dict[str, Any]:
    """Run the plan and return the report (a JSON-ready dict).

    Raises:
        BenchError: a worker failed or the server's process could not be read.
        Interrupted: Ctrl-C or SIGTERM (raised as KeyboardInterrupt) came first;
            its message says how far the run had got.
    """
    if not plan.spec.run_id:
        plan = replace(plan, spec=replace(plan.spec, run_id=new_run_id()))
    spec = plan.spec
    specs = split(plan)
    workers = _Workers(specs)
    progress = _Progress(plan)
    clients = sum(s.count for s in specs)
    phase = "setup"
    try:
        if spec.scenario != "connect":
            progress.phase(
                lambda n, _: (
                    f"{spec.scenario}: setting up, {n:,} of {clients:,} "
                    "clients registered"
                )
            )
        workers.gather("ready", progress)
        before = _sample(plan.server_pid)
        workers.progress = [0] * len(workers.pipes)
        workers.broadcast("go")
        phase = "the run"
        if spec.scenario == "connect":
            progress.phase(
                lambda n, t: f"connect: {t:5.1f}s, {n:,} of {clients:,} registered"
            )
            report = _finish_connect(plan, workers, before, progress)
        else:
            pingpong = spec.scenario == "direct" and spec.mode == "pingpong"
            label = "messages received" if pingpong else "deliveries"
            progress.phase(
                lambda n, t: (
                    f"{spec.scenario}: {t:5.1f}s / {spec.seconds:g}s "
                    f"(then up to {spec.drain_seconds:g}s to drain), {n:,} {label}"
                )
            )
            sent = sum(message[1] for message in workers.gather("sent", progress))
            workers.broadcast("total", sent)
            answers = workers.gather("result", progress)
            results = [WorkerResult(**message[1]) for message in answers]
            after = _sample(plan.server_pid)
            report = _traffic_report(plan, results, before, after)
        phase = "done"
        return report
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted after {time.monotonic() - progress.began:.1f} s of "
            f"{phase}, with {sum(workers.progress):,} counted; no report"
        ) from None
    finally:
        progress.end()
        workers.stop(at_once=phase != "done")


def _finish_connect(
    plan: Plan,
    workers: _Workers,
    before: ProcessSample | None,
    progress: _Progress,
) -> dict[str, Any]:
    workers.gather("registered", progress)
    after = _sample(plan.server_pid)
    workers.broadcast("continue")
    results = [WorkerResult(**m[1]) for m in workers.gather("result")]
    registered = sum(r.registered for r in results)
    window = max(r.finished for r in results) - min(r.started for r in results)
    report: dict[str, Any] = {
        "scenario": "connect",
        "clients": plan.clients,
        "workers": len(results),
        "in_flight": plan.spec.in_flight * len(results),
        "registered": registered,
        "failures": sum(r.failures for r in results),
        "first_failure": next(
            (r.first_failure for r in results if r.first_failure), ""
        ),
        "seconds": window,
        "registrations_per_second": per_second(registered, window),
        "registration_latency": asdict(
            LatencySummary.of(ms for r in results for ms in r.registration_ms)
        ),
        "hold_seconds": plan.spec.hold_seconds,
        "alive_after_hold": sum(r.alive for r in results),
        "disconnected": sum(r.disconnected for r in results),
        "first_disconnect": next(
            (r.first_disconnect for r in results if r.first_disconnect), ""
        ),
        "generator_cpu_seconds": sum(r.cpu_seconds for r in results),
    }
    if before is not None and after is not None:
        report["server_rss_before_bytes"] = before.rss_bytes
        report["server_rss_after_bytes"] = after.rss_bytes
        grown = after.rss_bytes - before.rss_bytes
        report["server_bytes_per_client"] = grown / registered if registered else 0.0
        report["server_cpu_seconds"] = after.cpu_seconds - before.cpu_seconds
    return report


def _traffic_report(
    plan: Plan,
    results: list[WorkerResult],
    before: ProcessSample | None,
    after: ProcessSample | None,
) -> dict[str, Any]:
    spec = plan.spec
    received = sum(r.received for r in results)
    loss = Loss(sum(r.expected for r in results), received)
    started = min(r.started for r in results)
    ended = max(
        max(r.last_delivery, r.finished if spec.scenario == "direct" else 0.0)
        for r in results
    )
    window = max(0.0, ended - started)
    generator_cpu = sum(r.cpu_seconds for r in results)
    # Over the sending window only: the drain after it is mostly waiting.
    busiest = max(r.sending_cpu_seconds / max(1e-9, r.sending_seconds) for r in results)
    unacknowledged = sum(r.unacknowledged for r in results)
    report: dict[str, Any] = {
        "scenario": spec.scenario,
        "clients": plan.clients,
        "workers": len(results),
        "seconds": spec.seconds,
        "message_bytes": spec.size,
        "sent": sum(r.sent for r in results),
        "expected": loss.expected,
        "received": received,
        "lost": loss.lost,
        "loss_fraction": loss.fraction,
        "window_seconds": window,
        "per_second": per_second(received, window),
        "latency": asdict(
            LatencySummary.of(ms for r in results for ms in r.samples_ms)
        ),
        "generator_cpu_seconds": generator_cpu,
        "generator_busiest_worker_utilisation": busiest,
        "generator_was_bottleneck": busiest > 0.9,
        "run_id": spec.run_id,
        "foreign": sum(r.foreign for r in results),
        "disconnected": sum(r.disconnected for r in results),
        "first_disconnect": next(
            (r.first_disconnect for r in results if r.first_disconnect), ""
        ),
        "drain_seconds": spec.drain_seconds,
        "unacknowledged": unacknowledged,
        # Written by clients the server then closed, never acknowledged: not
        # expected (deliveries of them still count as received).
        "in_doubt": sum(r.in_doubt for r in results),
        "server_fell_behind": unacknowledged > 0
        or any(r.drain_ran_out for r in results),
    }
    if spec.scenario == "fanout":
        report.update(
            senders=spec.senders, rate=spec.rate or "flat out", window=spec.window
        )
    else:
        report.update(pairs=plan.clients // 2, mode=spec.mode)
        if spec.mode == "pingpong":
            report["stalled_pairs"] = sum(r.stalled_pairs for r in results)
    if before is not None and after is not None:
        cpu = after.cpu_seconds - before.cpu_seconds
        report["server_cpu_seconds"] = cpu
        report["server_cpu_us_per_delivery"] = micros_per(cpu, received)
        # The event loop's thread, and the rest (a history writer's thread):
        # where the server's CPU goes.
        main = after.main_thread_cpu_seconds - before.main_thread_cpu_seconds
        report["server_main_thread_us_per_delivery"] = micros_per(main, received)
        others = round(cpu - main, 6)  # whole clock ticks, without float dust
        report["server_other_threads_us_per_delivery"] = micros_per(others, received)
        # The kernel's part of it (system time, all threads): what the same
        # traffic costs any server, next to what is the server's own.
        system = round(after.system_cpu_seconds - before.system_cpu_seconds, 6)
        report["server_kernel_us_per_delivery"] = micros_per(system, received)
        report["server_rss_bytes"] = after.rss_bytes
    return report


def format_report(report: dict[str, Any]) -> str:
    """A readable summary of a report."""
    lines = [f"hubbub bench {report['scenario']}"]
    for key, value in report.items():
        if key == "scenario":
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            lines.append(f"  {key:<38} {inner}")
        else:
            lines.append(f"  {key:<38} {_fmt(value)}")
    if report.get("disconnected"):
        lines.append(
            f"  note: the server disconnected {report['disconnected']:,} clients;"
            f" the first: {report['first_disconnect']}"
        )
    if report.get("server_fell_behind"):
        late = report.get("unacknowledged")
        lines.append(
            "  note: the server fell behind: "
            + (f"{late:,} messages sent had no PONG yet and " if late else "")
            + f"deliveries were missing {report['drain_seconds']:g} s after "
            "sending stopped (counted as lost; see --drain)"
        )
    if report.get("foreign"):
        lines.append(
            f"  note: {report['foreign']:,} PRIVMSGs from outside this run "
            "(another run? other users?) were received and not counted"
        )
    if report.get("generator_was_bottleneck"):
        lines.append(
            "  note: a generator worker used over 90% of a core; add --workers "
            "so the server, not the generator, sets the pace"
        )
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
