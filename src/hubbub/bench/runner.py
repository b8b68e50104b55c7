"""The coordinator: starts worker processes, runs one scenario, gathers the figures.

Clients are spread over `workers` processes so the generator is less likely
to be the bottleneck; each worker's own CPU time is reported beside the
server's so a reader can tell when it was.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any, NoReturn

from hubbub.bench.procstat import ProcessSample, sample_process
from hubbub.bench.scenarios import (
    SCENARIOS,
    SETUP_SLACK_SECONDS,
    Pipe,
    SetupError,
    Spec,
    WorkerResult,
    default_setup_seconds,
    describe_error,
)
from hubbub.bench.stats import LatencySummary, Loss, micros_per, per_second
from hubbub.bench.wire import new_run_id

COORDINATION_SECONDS = 600.0  # the longest a phase may take beyond its plan
STOP_SECONDS = 5.0  # how long workers get to answer a stop with their figures
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class BenchError(Exception):
    """The benchmark could not run (a worker failed, the server vanished)."""


class Interrupted(BenchError):  # noqa: N818 (not an error: the user stopped it)
    """The run was stopped (Ctrl-C, SIGTERM) before it finished.

    `report` has the figures measured until then (marked `interrupted`), or is
    None when there were none to give (the setup was interrupted, or a second
    signal ended the run at once).
    """

    def __init__(self, message: str, report: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Plan:
    """One benchmark run: the scenario, its size, and where the server is."""

    spec: Spec  # the template; `first` and `count` are set per worker
    clients: int
    workers: int = 1
    server_pid: int | None = None
    progress: bool = True
    # Interrupted: how long the workers get to send their figures before the
    # ones that have not are ended (and the report says theirs are missing).
    stop_seconds: float = STOP_SECONDS


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


def _worker_main(
    spec: Spec, connection: Connection, coordinator_ends: list[Connection]
) -> None:
    import uvloop

    # The coordinator's ends of the pipes made so far came with the fork:
    # closed, so that this worker reads the end of its pipe (EOFError) once
    # the coordinator is gone.
    for end in coordinator_ends:
        end.close()

    # Ctrl-C reaches the whole process group: the coordinator stops the
    # workers (it asks them to, see Pipe.until_stopped), which say nothing.
    # And a worker whose coordinator is gone (killed) ends too, instead of
    # holding its connections for ever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the coordinator's
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # see run()
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


def _wait(pipes: list[Connection], timeout: float) -> list[Any]:
    """Wait for any of `pipes`: the one place where SIGINT and SIGTERM come in.

    The coordinator holds them back otherwise (see run()), so the
    KeyboardInterrupt they raise lands here, where nothing has been read yet,
    never halfway through reading a worker's message: after an interrupt
    every pipe is whole, and the workers can still be asked for their figures.
    """
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        return wait(pipes, timeout)
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)


class _Workers:
    """The coordinator's side of the worker pipes."""

    def __init__(self, specs: list[Spec]) -> None:
        context = multiprocessing.get_context("fork")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        # A worker is born with the coordinator's handlers (which raise
        # KeyboardInterrupt) until it sets its own: the signals, held back
        # by run(), wait meanwhile.
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(
                target=_worker_main,
                args=(spec, child, [*self.pipes, parent]),
                daemon=True,
            )
            process.start()
            child.close()  # the worker's: its end of file says it is gone
            self.pipes.append(parent)
            self.processes.append(process)
        self.progress: list[int] = [0] * len(specs)
        # Each worker's result, whenever it came (a stop may follow a gather).
        self.results: list[dict[str, Any] | None] = [None] * len(specs)

    def broadcast(self, *message: Any) -> None:
        for pipe in self.pipes:
            pipe.send(message)

    def _read(self, index: int) -> tuple[Any, ...]:
        """Worker `index`'s next message; its progress and result are kept.

        Raises:
            EOFError: its process is gone.
        """
        message: tuple[Any, ...] = self.pipes[index].recv()
        if message[0] == "progress":
            self.progress[index] = message[1]
        elif message[0] == "result":
            self.results[index] = message[1]
        return message

    def gather(
        self, kind: str, show: Any = None, seconds: float = COORDINATION_SECONDS
    ) -> list[tuple[Any, ...]]:
        """Wait until every worker has sent a `kind` message; return them in order."""
        answers: list[tuple[Any, ...] | None] = [None] * len(self.pipes)
        deadline = time.monotonic() + seconds
        while any(answer is None for answer in answers):
            if time.monotonic() > deadline:
                raise BenchError(f"workers did not report {kind!r} in time")
            ready = _wait(
                [p for p, a in zip(self.pipes, answers, strict=True) if a is None], 1.0
            )
            for pipe in ready:
                index = self.pipes.index(pipe)
                try:
                    message = self._read(index)
                except EOFError:
                    raise BenchError("a worker process died") from None
                if message[0] == "error":
                    raise BenchError(f"a worker failed: {message[1]}")
                if message[0] == kind:
                    answers[index] = message
            if show is not None:
                show(sum(self.progress))
        return [answer for answer in answers if answer is not None]

    def stop_measuring(self, seconds: float, show: Any = None) -> dict[int, str]:
        """Ask every worker without a result yet to "stop" and send it now.

        Waits `seconds` at most; a worker that has not answered by then is
        killed. Returns why each worker left without a result, by index
        (empty when all answered); the results are in `self.results`.
        """
        pending = {i for i, result in enumerate(self.results) if result is None}
        for index in pending:
            with contextlib.suppress(OSError):  # it is gone: its pipe says so below
                self.pipes[index].send(("stop",))
        missing: dict[int, str] = {}
        deadline = time.monotonic() + seconds
        while pending and (left := deadline - time.monotonic()) > 0:
            for pipe in _wait([self.pipes[i] for i in sorted(pending)], min(1.0, left)):
                index = self.pipes.index(pipe)
                try:
                    message = self._read(index)
                except (EOFError, OSError):
                    missing[index] = "its process ended without them"
                    pending.discard(index)
                    continue
                if message[0] == "error":
                    missing[index] = f"it failed: {message[1]}"
                    pending.discard(index)
                elif self.results[index] is not None:
                    pending.discard(index)
            if show is not None:
                show(sum(self.progress))
        for index in sorted(pending):
            missing[index] = f"it did not answer the stop within {seconds:g} s"
            self.processes[index].kill()
        return missing

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

    def say(self, text: str) -> None:
        """Show `text` now, and no more counts."""
        self._describe = None
        if self.enabled:
            sys.stderr.write(f"\r{text}\x1b[K")
            sys.stderr.flush()
            self.shown = True

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


