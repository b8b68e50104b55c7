"""Settings: one validated model, read from a TOML file, `HUBBUB_*` variables and flags.

Later sources win: defaults < TOML file < environment < command-line flags.
Every problem becomes one `ConfigError` line; the CLI prints it and exits 2.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "Accounts",
    "Config",
    "ConfigError",
    "Files",
    "Limits",
    "Operator",
    "Storage",
    "Tls",
    "Web",
    "load_config",
]

# The largest whole number a setting takes. Counts, sizes and days meet
# times (seconds since the epoch, floats) in arithmetic; past 2**53 a float
# cannot hold them, and a number too big for a float fails at run time
# (`history_days = 1e400` written out would fail every retention pass).
MAX_WHOLE = 2**53
# The longest duration a setting in seconds takes: a year. Finite, so that
# a timer can be set for it ("inf" and "nan" are TOML floats).
MAX_SECONDS = 365 * 86400.0

Port = Annotated[int, Field(ge=0, le=65535)]
Positive = Annotated[int, Field(ge=1, le=MAX_WHOLE)]
NonNegative = Annotated[int, Field(ge=0, le=MAX_WHOLE)]
Seconds = Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
# Seconds where 0 turns something off.
SecondsOrOff = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
LogLevel = Literal["debug", "info", "warning", "error"]


class ConfigError(Exception):
    """The settings are invalid; the message is one line for the user."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Operator(_Model):
    """An IRC operator account (OPER name password)."""

    name: str = Field(min_length=1)
    password_hash: str = Field(min_length=1)  # argon2, from `hubbub hash-password`


class Limits(_Model):
    """Protocol and abuse limits, advertised in ISUPPORT where they have a token."""

    nick_length: Positive = 30
    channel_length: Positive = 64
    topic_length: Positive = 390
    kick_length: Positive = 390
    away_length: Positive = 390
    realname_length: Positive = 128
    channels_per_client: Positive = 50
    clients_per_ip: Positive = 1000
    # Connections at once (IRC, TLS, WebSocket); None: as many as the
    # process's open-file limit leaves room for (`hubbub.capacity`).
    max_clients: Positive | None = None
    list_entries: Positive = 100  # per ban/except/invex list
    targets_per_command: Positive = 4
    monitor_entries: Positive = 100
    whowas_entries: Positive = 8  # remembered per nick
    sendq_bytes: Positive = 1_048_576  # a client's unsent output before it is dropped
    # Flood control: a client may send `flood_burst_lines` lines at once, then
    # `flood_lines_per_second`; a line beyond waits (its connection is not
    # read meanwhile) and is never dropped. IRC operators are exempt; 0 lines
    # per second turns it off.
    flood_burst_lines: Positive = 30
    flood_lines_per_second: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 5.0


class Storage(_Model):
    """Where accounts and history live, and how long history is kept."""

    # "sqlite:///path.db", "postgresql://user@host/db", or "memory" (nothing kept).
    # Default: a SQLite file in the data directory.
    url: str | None = None
    history: bool = True  # store channel and private messages
    history_days: Positive | None = None  # None keeps history forever
    history_per_target: Positive | None = None  # None keeps every message
    join_replay_lines: NonNegative = 20  # for non-chathistory clients
    chathistory_max: Positive = 1000  # most messages one CHATHISTORY returns


class Accounts(_Model):
    """Account registration and protection of registered nicks."""

    registration: bool = True  # REGISTER and NickServ REGISTER allowed
    registration_before_connect: bool = True  # REGISTER before NICK/USER finish
    email_required: bool = False  # registration needs an e-mail and its code
    nick_protection_seconds: SecondsOrOff = 60.0  # 0 turns it off
    min_password_length: Positive = 8


class Tls(_Model):
    """The TLS listener. Without certificate files, a self-signed one is made."""

    enabled: bool = True
    host: str | None = Field(default=None, min_length=1)  # default: the IRC host
    port: Port = 6697
    cert_file: Path | None = None  # PEM; default: <data_dir>/tls/cert.pem (self-signed)
    key_file: Path | None = None  # PEM; default: in cert_file, after the certificate
    # IRCv3 STS: tell clients to always use TLS for this long. Only offered
    # with a real certificate (cert_file set); None turns it off.
    sts_duration_seconds: NonNegative | None = None


