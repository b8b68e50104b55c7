"""Run `hubbub chat` in plain mode as a subprocess over pipes, like a script would."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time


class PlainChat:
    """A `python -m hubbub chat ...` process: write lines in, wait for lines out."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hubbub", "chat", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lines: list[str] = []  # every line printed so far
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def send(self, *lines: str) -> None:
        """Type lines."""
        assert self.process.stdin is not None
        self.process.stdin.write("".join(line + "\n" for line in lines))
        self.process.stdin.flush()

    def expect(self, fragment: str, timeout_seconds: float = 10) -> str:
        """The next printed line containing `fragment`.

        Raises:
            AssertionError: the output ended or the time ran out first.
        """
        deadline = time.monotonic() + timeout_seconds
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                raise AssertionError(
                    f"no line with {fragment!r} in {timeout_seconds} s: {self.lines}"
                ) from None
            if line is None:
                raise AssertionError(f"output ended before {fragment!r}: {self.lines}")
            self.lines.append(line)
            if fragment in line:
                return line

    def finish(self, timeout_seconds: float = 10) -> tuple[int, str]:
        """Close input, wait for the exit; return the status and standard error."""
        assert self.process.stdin is not None
        assert self.process.stderr is not None
        if not self.process.stdin.closed:
            self.process.stdin.close()
        status = self.process.wait(timeout=timeout_seconds)
        while (line := self._queue.get(timeout=timeout_seconds)) is not None:
            self.lines.append(line)
        return status, self.process.stderr.read()

    def kill(self) -> None:
        """Stop the process if it still runs (test clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
