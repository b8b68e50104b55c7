"""irctest server controller for hubbub.

irctest loads it by module name (``importlib.import_module``), so put this
folder on ``PYTHONPATH`` and pass ``--controller hubbub_controller``; see
README.md. Each test gets a fresh ``hubbub serve`` process with its own
temporary config file and data directory.

The hubbub command is ``$HUBBUB_BIN`` if set (split like a shell would, so
``"/path/to/python -m hubbub"`` works), else ``hubbub`` from ``PATH``.
"""

import functools
import json
import os
import shlex
import shutil
import subprocess

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController

SERVER_NAME = "My.Little.Server"
NETWORK_NAME = "hubbub"
OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"


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


def render_config(host: str, port: int, password: str | None) -> str:
    lines = [
        f"host = {toml_string(host)}",
        f"port = {port}",
        f"server_name = {toml_string(SERVER_NAME)}",
        f"network_name = {toml_string(NETWORK_NAME)}",
        # irctest's LINKS test expects this exact server description.
        'server_description = "test server"',
    ]
    if password is not None:
        lines.append(f"password = {toml_string(password)}")
    lines += [
        'log_level = "debug"',
        "",
        "[[operators]]",
        f"name = {toml_string(OPER_NAME)}",
        f"password_hash = {toml_string(hash_password(OPER_PASSWORD))}",
    ]
    return "\n".join(lines) + "\n"


class HubbubController(BaseServerController, DirectoryBasedController):
    software_name = "hubbub"
    supported_sasl_mechanisms: set[str] = set()  # noqa: RUF012
    supports_sts = False

    # What irctest may hold hubbub to. A capability listed in `capabilities`
    # turns a CAP NAK into a failure instead of a skip (skip_if_cap_nak), an
    # OptionalBehaviors member listed in `optional_behaviors` turns the
    # corresponding skip into a failure, and every `isupport` entry is checked
    # by isupport.py::testValues (skipped while the dict is empty). Fill these
    # in as features land, e.g.:
    #   capabilities = frozenset({Capabilities.MESSAGE_TAGS, ...})
    #   isupport = {"PREFIX": "(ov)@+", "UTF8ONLY": None, ...}

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
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        if ssl:
            raise NotImplementedByController("TLS")
        if run_services:
            raise NotImplementedByController("Services")
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
        config_path.write_text(render_config(bind_host, port, password))

        self.proc = self.execute(
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
        )

    def _faketime_prefix(self, faketime: str | None) -> list[str]:
        """Run under libfaketime when a test asks for it, as other controllers do."""
        if faketime and shutil.which("faketime"):
            self.faketime_enabled = True
            return ["faketime", "-f", faketime]
        return []


def get_irctest_controller_class() -> type[HubbubController]:
    return HubbubController
