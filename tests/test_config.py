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