class Web(_Model):
    """The web port: the browser client, IRC over WebSocket (/ws), file uploads."""

    enabled: bool = True
    host: str | None = Field(default=None, min_length=1)  # default: the IRC host
    port: Port = 8080
    # Origins allowed to open /ws; empty means the page's own origin only, "*" any.
    allowed_origins: tuple[str, ...] = ()
    public_url: str | None = (
        None  # base URL for links to files; default http://host:port
    )


class Files(_Model):
    """File sharing (FILEHOST): uploads to the web port, links posted in chat."""

    enabled: bool = True
    max_bytes: Positive = 10 * 1024 * 1024
    allowed_types: tuple[str, ...] = (
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "application/pdf",
        "application/zip",
        "audio/ogg",
        "audio/mpeg",
        "video/mp4",
        "video/webm",
    )
    retention_days: Positive | None = 30  # None keeps files forever
    token_seconds: Positive = 300  # lifetime of an upload token given over IRC


class Config(_Model):
    """Everything `hubbub serve` needs."""

    # An address, "0.0.0.0" or "::" for every interface (never implied by "").
    host: str = Field(default="127.0.0.1", min_length=1)
    port: Port = 6667
    server_name: str = Field(
        default="hubbub.local", pattern=r"^[A-Za-z0-9.\-]+\.[A-Za-z0-9.\-]+$"
    )
    network_name: str = Field(default="hubbub", pattern=r"^[^\s]+$")
    # The connection password (PASS), if any; never empty (leave it out).
    password: str | None = Field(default=None, min_length=1)
    motd_file: Path | None = None
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("hubbub"))
    )
    log_level: LogLevel = "info"
    ping_interval_seconds: Seconds = 120.0
    ping_timeout_seconds: Seconds = 60.0
    registration_timeout_seconds: Seconds = 60.0
    server_description: str = "hubbub chat server"  # LINKS and WHOIS
    # The built-in services' pseudo-server, as LINKS lists it; default
    # "services.<server_name>".
    services_name: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9.\-]+\.[A-Za-z0-9.\-]+$"
    )
    admin_location: str = "hubbub chat server"
    admin_email: str = "admin@localhost"
    operators: tuple[Operator, ...] = ()
    limits: Limits = Limits()
    storage: Storage = Storage()
    accounts: Accounts = Accounts()
    tls: Tls = Tls()
    web: Web = Web()
    files: Files = Files()

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_named(cls, value: object) -> object:
        # "" would be the current directory, silently.
        if isinstance(value, str) and not value.strip():
            raise ValueError("the data directory must be named")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value  # DEBUG too

    def storage_url(self) -> str:
        """The storage URL: the setting, or a SQLite file in the data directory."""
        return self.storage.url or f"sqlite:///{self.data_dir / 'hubbub.db'}"

    def motd_lines(self) -> list[str] | None:
        """The MOTD file's lines, or None when there is none."""
        if self.motd_file is None:
            return None
        return self.motd_file.read_text(encoding="utf-8", errors="replace").splitlines()


# Settings that can come from HUBBUB_<NAME> environment variables.
_ENV_KEYS = (
    "host",
    "port",
    "server_name",
    "network_name",
    "password",
    "motd_file",
    "data_dir",
    "log_level",
    "ping_interval_seconds",
    "ping_timeout_seconds",
    "registration_timeout_seconds",
    "server_description",
    "services_name",
    "admin_location",
    "admin_email",
)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "settings"
    if first["type"] == "extra_forbidden":
        return f"unknown setting {where!r}"
    return f"invalid setting {where!r}: {first['msg']}"


def _merge(into: dict[str, Any], updates: Mapping[str, Any]) -> None:
    """Merge `updates` into `into`, table by table (flags override single keys)."""
    for key, value in updates.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def load_config(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the `Config` from a TOML file, the environment and flag overrides.

    Raises:
        ConfigError: a missing or malformed file, an unknown key or a bad value.
    """
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read config file {path}: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(
                f"config file {path} is not valid TOML: {error}"
            ) from None
    environ = os.environ if environ is None else environ
    for key in _ENV_KEYS:
        env_value = environ.get("HUBBUB_" + key.upper())
        if env_value is not None:
            values[key] = env_value
    _merge(
        values,
        {key: value for key, value in (overrides or {}).items() if value is not None},
    )
    try:
        config = Config.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    if config.motd_file is not None and not config.motd_file.is_file():
        problem = "is not a file" if config.motd_file.exists() else "not found"
        raise ConfigError(f"MOTD file {problem}: {config.motd_file}")
    tls = config.tls
    if tls.enabled and tls.key_file is not None and tls.cert_file is None:
        raise ConfigError("[tls] key_file is set but cert_file is not")
    return config