@dataclass(frozen=True)
class _Interruption:
    """How an interrupted run ended: what its report must say."""

    measured_seconds: float  # from "go" to the stop
    workers: int
    missing: dict[int, str]  # why, for each worker whose figures are missing

    def fields(self) -> dict[str, Any]:
        first = min(self.missing, default=None)
        return {
            "interrupted": True,
            "measured_seconds": self.measured_seconds,
            "workers_missing": len(self.missing),
            "first_missing_worker": (
                "" if first is None else f"worker {first + 1}: {self.missing[first]}"
            ),
        }


def run(plan: Plan) -> dict[str, Any]:
    """Run the plan and return the report (a JSON-ready dict).

    SIGINT and SIGTERM, when their handlers raise KeyboardInterrupt (Python's
    own SIGINT handler does), stop the run. During the setup everything ends
    at once. During the measurement the workers are asked to stop and send
    what they have counted, for at most `plan.stop_seconds`; a second signal
    meanwhile ends everything at once.

    Raises:
        BenchError: a worker failed or the server's process could not be read.
        Interrupted: the run was stopped; its message says how far it had got,
            and its `report` has the figures measured until then, if any.
    """
    if not plan.spec.run_id:
        plan = replace(plan, spec=replace(plan.spec, run_id=new_run_id()))
    if not plan.spec.setup_timeout_seconds:
        seconds = default_setup_seconds(plan.clients, plan.spec.connect_timeout_seconds)
        plan = replace(plan, spec=replace(plan.spec, setup_timeout_seconds=seconds))
    # Held back but for the waits for the workers (see _wait); and held back
    # in the workers until they have set their own handlers.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    coordinator: _Coordinator | None = None
    report: dict[str, Any] | None = None
    try:
        try:
            coordinator = _Coordinator(plan)
            report = coordinator.run()
        finally:
            try:
                try:
                    if coordinator is not None:
                        coordinator.progress.end()  # may fail: a closed stderr
                finally:
                    # A signal held back since the last wait arrives here.
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
            finally:
                if coordinator is not None:
                    coordinator.workers.stop(at_once=not coordinator.finished)
    except KeyboardInterrupt:
        if report is not None:
            raise Interrupted(
                "interrupted as the run ended; its report is complete", report
            ) from None
        doing = coordinator.doing if coordinator is not None else "starting"
        raise Interrupted(f"interrupted {doing}; no report") from None
    return report


