"""Run the same `hubbub bench` scenarios against hubbub, ngIRCd and InspIRCd.

    .venv/bin/python benchmarks/run.py            # the full comparison (minutes)
    .venv/bin/python benchmarks/run.py --quick    # a smoke run with tiny numbers

Every run starts its server fresh on a free loopback port (from the
configuration templates in `benchmarks/configs/`), runs one scenario against
it with the server's PID so its CPU time and memory are read from /proc, and
stops it again. The servers take turns (hubbub, ngircd, inspircd, hubbub, ...)
so that a slow patch of the machine falls on all of them alike. The table
gives the median of the repetitions (with the range) and hubbub's ratio to
each peer; the JSON has every run's full report.

The load comes from `hubbub bench` itself, called through its Python API
(`hubbub.bench.runner.run`), which takes the same settings as its command
line (`--setup-in-flight`, `--connect-timeout` and the rest) without a
subprocess per turn; ngIRCd's listen backlog of 10 is why setup runs 10
registrations at a time for it (see README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hubbub.bench.scenarios import Spec

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "configs"
MOTD = CONFIGS / "motd.txt"
HOST = "127.0.0.1"  # every server listens on loopback only
START_SECONDS = 20.0  # a server that does not accept connections by then failed
STOP_SECONDS = 20.0  # SIGTERM, then SIGKILL after this long
PEER_USER = "irc"  # the peers drop root for this user (both refuse to stay root)
QUIET_BUSY = 0.15  # before each run, wait for the machine to be this idle...
QUIET_WAIT_SECONDS = 10.0  # ...but no longer than this
MAX_OTHER_LOAD = 0.10  # a run during which others took more is run again


@dataclass(frozen=True)
class HubbubSource:
    """Which hubbub is measured (and drives the load): a git revision or the tree."""

    src: Path | None = None  # an exported revision's src/; None: the installed one
    revision: str = "working tree"


# Set once by main() before anything imports hubbub (see --hubbub-rev).
HUBBUB = HubbubSource()


# Servers


@dataclass(frozen=True)
class Server:
    """How to start one kind of server from its configuration template."""

    name: str
    template: str  # file in benchmarks/configs/ (or an absolute path)
    argv: Callable[[Path, int, Path], list[str]]  # (config, port, workdir) -> argv
    version: Callable[[], str]
    binary: str
    # Registrations in flight while fanout and direct set up their clients
    # (not measured). ngIRCd's listen backlog is 10: more at once and the
    # kernel drops SYNs, whose retries back off past the bench's 60 s
    # registration timeout. InspIRCd finishes registrations only on its
    # once-a-second user tick, so it needs many at once to set up quickly.
    setup_in_flight: int = 200
    is_hubbub: bool = False

    def available(self) -> bool:
        """Whether the server's program is installed."""
        return Path(self.binary).exists() or shutil.which(self.binary) is not None


def _hubbub_argv(config: Path, port: int, workdir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hubbub",
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
        "--data-dir",
        str(workdir / "data"),
        "--log-level",
        "warning",
    ]


