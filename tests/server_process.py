"""Run a real `hubbub serve` process for end-to-end tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_LISTENING = re.compile(r"listening for IRC on [^ ]+:(\d+)")


@dataclass
class ServerProcess:
    """A running `hubbub serve` and the port it bound."""

    process: subprocess.Popen[str]
    port: int


@contextmanager
def hubbub_serve(data_dir: Path, *args: str) -> Iterator[ServerProcess]:
    """Start `python -m hubbub serve --port 0`; stop it with SIGTERM afterwards."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "hubbub", "serve", "--port", "0"]
    command += ["--tls-port", "0", "--web-port", "0"]
    command += ["--data-dir", str(data_dir), "--server-name", "irc.test", *args]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stderr is not None
    port = None
    deadline = time.monotonic() + 20
    while port is None and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        match = _LISTENING.search(line)
        if match:
            port = int(match.group(1))
    if port is None:
        process.kill()
        raise RuntimeError("hubbub serve did not start")
    try:
        yield ServerProcess(process, port)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stderr.close()