class _Coordinator:
    """One run, phase by phase, as the coordinator sees it."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.doing = "starting the workers"  # for a message if interrupted
        self.finished = False  # the workers end by themselves: none to kill
        self.progress = _Progress(plan)
        self.workers = _Workers(split(plan))
        self.after: ProcessSample | None = None  # connect: read at "registered"

    def run(self) -> dict[str, Any]:
        plan, spec, clients = self.plan, self.plan.spec, self.plan.clients
        workers, progress = self.workers, self.progress
        self.doing = "while setting up"
        if spec.scenario != "connect":
            progress.phase(
                lambda n, _: (
                    f"{spec.scenario}: setting up, {n:,} of {clients:,} "
                    "clients registered"
                )
            )
        try:
            workers.gather(
                "ready", progress, spec.setup_timeout_seconds + SETUP_SLACK_SECONDS
            )
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted after {time.monotonic() - progress.began:.1f} s of "
                f"setup, with {sum(workers.progress):,} counted; no report"
            ) from None
        before = _sample(plan.server_pid)
        workers.progress = [0] * len(workers.pipes)
        workers.broadcast("go")
        began = time.monotonic()
        self.doing = "during the run"
        try:
            if spec.scenario == "connect":
                report = self._connect(before)
            else:
                report = self._traffic(before)
        except KeyboardInterrupt:
            self._stop(before, time.monotonic() - began)  # raises Interrupted
        self.finished = True
        return report

    def _connect(self, before: ProcessSample | None) -> dict[str, Any]:
        plan, spec, clients = self.plan, self.plan.spec, self.plan.clients
        self.progress.phase(
            lambda n, t: f"connect: {t:5.1f}s, {n:,} of {clients:,} registered"
        )
        self.workers.gather("registered", self.progress)
        self.after = _sample(plan.server_pid)
        self.workers.broadcast("continue")
        answers = self.workers.gather(
            "result", seconds=spec.hold_seconds + COORDINATION_SECONDS
        )
        results = [WorkerResult(**m[1]) for m in answers]
        return _connect_report(plan, results, before, self.after)

    def _traffic(self, before: ProcessSample | None) -> dict[str, Any]:
        plan, spec = self.plan, self.plan.spec
        pingpong = spec.scenario == "direct" and spec.mode == "pingpong"
        label = "messages received" if pingpong else "deliveries"
        self.progress.phase(
            lambda n, t: (
                f"{spec.scenario}: {t:5.1f}s / {spec.seconds:g}s "
                f"(then up to {spec.drain_seconds:g}s to drain), {n:,} {label}"
            )
        )
        planned = spec.seconds + spec.drain_seconds + COORDINATION_SECONDS
        answers = self.workers.gather("sent", self.progress, planned)
        self.workers.broadcast("total", sum(message[1] for message in answers))
        answers = self.workers.gather("result", self.progress)
        results = [WorkerResult(**message[1]) for message in answers]
        after = _sample(plan.server_pid)
        return _traffic_report(plan, results, before, after)

    def _stop(self, before: ProcessSample | None, measured: float) -> NoReturn:
        """Ask the workers for what they have measured; report it as interrupted."""
        plan, spec = self.plan, self.plan.spec
        self.doing = "again while stopping the workers"
        self.progress.say(
            f"{spec.scenario}: stopping after {measured:.1f} s; waiting up to "
            f"{plan.stop_seconds:g} s for the workers' figures "
            "(Ctrl-C again to quit at once)"
        )
        missing = self.workers.stop_measuring(plan.stop_seconds, self.progress)
        self.finished = True  # those that answered are ending; the others are dead
        results = [WorkerResult(**r) for r in self.workers.results if r is not None]
        interruption = _Interruption(measured, len(self.workers.pipes), missing)
        if not results:
            first = interruption.fields()["first_missing_worker"]
            raise Interrupted(
                f"interrupted after {measured:.1f} s of the run; no worker sent "
                f"its figures ({first}); no report"
            )
        try:
            after = self.after or _sample(plan.server_pid)
        except BenchError:
            after = None  # the server is gone: the report goes without its figures
        if spec.scenario == "connect":
            report = _connect_report(plan, results, before, after, interruption)
        else:
            report = _traffic_report(plan, results, before, after, interruption)
        planned = "" if spec.scenario == "connect" else f" (of {spec.seconds:g} s)"
        message = (
            f"interrupted after {measured:.1f} s of the run{planned}: the report "
            "has the figures measured until then"
        )
        if missing:
            message += (
                f"; those of {len(missing)} of {len(self.workers.pipes)} workers are "
                f"missing ({interruption.fields()['first_missing_worker']})"
            )
        raise Interrupted(message, report)


def _head(
    plan: Plan, results: list[WorkerResult], interruption: _Interruption | None
) -> dict[str, Any]:
    """The report's first fields: what ran, and whether it was interrupted."""
    head: dict[str, Any] = {"scenario": plan.spec.scenario}
    if interruption is not None:
        head.update(interruption.fields())
    workers = len(results) if interruption is None else interruption.workers
    head.update(clients=plan.clients, workers=workers)
    return head


