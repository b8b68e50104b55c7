"""`hubbub bench fanout|connect|direct`: the load generator's command line."""

from __future__ import annotations

import json
import math
import re
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from hubbub.bench.runner import BenchError, Interrupted, Plan, format_report, run
from hubbub.bench.scenarios import Spec


def _address(value: str) -> tuple[str, int]:
    """HOST[:PORT]; an IPv6 address in brackets ([::1]:6667), or bare (::1)."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ("6667" if not rest else "x")
    elif value.count(":") > 1:  # a bare IPv6 address: no port
        host, port = value, "6667"
    else:
        host, _, port = value.rpartition(":") if ":" in value else (value, "", "6667")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{value!r} is not HOST[:PORT] with a valid port")
    return host or "127.0.0.1", int(port)


def _finite(
    _ctx: click.Context, param: click.Parameter, value: float | None
) -> float | None:
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of {param.name}")
    return value


# A nick's first character, then the others (Modern): the nicks are
# PREFIX followed by a number, so the prefix must start a valid nick.
_PREFIX = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]{0,15}")


def _nick_prefix(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not _PREFIX.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} cannot start a nick (a letter or one of []\\`_^{{|}},"
            " then letters, digits or those; 16 characters at most)"
        )
    return value


def _password(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if any(c in value for c in "\r\n\0"):
        raise click.BadParameter("a password cannot hold CR, LF or NUL")
    return value


def _writable(
    _ctx: click.Context, _param: click.Parameter, value: Path | None
) -> Path | None:
    # Checked before the run, which may take an hour, not after it.
    if value is not None:
        existed = value.exists()
        try:
            with value.open("a"):
                pass
        except OSError as error:
            raise click.BadParameter(
                f"cannot write {value}: {error.strerror}"
            ) from None
        if not existed:
            value.unlink()  # written after the run, not left empty before it
    return value


def _apply(options: list[Any], function: Any) -> Any:
    for option in reversed(options):
        function = option(function)
    return function


def _common(function: Any) -> Any:
    """The options every subcommand takes: where, how spread, what to report."""
    return _apply(
        [
            click.argument("server", default="127.0.0.1:6667"),
            click.option(
                "--workers",
                type=click.IntRange(1, 64),
                default=1,
                show_default=True,
                help="Generator processes to spread the clients over.",
            ),
            click.option(
                "--connect-timeout",
                type=click.FloatRange(0.1, 3600),
                default=60.0,
                show_default=True,
                help="Seconds each registration may take, from TCP connect to "
                "the end of the MOTD.",
            ),
            click.option(
                "--server-pid", type=int, help="Read this process's CPU and memory."
            ),
            click.option(
                "--json",
                "json_path",
                type=click.Path(path_type=Path, dir_okay=False),
                callback=_writable,
                help="Also write the report as JSON here.",
            ),
            click.option(
                "--prefix",
                default="b",
                show_default=True,
                callback=_nick_prefix,
                help="Nick prefix.",
            ),
            click.option(
                "--password",
                default="",
                envvar="HUBBUB_BENCH_PASSWORD",
                callback=_password,
                help="Server password, sent as PASS before NICK and USER (or set "
                "HUBBUB_BENCH_PASSWORD, which other users' `ps` does not show).",
            ),
            click.option("--quiet", is_flag=True, help="No progress line."),
        ],
        function,
    )


def _traffic(function: Any) -> Any:
    """The options of the subcommands that send messages (fanout, direct)."""
    return _apply(
        [
            click.option(
                "--seconds",
                type=click.FloatRange(0.1, 3600),
                default=10.0,
                show_default=True,
                help="How long to send. A run (after its setup) takes at most "
                "SECONDS + DRAIN.",
            ),
            click.option(
                "--drain",
                "drain_seconds",
                type=click.FloatRange(0, 3600),
                default=10.0,
                show_default=True,
                help="After sending stops, the longest to wait for the server to "
                "read what was sent and deliver it. What is still missing then is "
                "counted as lost and the report says the server fell behind "
                "(server_fell_behind, unacknowledged).",
            ),
            click.option(
                "--size",
                type=click.IntRange(20, 400),
                default=100,
                show_default=True,
                help="Message body bytes.",
            ),
            click.option(
                "--window",
                type=click.IntRange(2, 100_000),
                default=100,
                show_default=True,
                help="Messages in flight per sender when sending flat out "
                "(fanout without --rate, direct --mode stream).",
            ),
            click.option(
                "--setup-in-flight",
                type=click.IntRange(1, 100_000),
                default=100,
                show_default=True,
                help="Registrations in progress at once while the clients set "
                "up, over all workers (not measured).",
            ),
            click.option(
                "--setup-timeout",
                type=click.FloatRange(0.1, 86_400),
                callback=_finite,
                default=None,
                help="Seconds the whole setup (registering every client, then "
                "for fanout joining the channel) may take; then the run fails, "
                "naming the clients not ready and why. [default: "
                "--connect-timeout + 60 s + 20 ms per client]",
            ),
        ],
        function,
    )


def _per_worker(in_flight: int, workers: int) -> int:
    """Share registrations in flight over all workers out among them."""
    return max(1, in_flight // workers)


_stopped_by: list[int] = [signal.SIGINT]  # the signal that stopped the run


def _terminated(signum: int, _frame: FrameType | None) -> None:
    # As Ctrl-C does: the run stops, and the worker processes with it.
    _stopped_by[0] = signum
    raise KeyboardInterrupt


def _run(plan: Plan, json_path: Path | None) -> None:
    signal.signal(signal.SIGTERM, _terminated)
    # Even when started with SIGINT ignored (a background job): Ctrl-C or
    # `kill -INT` stops the run with a message, not click's bare "Aborted!".
    signal.signal(signal.SIGINT, _terminated)
    try:
        report = run(plan)
    except Interrupted as error:
        # The figures measured until then, if any, marked as interrupted.
        if error.report is not None:
            _show(error.report, json_path)
        click.echo(f"hubbub bench: {error}", err=True)
        sys.exit(128 + _stopped_by[0])  # 130 for SIGINT, 143 for SIGTERM
    except BenchError as error:
        click.echo(f"hubbub bench: {error}", err=True)
        sys.exit(1)
    _show(report, json_path)
    if report["scenario"] == "connect":
        _judge_connect(report)


def _show(report: dict[str, Any], json_path: Path | None) -> None:
    """Print the report, and write it as JSON if asked to (exit 1 if that fails)."""
    click.echo(format_report(report))
    if json_path is not None:
        try:
            json_path.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as error:
            click.echo(f"hubbub bench: cannot write {json_path}: {error}", err=True)
            sys.exit(1)


def _judge_connect(report: dict[str, Any]) -> None:
    """Exit 1 (the report printed) unless every client registered and, after a
    hold, every one still answered."""
    why = report.get("first_failure") or "no reason given"
    if report.get("registered") == 0:
        click.echo(f"hubbub bench: no client registered: {why}", err=True)
        sys.exit(1)
    if report.get("failures"):
        click.echo(
            f"hubbub bench: {report['failures']:,} of {report['clients']:,} "
            f"registrations failed; the first: {why}",
            err=True,
        )
        sys.exit(1)
    silent = report.get("registered", 0) - report.get("alive_after_hold", 0)
    if report.get("hold_seconds") and silent > 0:
        gone = report.get("first_disconnect") or "no reason given"
        click.echo(
            f"hubbub bench: {silent:,} of {report['registered']:,} clients did not "
            f"answer after the hold; the first the server closed: {gone}",
            err=True,
        )
        sys.exit(1)


@click.group()
def bench() -> None:
    """Load-test an IRC server (hubbub or any other) on loopback or a host you name."""


@bench.command()
@_common
@_traffic
@click.option(
    "--clients", type=click.IntRange(2, 100_000), default=100, show_default=True
)
@click.option(
    "--senders", type=click.IntRange(1, 100_000), default=10, show_default=True
)
@click.option(
    "--rate",
    type=click.FloatRange(0, 100_000),
    callback=_finite,
    default=0.0,
    show_default=True,
    help=(
        "Total messages per second over all senders, spread evenly (sender i"
        " starts i/RATE s later), at most 100,000; 0 sends flat out (with a"
        " window of messages in flight)."
    ),
)
@click.option(
    "--bursts",
    is_flag=True,
    help=(
        "With --rate: the senders start together, so that their messages"
        " arrive in bursts of SENDERS (how --rate sent before 2026-12-07)."
    ),
)
def fanout(
    server: str,
    clients: int,
    senders: int,
    rate: float,
    bursts: bool,
    window: int,
    seconds: float,
    drain_seconds: float,
    size: int,
    setup_in_flight: int,
    setup_timeout: float | None,
    workers: int,
    connect_timeout: float,
    server_pid: int | None,
    json_path: Path | None,
    prefix: str,
    password: str,
    quiet: bool,
) -> None:
    """CLIENTS join one channel; SENDERS of them send; everyone counts deliveries."""
    host, port = _address(server)
    spec = Spec(
        "fanout",
        host,
        port,
        0,
        0,
        seconds=seconds,
        drain_seconds=drain_seconds,
        senders=min(senders, clients),
        rate=rate,
        bursts=bursts,
        window=window,
        size=size,
        in_flight=_per_worker(setup_in_flight, workers),
        connect_timeout_seconds=connect_timeout,
        setup_timeout_seconds=setup_timeout or 0.0,
        prefix=prefix,
        password=password,
    )
    _run(Plan(spec, clients, workers, server_pid, not quiet), json_path)


@bench.command()
@_common
@click.option(
    "--clients", type=click.IntRange(1, 100_000), default=1000, show_default=True
)
@click.option(
    "--in-flight",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    help="Registrations in progress at once (over all workers).",
)
@click.option(
    "--hold",
    "hold_seconds",
    type=click.FloatRange(0, 86_400),
    callback=_finite,
    default=0.0,
    help="Keep the clients this long, then check each still answers.",
)
def connect(
    server: str,
    clients: int,
    in_flight: int,
    hold_seconds: float,
    workers: int,
    connect_timeout: float,
    server_pid: int | None,
    json_path: Path | None,
    prefix: str,
    password: str,
    quiet: bool,
) -> None:
    """Open and register CLIENTS connections; report rate, failures, server memory.

    Exits 1, after the report, if any registration failed (the first failure
    is shown), or if after --hold any client no longer answered.
    """
    host, port = _address(server)
    spec = Spec(
        "connect",
        host,
        port,
        0,
        0,
        in_flight=_per_worker(in_flight, workers),
        hold_seconds=hold_seconds,
        connect_timeout_seconds=connect_timeout,
        prefix=prefix,
        password=password,
    )
    _run(Plan(spec, clients, workers, server_pid, not quiet), json_path)


@bench.command()
@_common
@_traffic
@click.option("--pairs", type=click.IntRange(1, 50_000), default=50, show_default=True)
@click.option(
    "--mode",
    type=click.Choice(["pingpong", "stream"]),
    default="pingpong",
    show_default=True,
)
def direct(
    server: str,
    pairs: int,
    mode: str,
    window: int,
    seconds: float,
    drain_seconds: float,
    size: int,
    setup_in_flight: int,
    setup_timeout: float | None,
    workers: int,
    connect_timeout: float,
    server_pid: int | None,
    json_path: Path | None,
    prefix: str,
    password: str,
    quiet: bool,
) -> None:
    """PAIRS of clients exchange private messages: round trips or a stream."""
    host, port = _address(server)
    spec = Spec(
        "direct",
        host,
        port,
        0,
        0,
        seconds=seconds,
        drain_seconds=drain_seconds,
        mode=mode,
        window=window,
        size=size,
        in_flight=_per_worker(setup_in_flight, workers),
        connect_timeout_seconds=connect_timeout,
        setup_timeout_seconds=setup_timeout or 0.0,
        prefix=prefix,
        password=password,
    )
    _run(Plan(spec, pairs * 2, workers, server_pid, not quiet), json_path)
