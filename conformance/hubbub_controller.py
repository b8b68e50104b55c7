"""irctest server controller for hubbub.

irctest loads it by module name (``importlib.import_module``), so put this
folder on ``PYTHONPATH`` and pass ``--controller hubbub_controller``; see
README.md. Each test gets a fresh ``hubbub serve`` process with its own
temporary config file and data directory.

The hubbub command is ``$HUBBUB_BIN`` if set (split like a shell would, so
``"/path/to/python -m hubbub"`` works), else ``hubbub`` from ``PATH``.

Services (accounts, SASL, NickServ, ChanServ, chathistory) are built into
hubbub, so ``run_services=True`` starts nothing extra; ``registerUser`` creates
accounts through NickServ like irctest's Ergo controller does.
"""

import functools
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from irctest import patma
from irctest.basecontrollers import (
    BaseServerController,
    DirectoryBasedController,
    ProcessStopped,
    TestCaseControllerConfig,
)
from irctest.specifications import Capabilities, OptionalBehaviors

SERVER_NAME = "My.Little.Server"
NETWORK_NAME = "hubbub"
OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"

# hubbub refuses a line longer than 512 bytes (CRLF included, tags excluded).
MAX_LINE_BYTES = 512


@functools.cache
def hubbub_command() -> tuple[str, ...]:
    """The argv prefix that runs hubbub."""
    configured = os.environ.get("HUBBUB_BIN")
    if configured:
        return tuple(shlex.split(configured))
    found = shutil.which("hubbub")
    if found is None:
        raise RuntimeError("hubbub not found: set HUBBUB_BIN or put it on PATH")
    return (found,)