def _connect_report(
    plan: Plan,
    results: list[WorkerResult],
    before: ProcessSample | None,
    after: ProcessSample | None,
    interruption: _Interruption | None = None,
) -> dict[str, Any]:
    registered = sum(r.registered for r in results)
    window = max(r.finished for r in results) - min(r.started for r in results)
    report: dict[str, Any] = {
        **_head(plan, results, interruption),
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
        # Not checked when the run was interrupted before the check.
        "alive_after_hold": None if interruption else sum(r.alive for r in results),
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
    interruption: _Interruption | None = None,
) -> dict[str, Any]:
    spec = plan.spec
    received = sum(r.received for r in results)
    loss = Loss(sum(r.expected for r in results), received)
    started = min(r.started for r in results)
    ended = max(
        max(
            r.last_delivery,
            r.finished if spec.scenario == "direct" or interruption else 0.0,
        )
        for r in results
    )
    window = max(0.0, ended - started)
    generator_cpu = sum(r.cpu_seconds for r in results)
    # Over the sending window only: the drain after it is mostly waiting.
    busiest = max(r.sending_cpu_seconds / max(1e-9, r.sending_seconds) for r in results)
    unacknowledged = sum(r.unacknowledged for r in results)
    report: dict[str, Any] = {
        **_head(plan, results, interruption),
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
    if interruption is not None:
        # Stopped before the drain, with messages still in flight: what was
        # lost, or left behind, is not known (null, not zero).
        for key in ("expected", "lost", "loss_fraction", "unacknowledged"):
            report[key] = None
        report.update(in_doubt=None, server_fell_behind=None)
        if "stalled_pairs" in report:
            report["stalled_pairs"] = None
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
    interrupted = " (interrupted: partial figures)" if report.get("interrupted") else ""
    lines = [f"hubbub bench {report['scenario']}{interrupted}"]
    for key, value in report.items():
        if key == "scenario":
            continue
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            lines.append(f"  {key:<38} {inner}")
        else:
            lines.append(f"  {key:<38} {_fmt(value)}")
    if report.get("interrupted"):
        traffic = report["scenario"] != "connect"
        lines.append(
            f"  note: interrupted after {report['measured_seconds']:.1f} s of the "
            "run: the figures are of that time only"
            + ("; loss was not measured (messages were in flight)" if traffic else "")
        )
    if report.get("workers_missing"):
        lines.append(
            f"  note: the figures of {report['workers_missing']} of "
            f"{report['workers']} workers are missing; the first: "
            f"{report['first_missing_worker']}"
        )
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
