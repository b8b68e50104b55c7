"""Settings: the example file, precedence of sources, validation (config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubbub.config import Config, ConfigError, load_config

EXAMPLE = Path(__file__).parent.parent / "hubbub.example.toml"


def test_example_config_loads_and_matches_defaults() -> None:
    config = load_config(EXAMPLE, environ={})
    assert [op.name for op in config.operators] == ["admin"]
    # Every other value in the example is the default it documents.
    assert config.model_copy(update={"operators": ()}) == Config()


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    path = tmp_path / "hubbub.toml"
    path.write_text('port = 1000\nhost = "0.0.0.0"\nnetwork_name = "FileNet"\n')
    config = load_config(
        path,
        environ={"HUBBUB_PORT": "2000", "HUBBUB_NETWORK_NAME": "EnvNet"},
        overrides={"port": "3000", "host": None},
    )
    assert (config.port, config.host, config.network_name) == (
        3000,
        "0.0.0.0",
        "EnvNet",
    )


def test_nested_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "hubbub.toml"
    path.write_text("[limits]\nnick_len = 5\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'limits.nick_len'"):
        load_config(path, environ={})


def test_missing_motd_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MOTD file not found"):
        load_config(None, environ={"HUBBUB_MOTD_FILE": str(tmp_path / "nope.txt")})


def test_motd_lines_are_read(tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("line one\nline two\n")
    config = load_config(None, environ={}, overrides={"motd_file": str(motd)})
    assert config.motd_lines() == ["line one", "line two"]


def test_a_tls_key_without_its_certificate_is_an_error_when_tls_is_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hubbub.toml"
    path.write_text('[tls]\nkey_file = "key.pem"\n')
    with pytest.raises(ConfigError, match="key_file is set but cert_file is not"):
        load_config(path, environ={})
    path.write_text('[tls]\nenabled = false\nkey_file = "key.pem"\n')
    assert load_config(path, environ={}).tls.key_file == Path("key.pem")


@pytest.mark.parametrize(
    ("environ", "file", "message"),
    [
        # "" would bind every interface, silently.
        ({"HUBBUB_HOST": ""}, "", "invalid setting 'host'"),
        ({}, '[web]\nhost = ""\n', "invalid setting 'web.host'"),
        ({}, '[tls]\nhost = ""\n', "invalid setting 'tls.host'"),
        # "" would let in only clients that send an empty PASS.
        ({"HUBBUB_PASSWORD": ""}, "", "invalid setting 'password'"),
        # "" would be the current directory.
        ({"HUBBUB_DATA_DIR": ""}, "", "the data directory must be named"),
    ],
)
def test_empty_values_that_would_mean_something_else_are_refused(
    tmp_path: Path, environ: dict[str, str], file: str, message: str
) -> None:
    path = tmp_path / "hubbub.toml"
    path.write_text(file)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ=environ)


def test_every_top_level_setting_of_one_value_comes_from_the_environment() -> None:
    config = load_config(
        None,
        environ={
            "HUBBUB_SERVER_DESCRIPTION": "tea talk",
            "HUBBUB_ADMIN_EMAIL": "ops@example.org",
            "HUBBUB_ADMIN_LOCATION": "Lisbon",
            "HUBBUB_SERVICES_NAME": "services.example.org",
        },
    )
    assert config.server_description == "tea talk"
    assert config.admin_email == "ops@example.org"
    assert config.admin_location == "Lisbon"
    assert config.services_name == "services.example.org"


def test_a_motd_file_that_is_a_directory_is_named_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MOTD file is not a file"):
        load_config(None, environ={"HUBBUB_MOTD_FILE": str(tmp_path)})


def test_the_log_level_may_be_written_in_capitals() -> None:
    assert load_config(None, environ={"HUBBUB_LOG_LEVEL": "DEBUG"}).log_level == "debug"


@pytest.mark.parametrize(
    ("file", "where", "message"),
    [
        # Too big for a float: every retention pass would have failed.
        ("[storage]\nhistory_days = 1" + "0" * 320, "storage.history_days", "less"),
        ("[files]\nretention_days = 1" + "0" * 320, "files.retention_days", "less"),
        ("[files]\ntoken_seconds = 1" + "0" * 320, "files.token_seconds", "less"),
        ("[limits]\nsendq_bytes = 9007199254740993", "limits.sendq_bytes", "less"),
        ("ping_interval_seconds = inf", "ping_interval_seconds", "finite"),
        ("ping_timeout_seconds = nan", "ping_timeout_seconds", "finite"),
        ("registration_timeout_seconds = 1e9", "registration_timeout", "less"),
        ("[limits]\nflood_lines_per_second = inf", "flood_lines_per_second", "finite"),
        ("[accounts]\nnick_protection_seconds = inf", "nick_protection", "finite"),
        ("[tls]\nsts_duration_seconds = 1" + "0" * 30, "sts_duration", "less"),
        ("[storage]\njoin_replay_lines = -1", "join_replay_lines", "greater"),
    ],
)
def test_numbers_no_timer_or_clock_can_take_are_refused(
    tmp_path: Path, file: str, where: str, message: str
) -> None:
    path = tmp_path / "hubbub.toml"
    path.write_text(file + "\n")
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(path, environ={})
    assert where in str(raised.value)


def test_the_largest_numbers_allowed_are_taken(tmp_path: Path) -> None:
    path = tmp_path / "hubbub.toml"
    path.write_text(
        "ping_interval_seconds = 31536000\n"
        "[storage]\nhistory_days = 9007199254740992\n"
        "[limits]\nflood_lines_per_second = 1e9\n"
    )
    config = load_config(path, environ={})
    assert config.ping_interval_seconds == 365 * 86400
    assert config.storage.history_days == 2**53
    assert config.limits.flood_lines_per_second == 1e9


def test_an_infinite_interval_from_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"ping_interval_seconds.*finite"):
        load_config(None, environ={"HUBBUB_PING_INTERVAL_SECONDS": "inf"})