def _git(*args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(HERE.parent), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


def _hubbub_version() -> str:
    import hubbub

    try:
        from hubbub import compiled

        hot_path = compiled.describe()
    except ImportError:  # a revision from before the compiled build
        hot_path = "pure Python"
    if HUBBUB.src is not None:
        return f"hubbub {hubbub.__version__} (commit {HUBBUB.revision}; {hot_path})"
    described = _git("describe", "--always", "--dirty") or "no git"
    return f"hubbub {hubbub.__version__} (working tree at {described}; {hot_path})"


def export_revision(revision: str, into: Path, build: str) -> HubbubSource:
    """Export a git revision of this repository into `into` (git archive).

    With `build` "compiled", its hot path is compiled there by mypyc, as
    `HUBBUB_COMPILE=1 pip install .` does (setup.py; needs mypy, which the dev
    extra installs); "pure" leaves it plain Python.
    """
    sha = _git("rev-parse", "--verify", f"{revision}^{{commit}}")
    if not sha:
        raise SystemExit(f"not a revision of {HERE.parent}: {revision!r}")
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", sha],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    if build == "compiled":
        if not (into / "setup.py").exists():
            raise SystemExit(
                f"{revision} has no setup.py: measure it with --hubbub-build pure"
            )
        print(f"compiling the hot path of {sha[:10]} with mypyc ...", flush=True)
        compiling = subprocess.run(
            [sys.executable, "setup.py", "build_ext", "--inplace"],
            cwd=into,
            env={**os.environ, "HUBBUB_COMPILE": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        if compiling.returncode != 0:
            raise SystemExit(
                f"mypyc could not compile {revision}:\n{compiling.stderr[-3000:]}"
            )
    return HubbubSource(into / "src", sha)  # the version says how it was built


def _first_line(argv: list[str]) -> Callable[[], str]:
    def version() -> str:
        try:
            out = subprocess.run(
                argv, capture_output=True, text=True, timeout=10, check=False
            )
        except OSError as error:
            return f"unavailable ({error})"
        lines = (out.stdout or out.stderr).strip().splitlines()
        return lines[0] if lines else "unknown"

    return version


SERVERS: dict[str, Server] = {
    "hubbub": Server(
        "hubbub",
        "hubbub.toml",
        _hubbub_argv,
        _hubbub_version,
        sys.executable,
        is_hubbub=True,
    ),
    "ngircd": Server(
        "ngircd",
        "ngircd.conf",
        lambda config, port, workdir: ["/usr/sbin/ngircd", "-n", "-f", str(config)],
        _first_line(["/usr/sbin/ngircd", "--version"]),
        "/usr/sbin/ngircd",
        setup_in_flight=10,
    ),
    "inspircd": Server(
        "inspircd",
        "inspircd.conf",
        lambda config, port, workdir: [
            "/usr/sbin/inspircd",
            "--nofork",
            "--nopid",
            "--runasroot",  # refused otherwise; it drops to PEER_USER itself
            "--config",
            str(config),
        ],
        _first_line(["/usr/sbin/inspircd", "--version"]),
        "/usr/sbin/inspircd",
    ),
    # Not a chat server: the floor any Python server on uvloop stands on here
    # (floor_server.py). Only with --servers ...,pyfloor.
    "pyfloor": Server(
        "pyfloor",
        "",  # no configuration: it takes only --port
        lambda config, port, workdir: [
            sys.executable,
            str(HERE / "floor_server.py"),
            "--port",
            str(port),
        ],
        lambda: f"floor_server.py (Python {platform.python_version()}, uvloop)",
        sys.executable,
    ),
}


@dataclass
class Running:
    """A started server."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log: Path

    def log_tail(self, lines: int = 15) -> str:
        """The end of the server's output (for error reports)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(server: Server, port: int, workdir: Path) -> Path:
    """Fill in the server's configuration template; return the file written."""
    as_root = os.geteuid() == 0
    values = {
        "port": str(port),
        "dir": str(workdir),
        "motd": str(MOTD),
        # InspIRCd cannot switch users unless it is root.
        "runas": f'runasuser="{PEER_USER}" runasgroup="{PEER_USER}"' if as_root else "",
    }
    if server.template:
        text = Template((CONFIGS / server.template).read_text()).substitute(values)
        path = workdir / Path(server.template).name
        path.write_text(text)
    else:
        path = workdir  # a server without a configuration file
    (workdir / "conf.d").mkdir()  # ngIRCd's IncludeDir: empty on purpose
    (workdir / "data").mkdir()
    if as_root and not server.is_hubbub:
        # The peers write their logs after switching to PEER_USER.
        user = pwd.getpwnam(PEER_USER)
        os.chown(workdir, user.pw_uid, user.pw_gid)
    return path


def _wait_until_listening(running: Running) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(
                f"{running.name} exited with {running.process.returncode}:\n"
                + running.log_tail()
            )
        with (
            contextlib.suppress(OSError),
            socket.create_connection((HOST, running.port), timeout=1),
        ):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{running.name} did not listen within {START_SECONDS:.0f} s")


@contextlib.contextmanager
def started(server: Server) -> Iterator[Running]:
    """Start a fresh server on a free loopback port; stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{server.name}-") as name:
        workdir = Path(name)
        port = free_port()
        config = write_config(server, port, workdir)
        log = workdir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBBUB_")}
        if server.is_hubbub and HUBBUB.src is not None:
            env["PYTHONPATH"] = str(HUBBUB.src)
        with log.open("wb") as output:
            process = subprocess.Popen(
                server.argv(config, port, workdir),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=env,
            )
        running = Running(server.name, process, port, workdir, log)
        try:
            _wait_until_listening(running)
            time.sleep(0.3)  # let it settle after the probe connection
            yield running
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Scenarios


@dataclass(frozen=True)
class Scenario:
    """One `hubbub bench` scenario and the figures the table shows for it."""

    name: str
    title: str
    kind: str  # fanout, direct, connect
    clients: int
    workers: int = 2
    seconds: float = 5.0
    senders: int = 0
    rate: float = 0.0
    bursts: bool = False  # fanout at a rate: the senders start together
    window: int = 100
    in_flight: int = 0  # connect: registrations in flight over all workers
    hold_seconds: float = 0.0
    connect_timeout_seconds: float = 60.0
    servers: tuple[str, ...] | None = None  # None: every server
    repeat: int | None = None  # None: --repeat
    command: str = ""  # the equivalent `hubbub bench` command line, for README

    def spec(self, port: int, setup_in_flight: int) -> Spec:
        """The bench Spec for a server on `port`.

        `connect` measures registration with `in_flight`; `fanout` and `direct`
        register their clients first, `setup_in_flight` at a time (the server's
        own choice: it is not measured).
        """
        from hubbub.bench.scenarios import Spec

        return Spec(
            self.kind,
            HOST,
            port,
            0,
            0,
            seconds=self.seconds,
            senders=min(self.senders, self.clients),
            rate=self.rate,
            bursts=self.bursts,
            window=self.window,
            in_flight=max(1, (self.in_flight or setup_in_flight) // self.workers),
            hold_seconds=self.hold_seconds,
            mode="pingpong",
            connect_timeout_seconds=self.connect_timeout_seconds,
            prefix="b",
        )


def full_scenarios() -> list[Scenario]:
    """The scenarios the issue's targets are stated for."""
    return [
        Scenario(
            "fanout_flat",
            "fanout, 100 clients, 10 senders, flat out",
            "fanout",
            100,
            senders=10,
            command="fanout --clients 100 --senders 10 --seconds 5 --workers 2",
        ),
        Scenario(
            "fanout_rate",
            "fanout, 1000 clients, 5 senders, 50 msg/s total",
            "fanout",
            1000,
            senders=5,
            rate=50,
            command="fanout --clients 1000 --senders 5 --rate 50 --seconds 5 "
            "--workers 2",
        ),
        Scenario(
            "fanout_rate_bursts",
            "the same, the 5 senders starting together (bursts of 5 messages)",
            "fanout",
            1000,
            senders=5,
            rate=50,
            bursts=True,
            command="fanout --clients 1000 --senders 5 --rate 50 --bursts "
            "--seconds 5 --workers 2",
        ),
        Scenario(
            "direct_pingpong",
            "direct ping-pong, 50 pairs",
            "direct",
            100,
            command="direct --pairs 50 --seconds 5 --workers 2",
        ),
        Scenario(
            "connect_5000",
            "register 5,000 clients, 1,000 in flight; memory per idle client",
            "connect",
            5000,
            in_flight=1000,
            command="connect --clients 5000 --in-flight 1000 --workers 2",
        ),
        Scenario(
            "hold_19k",
            "hold 19,000 registered clients 10 s, then PING each",
            "connect",
            19000,
            workers=4,
            in_flight=1000,
            hold_seconds=10,
            servers=("hubbub",),
            repeat=1,
            command="connect --clients 19000 --in-flight 1000 --workers 4 --hold 10",
        ),
    ]


def quick_scenarios() -> list[Scenario]:
    """The same shapes with tiny numbers: a smoke run of a few seconds."""
    return [
        Scenario("fanout_flat", "fanout flat out (smoke)", "fanout", 10, 1, 1, 3),
        Scenario(
            "fanout_rate", "fanout at a rate (smoke)", "fanout", 20, 1, 1, 2, rate=20
        ),
        Scenario("direct_pingpong", "direct ping-pong (smoke)", "direct", 4, 1, 1),
        Scenario("connect_5000", "connect (smoke)", "connect", 50, 1, in_flight=50),
        Scenario(
            "hold_19k",
            "hold (smoke)",
            "connect",
            20,
            1,
            hold_seconds=0.5,
            servers=("hubbub",),
            repeat=1,
        ),
    ]


# Figures


@dataclass(frozen=True)
class Figure:
    """One figure of a report, for the table."""

    label: str
    read: Callable[[dict[str, Any]], float | None]
    digits: int = 2
    ratio: bool = True  # whether hubbub's ratio to the peers means anything


def _get(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def read(report: dict[str, Any]) -> float | None:
        value: Any = report
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return float(value) if isinstance(value, int | float) else None

    return read


def _own(report: dict[str, Any]) -> float | None:
    """The server's CPU per delivery less its kernel time: its own code's."""
    cpu = _get("server_cpu_us_per_delivery")(report)
    kernel = _get("server_kernel_us_per_delivery")(report)
    return None if cpu is None or kernel is None else cpu - kernel


TRAFFIC = [
    Figure("server CPU µs per delivery", _get("server_cpu_us_per_delivery"), 3),
    Figure(
        "main thread µs per delivery", _get("server_main_thread_us_per_delivery"), 3
    ),
    Figure(
        "other threads µs per delivery",
        _get("server_other_threads_us_per_delivery"),
        3,
        ratio=False,
    ),
    Figure("kernel µs per delivery", _get("server_kernel_us_per_delivery"), 3),
    Figure("own µs per delivery (CPU less kernel)", _own, 3),
    Figure("deliveries per second", _get("per_second"), 0),
    Figure("latency p50 ms", _get("latency", "p50_ms"), 1),
    Figure("latency p99 ms", _get("latency", "p99_ms"), 1),
    Figure("lost", _get("lost"), 0, ratio=False),
    Figure("generator CPU s", _get("generator_cpu_seconds"), 2),
    Figure("generator busiest worker", _get("generator_busiest_worker_utilisation")),
    Figure("server CPU s", _get("server_cpu_seconds"), 2),
]
DIRECT = [
    Figure("server CPU µs per message", _get("server_cpu_us_per_delivery"), 3),
    Figure("main thread µs per message", _get("server_main_thread_us_per_delivery"), 3),
    Figure(
        "other threads µs per message",
        _get("server_other_threads_us_per_delivery"),
        3,
        ratio=False,
    ),
    Figure("kernel µs per message", _get("server_kernel_us_per_delivery"), 3),
    Figure("own µs per message (CPU less kernel)", _own, 3),
    Figure("messages per second", _get("per_second"), 0),
    Figure("round trip p50 ms", _get("latency", "p50_ms"), 2),
    Figure("round trip p99 ms", _get("latency", "p99_ms"), 2),
    Figure("generator CPU s", _get("generator_cpu_seconds"), 2),
    Figure("generator busiest worker", _get("generator_busiest_worker_utilisation")),
    Figure("server CPU s", _get("server_cpu_seconds"), 2),
]
CONNECT = [
    Figure("seconds to register all", _get("seconds"), 2),
    Figure("registered", _get("registered"), 0),
    Figure("failures", _get("failures"), 0, ratio=False),
    Figure("server RSS bytes per client", _get("server_bytes_per_client"), 0),
    Figure("server RSS before MB", lambda r: _mb(r, "server_rss_before_bytes"), 1),
    Figure("server RSS after MB", lambda r: _mb(r, "server_rss_after_bytes"), 1),
    Figure("registration p99 ms", _get("registration_latency", "p99_ms"), 0),
    Figure("generator CPU s", _get("generator_cpu_seconds"), 2),
]
HOLD = [*CONNECT[:4], Figure("alive after hold", _get("alive_after_hold"), 0)]
OTHER_LOAD = Figure(
    "other processes' share of the machine",
    _get("other_load_on_machine"),
    2,
    ratio=False,
)


def _mb(report: dict[str, Any], key: str) -> float | None:
    value = report.get(key)
    return value / 1e6 if isinstance(value, int | float) else None


def figures_for(scenario: Scenario) -> list[Figure]:
    """Which figures the table shows for a scenario."""
    if scenario.name.startswith("hold"):
        return [*HOLD, OTHER_LOAD]
    chosen = {"fanout": TRAFFIC, "direct": DIRECT, "connect": CONNECT}[scenario.kind]
    return [*chosen, OTHER_LOAD]


# Running


@dataclass
class Result:
    """One run of one scenario against one freshly started server."""

    scenario: str
    server: str
    repetition: int
    wall_seconds: float = 0.0
    report: dict[str, Any] | None = None
    error: str | None = None
    server_log_tail: str | None = None
    # The machine is shared: how busy its CPUs were (all cores, 0..1) just
    # before the run, after waiting for a quiet moment, and during the run.
    busy_before: float | None = None
    waited_seconds: float = 0.0
    other_load: float | None = None  # share of all cores used by other processes
    # Attempts thrown away because other processes were too busy (their load).
    discarded_other_loads: list[float] = field(default_factory=list)


def own_cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (servers, workers)."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def busy_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat.

    Busy is user + nice + system time: what processes are charged with. Time
    in interrupts and softirqs (where much of loopback TCP is processed, for
    our own traffic too) and time stolen by the hypervisor are left out.
    """
    first = Path("/proc/stat").read_text().split("\n")[0].split()
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, first[1:9])
    ticks = os.sysconf("SC_CLK_TCK")
    busy = user + nice + system
    total = busy + idle + iowait + irq + softirq + steal
    return busy / ticks, total / ticks


def busy_fraction(since: tuple[float, float]) -> float:
    """Share of the machine's CPU time that was busy since `since`."""
    busy, total = busy_cpu_seconds()
    return (busy - since[0]) / max(1e-9, total - since[1])


def wait_for_quiet(limit: float, longest: float) -> tuple[float, float]:
    """Wait (at most `longest` s) until the machine is under `limit` busy.

    Returns (busy fraction over the last second, seconds waited).
    """
    began = time.monotonic()
    while True:
        mark = busy_cpu_seconds()
        time.sleep(1.0)
        busy = busy_fraction(mark)
        waited = time.monotonic() - began
        if busy < limit or waited >= longest:
            return busy, waited


def run_one(scenario: Scenario, server: Server, repetition: int) -> Result:
    """Start the server, run the scenario once, stop the server."""
    from hubbub.bench.runner import BenchError, Plan, run

    result = Result(scenario.name, server.name, repetition)
    result.busy_before, result.waited_seconds = wait_for_quiet(
        QUIET_BUSY, QUIET_WAIT_SECONDS
    )
    began = time.monotonic()
    mark, ours = busy_cpu_seconds(), own_cpu_seconds()
    try:
        with started(server) as running:
            plan = Plan(
                scenario.spec(running.port, server.setup_in_flight),
                scenario.clients,
                scenario.workers,
                running.process.pid,
                progress=False,
            )
            try:
                result.report = run(plan)
            except BenchError as error:
                result.error = f"bench: {error}"
            if running.process.poll() is not None:
                result.error = (result.error or "") + " (the server exited)"
            if result.error:
                result.server_log_tail = running.log_tail()
    except RuntimeError as error:
        result.error = f"server: {error}"
    result.wall_seconds = time.monotonic() - began
    busy, total = busy_cpu_seconds()
    others = (busy - mark[0]) - (own_cpu_seconds() - ours)
    result.other_load = max(0.0, others) / max(1e-9, total - mark[1])
    if result.report is not None:
        result.report["other_load_on_machine"] = result.other_load
    return result


def describe(result: Result, scenario: Scenario) -> str:
    """A one-line progress note for a finished run."""
    head = f"  {result.server:<9} #{result.repetition + 1} {result.wall_seconds:5.1f}s"
    if result.report is None or result.other_load is None:
        return f"{head}  FAILED {result.error}"
    shown = figures_for(scenario)[:4]
    body = ", ".join(
        f"{f.label} {_fmt(f.read(result.report), f.digits)}" for f in shown
    )
    load = f"  (others used {result.other_load:.0%} of the machine"
    if result.discarded_other_loads:
        load += "; discarded attempts: " + ", ".join(
            f"{x:.0%}" for x in result.discarded_other_loads
        )
    load += ")"
    return f"{head}  {body}{load}" + (f"  [{result.error}]" if result.error else "")


def run_all(
    scenarios: list[Scenario], servers: list[Server], repeat: int, attempts: int
) -> list[Result]:
    """Every scenario, repetition by repetition, the servers taking turns."""
    results: list[Result] = []
    for scenario in scenarios:
        chosen = [
            s for s in servers if scenario.servers is None or s.name in scenario.servers
        ]
        if not chosen:
            continue
        print(f"{scenario.name}: {scenario.title}", flush=True)
        for repetition in range(scenario.repeat or repeat):
            for server in chosen:
                result = run_settled(scenario, server, repetition, attempts)
                results.append(result)
                print(describe(result, scenario), flush=True)
    return results


def run_settled(
    scenario: Scenario, server: Server, repetition: int, attempts: int
) -> Result:
    """Run once, and again (up to `attempts` in all) while other processes
    took more than MAX_OTHER_LOAD of the machine; keep the quietest attempt."""
    tries: list[Result] = []
    for _ in range(attempts):
        result = run_one(scenario, server, repetition)
        tries.append(result)
        if result.report is None or (result.other_load or 0.0) <= MAX_OTHER_LOAD:
            break
    kept = min(tries, key=lambda r: (r.report is None, r.other_load or 0.0))
    kept.discarded_other_loads = [r.other_load or 0.0 for r in tries if r is not kept]
    return kept


# Summary


@dataclass
class Cell:
    """The median and range of one figure over the repetitions."""

    median: float | None
    low: float | None = None
    high: float | None = None
    runs: int = 0


def summarise(values: list[float]) -> Cell:
    """Median and range of a figure's values."""
    if not values:
        return Cell(None)
    return Cell(statistics.median(values), min(values), max(values), len(values))


def summary(
    scenarios: list[Scenario], results: list[Result]
) -> dict[str, dict[str, dict[str, Cell]]]:
    """scenario -> figure label -> server -> Cell."""
    table: dict[str, dict[str, dict[str, Cell]]] = {}
    for scenario in scenarios:
        rows: dict[str, dict[str, Cell]] = {}
        for figure in figures_for(scenario):
            cells: dict[str, Cell] = {}
            for server in dict.fromkeys(r.server for r in results):
                values = [
                    v
                    for r in results
                    if r.scenario == scenario.name
                    and r.server == server
                    and r.report is not None
                    and (v := figure.read(r.report)) is not None
                ]
                if values:
                    cells[server] = summarise(values)
            if cells:
                rows[figure.label] = cells
        if rows:
            table[scenario.name] = rows
    return table


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _cell(cell: Cell | None, digits: int) -> str:
    if cell is None or cell.median is None:
        return "-"
    text = _fmt(cell.median, digits)
    if cell.runs > 1 and cell.low != cell.high:
        text += f" ({_fmt(cell.low, digits)}-{_fmt(cell.high, digits)})"
    return text


def _ratio(mine: Cell | None, theirs: Cell | None) -> str:
    if mine is None or theirs is None or mine.median is None or not theirs.median:
        return "-"
    return f"{mine.median / theirs.median:.2f}x"


def format_table(
    scenarios: list[Scenario],
    table: dict[str, dict[str, dict[str, Cell]]],
    names: list[str],
) -> str:
    """A Markdown table: medians (range) per server and hubbub/peer ratios."""
    peers = [n for n in names if n != "hubbub"]
    header = ["scenario", "figure", *names]
    if "hubbub" in names:
        header += [f"hubbub/{p}" for p in peers]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for scenario in scenarios:
        rows = table.get(scenario.name, {})
        for figure in figures_for(scenario):
            cells = rows.get(figure.label)
            if not cells:
                continue
            row = [scenario.name, figure.label]
            row += [_cell(cells.get(n), figure.digits) for n in names]
            if "hubbub" in names:
                row += [
                    _ratio(cells.get("hubbub"), cells.get(p)) if figure.ratio else "-"
                    for p in peers
                ]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


# Targets (issue 6), judged on the medians of this run


@dataclass
class Target:
    """One target from the issue with its measured figure."""

    target: str
    measured: str
    passed: bool | None  # None: not measured


def _median(
    table: dict[str, dict[str, dict[str, Cell]]], scenario: str, label: str, server: str
) -> float | None:
    cell = table.get(scenario, {}).get(label, {}).get(server)
    return cell.median if cell else None


def _all_runs(results: list[Result], scenario: str, key: str) -> list[float]:
    return [
        float(r.report[key])
        for r in results
        if r.scenario == scenario and r.server == "hubbub" and r.report is not None
    ]


def judge(
    table: dict[str, dict[str, dict[str, Cell]]], results: list[Result]
) -> list[Target]:
    """Each of the issue's targets for hubbub, from this run's medians."""

    def med(scenario: str, label: str, server: str = "hubbub") -> float | None:
        return _median(table, scenario, label, server)

    targets: list[Target] = []

    def check(name: str, value: float | None, limit: float | None, text: str) -> None:
        if value is None or limit is None:
            targets.append(Target(name, "not measured", None))
        else:
            targets.append(Target(name, text.format(v=value, l=limit), value <= limit))

    flat, ngircd_flat = (
        med("fanout_flat", "server CPU µs per delivery"),
        med("fanout_flat", "server CPU µs per delivery", "ngircd"),
    )
    check(
        "fanout flat out: server CPU per delivery ≤ 1.2 x ngircd's",
        flat,
        None if ngircd_flat is None else 1.2 * ngircd_flat,
        "{v:.3f} µs vs limit {l:.3f} µs (1.2 x ngircd's median)",
    )
    lost = _all_runs(results, "fanout_flat", "lost")
    check(
        "fanout flat out: no loss",
        max(lost) if lost else None,
        0,
        "{v:,.0f} deliveries lost (worst repetition)",
    )
    # Both schedules of the 50 msg/s load (benchmarks/README.md): spread
    # evenly, and in bursts of five; each target is shown for each.
    for scenario, schedule in (
        ("fanout_rate", "spread evenly"),
        ("fanout_rate_bursts", "in bursts"),
    ):
        check(
            f"fanout 1000 clients, 50 msg/s {schedule}: p99 ≤ 25 ms",
            med(scenario, "latency p99 ms"),
            25.0,
            "p99 {v:.1f} ms",
        )
        check(
            f"fanout 1000 clients, 50 msg/s {schedule}: ≤ 6 µs per delivery",
            med(scenario, "server CPU µs per delivery"),
            6.0,
            "{v:.2f} µs",
        )
    check(
        "direct ping-pong: ≤ 8 µs per message",
        med("direct_pingpong", "server CPU µs per message"),
        8.0,
        "{v:.2f} µs",
    )
    check(
        "≤ 4 kB per idle registered client",
        med("connect_5000", "server RSS bytes per client"),
        4000.0,
        "{v:,.0f} bytes",
    )
    held = med("hold_19k", "registered")
    alive = med("hold_19k", "alive after hold")
    check(
        "hold 19,000 registered clients, all answering PING",
        None if held is None or alive is None else 19000 - alive,
        0,
        f"{held or 0:,.0f} registered, {alive or 0:,.0f} answered PING after the hold",
    )
    failures = _all_runs(results, "connect_5000", "failures")
    check(
        "register 5,000 clients, 1,000 in flight: no failure",
        max(failures) if failures else None,
        0,
        "{v:,.0f} failures (worst repetition)",
    )
    check(
        "register 5,000 clients, 1,000 in flight: ≤ 3 s",
        med("connect_5000", "seconds to register all"),
        3.0,
        "{v:.2f} s",
    )
    targets.append(history_cost(med))
    return targets


HISTORY_COST_FIGURES = [
    ("fanout_flat", "server CPU µs per delivery"),
    ("fanout_rate", "server CPU µs per delivery"),
    ("fanout_rate_bursts", "server CPU µs per delivery"),
    ("direct_pingpong", "server CPU µs per message"),
]


def history_cost(med: Callable[[str, str, str], float | None]) -> Target:
    """hubbub (history on, its default) against hubbub-nohistory, if it ran."""
    name = "history storage on costs ≤ 10%"
    costs: list[str] = []
    worst: float | None = None
    for scenario, label in HISTORY_COST_FIGURES:
        on, off = (
            med(scenario, label, "hubbub"),
            med(scenario, label, "hubbub-nohistory"),
        )
        if on is None or not off:
            continue
        cost = on / off - 1
        worst = cost if worst is None else max(worst, cost)
        costs.append(f"{scenario} {cost:+.0%} ({on:.3g} vs {off:.3g} µs)")
    if worst is None:
        return Target(
            name, "not measured (no hubbub-nohistory variant in this run)", None
        )
    return Target(name, "; ".join(costs), worst <= 0.10)


def format_targets(targets: list[Target]) -> str:
    """The targets as a Markdown table."""
    lines = ["| target | measured (median) | result |", "|---|---|---|"]
    for t in targets:
        verdict = {True: "pass", False: "**FAIL**", None: "not measured"}[t.passed]
        lines.append(f"| {t.target} | {t.measured} | {verdict} |")
    return "\n".join(lines)


# Machine


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "fd_limit": [soft, hard],
    }


# Command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--repeat", type=int, default=None, help="repetitions (default 3; quick 1)"
    )
    parser.add_argument(
        "--servers",
        default="hubbub,ngircd,inspircd",
        help="comma-separated, from hubbub, ngircd, inspircd and pyfloor (the Python "
        "floor, floor_server.py; missing ones skipped)",
    )
    parser.add_argument(
        "--scenarios", default=None, help="comma-separated scenario names (default all)"
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        help="run a scenario again, up to this many times in all, while other "
        f"processes use over {MAX_OTHER_LOAD * 100:.0f}%% of the machine (default 3)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority for this script, the servers and the load "
        "generator (inherited); -10 (as root) keeps other work on a shared "
        "machine from getting in the way",
    )
    parser.add_argument(
        "--hubbub-rev",
        default=None,
        help="measure this git revision of hubbub (exported with git archive; it "
        "also drives the load) instead of the working tree, e.g. HEAD",
    )
    parser.add_argument(
        "--hubbub-build",
        choices=("compiled", "pure"),
        default="compiled",
        help="with --hubbub-rev: compile its hot path with mypyc, as a "
        "HUBBUB_COMPILE=1 install does (default), or run it as plain Python",
    )
    parser.add_argument(
        "--hubbub-config",
        type=Path,
        default=None,
        help="hubbub's configuration template instead of configs/hubbub.toml "
        "(e.g. one with [storage] history = false)",
    )
    parser.add_argument(
        "--hubbub-variant",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="also run hubbub with another configuration template, as the "
        "server hubbub-NAME (add it to --servers); a variant named nohistory "
        "gives the cost of history storage",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="JSON",
        help="run nothing: print the table and targets of a saved run again",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="where to write the results (default benchmarks/results.json; "
        "with --quick, a temporary file)",
    )
    return parser.parse_args(argv)


def choose(args: argparse.Namespace) -> tuple[list[Scenario], list[Server]]:
    """The scenarios and servers the options select."""
    scenarios = quick_scenarios() if args.quick else full_scenarios()
    if args.scenarios:
        wanted = set(args.scenarios.split(","))
        unknown = wanted - {s.name for s in scenarios}
        if unknown:
            raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        scenarios = [s for s in scenarios if s.name in wanted]
    servers: list[Server] = []
    for name in args.servers.split(","):
        if name not in SERVERS:
            raise SystemExit(f"unknown server {name!r}")
        if SERVERS[name].available():
            servers.append(SERVERS[name])
        else:
            print(f"skipping {name}: {SERVERS[name].binary} is not installed")
    return scenarios, servers


@dataclass
class Document:
    """Everything the JSON file holds."""

    date: str
    command: list[str]
    quick: bool
    repeat: int
    machine: dict[str, Any]
    versions: dict[str, str]
    configs: dict[str, str]
    scenarios: list[dict[str, Any]]
    results: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    table: str = ""
    wall_seconds: float = 0.0


def configure(args: argparse.Namespace) -> None:
    """Apply the options that change this process or the server table."""
    if args.nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        except OSError as error:
            print(f"cannot set priority {args.nice}: {error}", file=sys.stderr)
    if args.hubbub_config is not None:
        SERVERS["hubbub"] = replace(
            SERVERS["hubbub"], template=str(args.hubbub_config.resolve())
        )
    for variant in args.hubbub_variant:
        name, _, template = variant.partition("=")
        SERVERS[f"hubbub-{name}"] = replace(
            SERVERS["hubbub"],
            name=f"hubbub-{name}",
            template=str(Path(template).resolve()),
        )


def report(
    scenarios: list[Scenario], names: list[str], results: list[Result], quick: bool
) -> tuple[dict[str, dict[str, dict[str, Cell]]], str, list[Target]]:
    """Print the table, the targets and the failures; return them."""
    table = summary(scenarios, results)
    text = format_table(scenarios, table, names)
    print(
        "\nMedian of the repetitions (range); ratios are hubbub's median / the peer's."
    )
    print(text)
    targets = [] if quick else judge(table, results)
    if targets:
        print("\nTargets (issue 6):")
        print(format_targets(targets))
    for r in results:
        if r.error:
            print(f"\n{r.server} {r.scenario} #{r.repetition + 1}: {r.error}")
            if r.server_log_tail:
                tail = r.server_log_tail.replace("\n", "\n    ")
                print(f"  server log tail:\n    {tail}")
    return table, text, targets


def report_saved(path: Path) -> int:
    """Print the table and targets of a saved run again (current formatting)."""
    saved = json.loads(path.read_text())
    scenarios = [
        Scenario(**{**s, "servers": tuple(s["servers"]) if s["servers"] else None})
        for s in saved["scenarios"]
    ]
    results = [Result(**r) for r in saved["results"]]
    names = list(dict.fromkeys(r.server for r in results))
    print(f"{path}: {saved['date']}; " + "; ".join(saved["versions"].values()))
    report(scenarios, names, results, saved["quick"])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; print the table; write the JSON."""
    global HUBBUB
    args = parse_args(argv)
    if args.report is not None:
        return report_saved(args.report)
    configure(args)
    scenarios, servers = choose(args)
    exported = tempfile.TemporaryDirectory(prefix="bench-hubbub-src-")
    if args.hubbub_rev:
        HUBBUB = export_revision(
            args.hubbub_rev, Path(exported.name), args.hubbub_build
        )
        sys.path.insert(0, str(HUBBUB.src))  # before anything imports hubbub
    repeat = args.repeat or (1 if args.quick else 3)
    began = time.monotonic()
    versions = {s.name: s.version() for s in servers}
    print("; ".join(versions.values()), flush=True)
    results = run_all(scenarios, servers, repeat, args.attempts)
    names = [s.name for s in servers]
    table, text, targets = report(scenarios, names, results, args.quick)
    document = Document(
        date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        command=[sys.argv[0], *(argv if argv is not None else sys.argv[1:])],
        quick=args.quick,
        repeat=repeat,
        machine=machine(),
        versions=versions,
        configs={s.name: str(CONFIGS / s.template) for s in servers},
        scenarios=[asdict(s) for s in scenarios],
        results=[asdict(r) for r in results],
        summary={
            scenario: {
                label: {server: asdict(cell) for server, cell in cells.items()}
                for label, cells in rows.items()
            }
            for scenario, rows in table.items()
        },
        targets=[asdict(t) for t in targets],
        table=text,
        wall_seconds=time.monotonic() - began,
    )
    path = args.json
    if path is None:
        path = (
            Path(tempfile.gettempdir()) / "hubbub-bench-quick.json"
            if args.quick
            else HERE / "results.json"
        )
    path.write_text(json.dumps(asdict(document), indent=2, default=str) + "\n")
    print(f"\nwrote {path} ({document.wall_seconds:.0f} s in all)")
    exported.cleanup()
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