@functools.cache
def hash_password(password: str) -> str:
    """Hash with ``hubbub hash-password`` once per process (argon2 is slow)."""
    result = subprocess.run(
        [*hubbub_command(), "hash-password", password],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("hubbub hash-password printed nothing")
    return lines[-1].strip()


def toml_string(value: str) -> str:
    """Quote a TOML basic string (JSON's ASCII escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=True)


def toml_bool(value: bool) -> str:
    return "true" if value else "false"


def render_config(
    host: str,
    port: int,
    password: str | None,
    test_config: TestCaseControllerConfig,
    *,
    ssl: bool = False,
    websocket_port: int | None = None,
) -> str:
    # With ssl, irctest's port is the TLS listener (its certificate is the
    # self-signed one hubbub makes); plain IRC then takes any free port.
    lines = [
        f"host = {toml_string(host)}",
        f"port = {0 if ssl else port}",
        f"server_name = {toml_string(SERVER_NAME)}",
        f"network_name = {toml_string(NETWORK_NAME)}",
        # irctest's LINKS test expects this exact server description.
        'server_description = "test server"',
        # links.py::ServicesLinksTestCase expects the services' pseudo-server
        # under this name (LINKS lists hubbub's built-in services).
        'services_name = "My.Little.Services"',
    ]
    if password is not None:
        lines.append(f"password = {toml_string(password)}")
    lines += [
        'log_level = "debug"',
        "",
        "[[operators]]",
        f"name = {toml_string(OPER_NAME)}",
        f"password_hash = {toml_string(hash_password(OPER_PASSWORD))}",
        "",
        # Services are built in and always on; irctest's per-test settings
        # (TestCaseControllerConfig) map onto [accounts].
        "[accounts]",
        "registration = true",
        "registration_before_connect = "
        + toml_bool(test_config.account_registration_before_connect),
        "email_required = "
        + toml_bool(test_config.account_registration_requires_email),
        # Tests reuse registered nicks freely (e.g. connect as "foo" after
        # registering account "foo"): no rename countdown.
        "nick_protection_seconds = 0",
        # irctest registers passwords as short as "bar".
        "min_password_length = 1",
        "",
        # History is on by default (chathistory=True needs nothing more); the
        # database is the default SQLite file in the per-test data directory.
        "[storage]",
        "history = true",
        "",
        # The TLS (6697) and web (8080) listeners are on by default, on fixed
        # ports: parallel test servers would fight over them, so each is on
        # only when irctest asks for it, on the port it gives.
        "[tls]",
        f"enabled = {toml_bool(ssl)}",
        f"port = {port if ssl else 0}",
        "",
        "[web]",
        f"enabled = {toml_bool(websocket_port is not None)}",
        f"port = {websocket_port or 0}",
        'allowed_origins = ["*"]',
        "",
        "[files]",
        f"enabled = {toml_bool(websocket_port is not None)}",
    ]
    return "\n".join(lines) + "\n"


class HubbubController(BaseServerController, DirectoryBasedController):
    software_name = "hubbub"
    supported_sasl_mechanisms = {"PLAIN", "SCRAM-SHA-256"}  # noqa: RUF012
    supports_sts = False
    _log_path: Path | None = None
    nickserv = "NickServ"

    # What irctest may hold hubbub to. A capability listed in `capabilities`
    # turns a CAP NAK into a failure instead of a skip (skip_if_cap_nak), an
    # OptionalBehaviors member listed in `optional_behaviors` turns the
    # corresponding skip into a failure, and every `isupport` entry is checked
    # by isupport.py::testValues (skipped while the dict is empty). Only list
    # what hubbub really implements (src/hubbub/protocol/caps.py). Not listed:
    # draft/multiline, draft/read-marker, draft/message-redaction and sts.
    capabilities = frozenset(
        {
            Capabilities.ACCOUNT_NOTIFY,
            Capabilities.ACCOUNT_TAG,
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.EXTENDED_MONITOR,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.SERVER_TIME,
            Capabilities.SETNAME,
        }
    )
    # Each of these was checked against a passing test; left out on purpose:
    # SASL_REAUTHENTICATION (hubbub answers 907 once logged in),
    # METADATA_BEFORE_CONNECT (no draft/metadata-3) and NON_UTF8_MESSAGE
    # (UTF8ONLY).
    optional_behaviors = frozenset(
        {
            OptionalBehaviors.BAN_EXCEPTION_MODE,
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.ELIST_C,
            OptionalBehaviors.ELIST_M,
            OptionalBehaviors.ELIST_N,
            OptionalBehaviors.ELIST_T,
            OptionalBehaviors.ELIST_U,
            OptionalBehaviors.INVITE_EXCEPTION_MODE,
            OptionalBehaviors.INVITE_LIST,
            OptionalBehaviors.INVITE_OVERRIDES_LIMIT,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
            OptionalBehaviors.MULTI_NAMES_COMMAND,
            OptionalBehaviors.MULTI_PRIVMSG,
            OptionalBehaviors.NO_CTCP,
            OptionalBehaviors.SASL_AFTER_REGISTRATION,
        }
    )
    # Checked by isupport.py::testValues (src/hubbub/protocol/isupport.py);
    # numbers that come from [limits] are not pinned.
    isupport = {  # noqa: RUF012
        "BOT": "B",
        "CASEMAPPING": "rfc1459",
        "ELIST": "CMNTU",
        "INVEX": "I",
        "MONITOR": patma.ANYSTR,
        "MSGREFTYPES": "msgid,timestamp",
        "PREFIX": "(ov)@+",
        "STATUSMSG": "@+",
        "TARGMAX": patma.ANYSTR,
        "UTF8ONLY": None,
        "WHOX": None,
    }

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: str | None,
        ssl: bool,
        run_services: bool,
        faketime: str | None,
        websocket_hostname: str | None,
        websocket_port: int | None,
    ) -> None:
        # run_services: NickServ, ChanServ, SASL and history are part of
        # hubbub itself, so there is nothing extra to start.
        assert self.proc is None

        # irctest hands out "0.0.0.0" (an any-address bind); clients reach a
        # loopback listener through it, so keep the server on loopback.
        self.hostname = hostname
        self.port = port
        bind_host = hostname if hostname not in ("", "0.0.0.0") else "127.0.0.1"

        self.create_config()
        assert self.directory is not None
        config_path = self.directory / "hubbub.toml"
        data_dir = self.directory / "data"
        data_dir.mkdir()
        config_path.write_text(
            render_config(
                bind_host,
                port,
                password,
                self.test_config,
                ssl=ssl,
                websocket_port=websocket_port,
            )
        )
        self._config_path = config_path
        self._data_dir = data_dir

        # Without IRCTEST_DEBUG_LOGS, keep hubbub's output in the test's
        # directory, so that a server that dies (ProcessStopped) says why.
        output: dict[str, Any] = {}
        if not self.debug_mode:
            self._log_path = self.directory / "hubbub.log"
            with self._log_path.open("ab") as log:
                output = {"stdout": log, "stderr": log}
                self.proc = self._start_hubbub(faketime, config_path, data_dir, output)
        else:
            self._log_path = None
            self.proc = self._start_hubbub(faketime, config_path, data_dir, output)

    def _start_hubbub(
        self,
        faketime: str | None,
        config_path: Path,
        data_dir: Path,
        output: dict[str, Any],
    ) -> subprocess.Popen:
        return self.execute(
            [
                *self._faketime_prefix(faketime),
                *hubbub_command(),
                "serve",
                "--config",
                config_path,
                "--data-dir",
                data_dir,
            ],
            cwd=self.directory,
            proc_name="hubbub",
            **output,
        )

    def check_is_alive(self) -> None:
        try:
            super().check_is_alive()
        except ProcessStopped as error:
            raise ProcessStopped(f"{error}{self._log_tail()}") from None

    def _log_tail(self, lines: int = 15) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        text = self._log_path.read_text(encoding="utf-8", errors="replace")
        tail = "\n".join(text.splitlines()[-lines:])
        return f"; the end of hubbub's output:\n{tail}"

    def wait_for_services(self) -> None:
        # Built in: NickServ answers as soon as the listener is up.
        self.wait_for_port()

    def registerUser(  # noqa: N802 (irctest API)
        self,
        case: Any,
        username: str,
        password: str | None = None,
    ) -> None:
        """Create account `username` the way a user would: NS REGISTER.

        The client connects with nick `username` and sends
        ``NS REGISTER <password>``; NickServ answers with a NOTICE "Account
        created" (and logs the client in), then the client QUITs. A password
        too long for one 512-byte line (sasl.py's testPlainLarge800 uses 592
        characters) goes through ``hubbub accounts create`` instead, which
        writes the same database while the server runs.
        """
        if not case.run_services:
            raise ValueError(
                "Attempted to register a nick, but `run_services` it not True."
            )
        assert password
        line = f"NS REGISTER {password}"
        if len(line.encode("utf-8")) + 2 > MAX_LINE_BYTES:
            self._create_account_offline(username, password)
            return
        client = case.addClient(show_io=False)
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, line)
        while True:
            msg = case.getMessage(client)
            if msg.command == "NOTICE" and (msg.prefix or "").startswith(
                self.nickserv + "!"
            ):
                break
        assert msg.params == [username, "Account created"], msg
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)

    def _create_account_offline(self, username: str, password: str) -> None:
        subprocess.run(
            [
                *hubbub_command(),
                "accounts",
                "create",
                username,
                "--password",
                password,
                "--config",
                str(self._config_path),
                "--data-dir",
                str(self._data_dir),
            ],
            check=True,
            capture_output=True,
            text=True,
        )

    def _faketime_prefix(self, faketime: str | None) -> list[str]:
        """Run under libfaketime when a test asks for it, as other controllers do."""
        if faketime and shutil.which("faketime"):
            self.faketime_enabled = True
            return ["faketime", "-f", faketime]
        return []


def get_irctest_controller_class() -> type[HubbubController]:
    return HubbubController
