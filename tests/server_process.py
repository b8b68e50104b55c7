"""Run a real `hubbub serve` process for end-to-end tests."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# For a test that sends as fast as it can: one client standing for many
# (a load generator, a durability test) is not to be slowed down.
NO_FLOOD_LIMITS = "[limits]\nflood_lines_per_second = 0\n"

_LISTENING = re.compile(r"listening for IRC on [^ ]+:(\d+)")
_WEB_LISTENING = re.compile(r"listening for the web client on (https?://\S+):(\d+)")


@dataclass
class ServerProcess:
    """A running `hubbub serve` and the port it bound."""

    process: subprocess.Popen[str]
    port: int
    startup: list[str] = field(default_factory=list)  # log lines up to listening
    _web_port: int | None = field(default=None, repr=False)

    def web_port(self, timeout: float = 20) -> int:
        """The web port, read from the log line `listening for the web client on`.

        It comes after the IRC line, so this reads on from where `hubbub_serve`
        stopped (once; later calls return the same port).
        """
        if self._web_port is None:
            assert self.process.stderr is not None
            deadline = time.monotonic() + timeout
            while self._web_port is None and time.monotonic() < deadline:
                line = self.process.stderr.readline()
                if not line:
                    break
                match = _WEB_LISTENING.search(line)
                if match:
                    self._web_port = int(match.group(2))
            if self._web_port is None:
                raise RuntimeError("hubbub serve did not start its web listener")
        return self._web_port


@contextmanager
def hubbub_serve(
    data_dir: Path,
    *args: str,
    file_limits: tuple[int, int] | None = None,
    config: str | None = None,
) -> Iterator[ServerProcess]:
    """Start `python -m hubbub serve --port 0`; stop it with SIGTERM afterwards.

    `file_limits`: the (soft, hard) open-file limits it starts with;
    `config`: the text of a config file for it (written into `data_dir`).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "hubbub", "serve", "--port", "0"]
    command += ["--tls-port", "0", "--web-port", "0"]
    command += ["--data-dir", str(data_dir), "--server-name", "irc.test", *args]
    if config is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "test-config.toml").write_text(config)
        command += ["--config", str(data_dir / "test-config.toml")]

    def set_limits() -> None:
        if file_limits is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, file_limits)

    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        preexec_fn=set_limits if file_limits is not None else None,
    )
    assert process.stderr is not None
    port = None
    startup: list[str] = []
    deadline = time.monotonic() + 20
    while port is None and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        startup.append(line)
        match = _LISTENING.search(line)
        if match:
            port = int(match.group(1))
    if port is None:
        process.kill()
        raise RuntimeError("hubbub serve did not start")
    try:
        yield ServerProcess(process, port, startup)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stderr.close()
