"""The load generator's command line (bench/cli.py): options reach the Spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hubbub.bench import cli
from hubbub.bench.runner import Interrupted, Plan
from hubbub.bench.scenarios import default_setup_seconds


def _invoke(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Result, Plan]:
    plans: list[Plan] = []

    def fake_run(plan: Plan) -> dict[str, Any]:
        plans.append(plan)
        return {"scenario": plan.spec.scenario}

    monkeypatch.setattr(cli, "run", fake_run)
    result = CliRunner().invoke(cli.bench, list(args))
    assert result.exit_code == 0, result.output
    return result, plans[0]


@pytest.mark.parametrize(
    ("scenario", "size"), [("fanout", ["--clients", "8"]), ("direct", ["--pairs", "4"])]
)
def test_setup_in_flight_and_connect_timeout_reach_the_spec(
    monkeypatch: pytest.MonkeyPatch, scenario: str, size: list[str]
) -> None:
    _, plan = _invoke(
        monkeypatch,
        scenario,
        "127.0.0.1:7000",
        *size,
        "--workers",
        "2",
        "--setup-in-flight",
        "10",
        "--connect-timeout",
        "2.5",
    )
    assert plan.clients == 8
    assert plan.spec.in_flight == 5  # 10 over all workers: 5 each
    assert plan.spec.connect_timeout_seconds == 2.5
    assert (plan.spec.host, plan.spec.port) == ("127.0.0.1", 7000)


def test_defaults_keep_the_old_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    _, plan = _invoke(monkeypatch, "fanout")
    assert (plan.spec.in_flight, plan.spec.connect_timeout_seconds) == (100, 60.0)


def test_connect_takes_in_flight_and_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, plan = _invoke(
        monkeypatch,
        "connect",
        "--clients",
        "30",
        "--in-flight",
        "9",
        "--workers",
        "3",
        "--connect-timeout",
        "7",
    )
    assert (plan.spec.in_flight, plan.spec.connect_timeout_seconds) == (3, 7.0)


@pytest.mark.parametrize("option", ["--seconds", "--size", "--setup-in-flight"])
def test_connect_has_no_options_it_would_ignore(option: str) -> None:
    result = CliRunner().invoke(cli.bench, ["connect", option, "5"])
    assert result.exit_code == 2
    assert f"No such option '{option}'" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fanout", "--rate", "nan"], "is not a number of rate"),
        (["fanout", "--rate", "inf"], "--rate"),
        (["fanout", "--rate", "1e9"], "--rate"),
        (["connect", "--hold", "nan"], "is not a number of hold_seconds"),
        (["connect", "--prefix", "1x"], "cannot start a nick"),
        (["connect", "--prefix", "a b"], "cannot start a nick"),
        (["connect", "--json", "/nonexistent/dir/x.json"], "cannot write"),
        (["connect", "host:99999"], "is not HOST[:PORT]"),
    ],
)
def test_values_that_would_hang_or_fail_late_are_refused_up_front(
    args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli.bench, args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("server", "address"),
    [
        ("[::1]:7000", ("::1", 7000)),
        ("[::1]", ("::1", 6667)),
        ("::1", ("::1", 6667)),
        ("example.org:7000", ("example.org", 7000)),
        ("example.org", ("example.org", 6667)),
        (":7000", ("127.0.0.1", 7000)),
    ],
)
def test_addresses_ipv6_included(server: str, address: tuple[str, int]) -> None:
    assert cli._address(server) == address


@pytest.mark.parametrize("scenario", ["fanout", "direct", "connect"])
def test_a_password_reaches_the_spec_from_option_or_environment(
    monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    _, plan = _invoke(monkeypatch, scenario, "--password", "s3cret")
    assert plan.spec.password == "s3cret"
    monkeypatch.setenv("HUBBUB_BENCH_PASSWORD", "from env")
    _, plan = _invoke(monkeypatch, scenario)
    assert plan.spec.password == "from env"


def test_a_password_with_a_line_break_is_refused() -> None:
    result = CliRunner().invoke(cli.bench, ["connect", "--password", "a\nQUIT"])
    assert result.exit_code == 2
    assert "cannot hold CR, LF or NUL" in result.output


def test_drain_reaches_the_spec_and_is_documented(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, plan = _invoke(monkeypatch, "fanout", "--drain", "2.5")
    assert plan.spec.drain_seconds == 2.5
    _, plan = _invoke(monkeypatch, "direct")
    assert plan.spec.drain_seconds == 10.0
    shown = CliRunner().invoke(cli.bench, ["fanout", "--help"]).output
    assert "--drain" in shown
    assert "SECONDS + DRAIN" in shown


@pytest.mark.parametrize("scenario", ["fanout", "direct"])
def test_setup_timeout_reaches_the_spec_and_defaults_to_the_clients_share(
    monkeypatch: pytest.MonkeyPatch, scenario: str
) -> None:
    _, plan = _invoke(monkeypatch, scenario, "--setup-timeout", "7.5")
    assert plan.spec.setup_timeout_seconds == 7.5
    _, plan = _invoke(monkeypatch, scenario)
    assert plan.spec.setup_timeout_seconds == 0.0  # run() works it out
    shown = CliRunner().invoke(cli.bench, [scenario, "--help"]).output
    assert "--setup-timeout" in shown


def test_the_default_setup_timeout_grows_with_the_clients() -> None:
    assert default_setup_seconds(1000, 60.0) == pytest.approx(140.0)
    assert default_setup_seconds(10, 0.5) == pytest.approx(60.7)


def test_an_interrupted_run_prints_its_partial_report_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    partial = {"scenario": "fanout", "interrupted": True, "measured_seconds": 1.5}

    def interrupted(plan: Plan) -> dict[str, Any]:
        raise Interrupted("interrupted after 1.5 s of the run", partial)

    monkeypatch.setattr(cli, "run", interrupted)
    path = tmp_path / "r.json"
    result = CliRunner().invoke(cli.bench, ["fanout", "--json", str(path)])
    assert result.exit_code == 130
    assert "hubbub bench fanout (interrupted: partial figures)" in result.stdout
    assert "interrupted after 1.5 s of the run" in result.stderr
    assert json.loads(path.read_text()) == partial
