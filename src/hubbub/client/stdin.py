"""Lines typed (or piped) on standard input, for asyncio.

A daemon thread reads the file descriptor with `os.read`, not `sys.stdin`, so
it holds no lock the interpreter needs at exit, and a prompt's answer and the
chat lines after it come from one buffer.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import threading


class StdinLines:
    """The lines of a file descriptor, read on a thread, awaited on the loop."""

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._at_eof = False
        thread = threading.Thread(target=self._read_all, name="stdin", daemon=True)
        thread.start()

    async def read_line(self) -> str | None:
        """The next line without its newline, or None at the end of input."""
        if self._at_eof:
            return None
        line = await self._queue.get()
        self._at_eof = line is None
        return line

    def _read_all(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                data = os.read(self._fd, 4096)
            except OSError:
                data = b""
            pending += decoder.decode(data, final=not data)
            *lines, pending = pending.split("\n")
            for line in lines:
                self._deliver(line.removesuffix("\r"))
            if not data:
                if pending:
                    self._deliver(pending)
                self._deliver(None)
                return

    def _deliver(self, line: str | None) -> None:
        # RuntimeError: the loop is closed, the program is ending.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
