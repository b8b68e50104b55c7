"""The command line: settings errors are one line and exit code 2; hash-password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.server_process import hubbub_serve


def run_hubbub(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m hubbub ARGS` and capture its output (`stdin`: what a
    pipe gives it)."""
    return subprocess.run(
        [sys.executable, "-m", "hubbub", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        input=stdin,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "invalid setting 'port'"),
        (["--port", "abc"], "invalid setting 'port'"),
        (["--config", "/nonexistent/hubbub.toml"], "config file not found"),
        (["--log-level", "loud"], "invalid setting 'log_level'"),
        (["--server-name", "nodots"], "invalid setting 'server_name'"),
    ],
)
def test_bad_settings_give_one_line_and_exit_code_2(
    args: list[str], message: str
) -> None:
    result = run_hubbub("serve", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_key_in_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "hubbub.toml"
    config.write_text('port = 7000\ncolour = "blue"\n')
    result = run_hubbub("serve", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == "hubbub: unknown setting 'colour'"


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "hubbub.toml"
    config.write_text("port = \n")
    result = run_hubbub("serve", "--config", str(config))
    assert result.returncode == 2
    assert "is not valid TOML" in result.stderr


def test_environment_variable_is_validated(tmp_path: Path) -> None:
    import os

    result = run_hubbub("serve", env={**os.environ, "HUBBUB_PORT": "-1"})
    assert result.returncode == 2
    assert "invalid setting 'port'" in result.stderr


def test_hash_password_prints_a_verifiable_argon2_hash() -> None:
    result = run_hubbub("hash-password", "s3cret")
    assert result.returncode == 0
    hashed = result.stdout.strip()
    assert hashed.startswith("$argon2id$")
    assert PasswordHasher().verify(hashed, "s3cret")


def test_hash_password_reads_a_piped_password_once_without_warnings() -> None:
    result = run_hubbub("hash-password", stdin="s3cret pass\nnot this\n")
    assert result.returncode == 0
    assert PasswordHasher().verify(result.stdout.strip(), "s3cret pass")
    assert result.stderr == ""  # no getpass echo warning, no second prompt


def test_hash_password_with_nothing_piped_is_a_usage_error() -> None:
    result = run_hubbub("hash-password", stdin="")
    assert result.returncode == 2
    assert result.stderr == "hubbub: the password must not be empty\n"


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with hubbub_serve(tmp_path) as server:
        result = run_hubbub(
            "serve", "--port", str(server.port), "--data-dir", str(tmp_path / "second")
        )
    assert result.returncode == 1
    assert "cannot start" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ('cert_file = "{dir}/missing.pem"', "cannot start TLS: cannot read"),
        ('cert_file = "{dir}/hubbub.toml"', "holds no PEM certificate"),
        ('key_file = "{dir}/hubbub.toml"', "[tls] key_file is set but cert_file"),
    ],
)
def test_unusable_tls_settings_are_one_line_and_exit_code_2(
    tmp_path: Path, tls: str, message: str
) -> None:
    config = tmp_path / "hubbub.toml"
    config.write_text("[tls]\n" + tls.format(dir=tmp_path) + "\nport = 0\n")
    result = run_hubbub(
        "serve", "--config", str(config), "--port", "0", "--web-port", "0",
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "tls").exists()  # no self-signed stand-in
    assert "listening" not in result.stderr  # refused before any port opened


def test_a_missing_data_directory_parent_is_named(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = run_hubbub(
        "serve", "--port", "0", "--web-port", "0", "--tls-port", "0",
        "--data-dir", str(blocked / "data"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot start" in result.stderr
    assert str(blocked) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_that_is_not_sqlite_is_named_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "hubbub.db").write_bytes(b"not a database, " * 1000)
    result = run_hubbub(
        "serve", "--port", "0", "--web-port", "0", "--tls-port", "0",
        "--data-dir", str(data),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"hubbub: cannot open storage: {data / 'hubbub.db'}: database error:"
        " DatabaseError: file is not a database"
    )
    assert "Traceback" not in result.stderr
    assert "sqlalche.me" not in result.stderr


def test_a_listener_that_cannot_open_is_named(tmp_path: Path) -> None:
    result = run_hubbub(
        "serve", "--host", "no-such-host.invalid", "--port", "0", "--web-port", "0",
        "--tls-port", "0", "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("hubbub: cannot start: ")
    assert last.endswith("(for IRC on no-such-host.invalid:0)")
    assert "Traceback" not in result.stderr


def test_insecure_without_tls_is_refused() -> None:
    result = run_hubbub("chat", "127.0.0.1:1", "--nick", "alice", "--insecure")
    assert result.returncode == 2
    assert "--insecure goes with --tls" in result.stderr
