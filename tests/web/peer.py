"""A blocking IRC client over TCP, for the browser tests' other side."""

from __future__ import annotations

import contextlib
import socket
import time


class IrcPeer:
    """A minimal IRC client: send lines, read until a fragment shows up."""

    def __init__(self, port: int, nick: str) -> None:
        self.nick = nick
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        self.read_until(" 001 ")

    def send(self, *lines: str) -> None:
        """Send lines with CRLF."""
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def read_line(self, seconds: float = 10) -> str:
        """The next line (PINGs answered on the way)."""
        deadline = time.monotonic() + seconds
        while b"\r\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no line from the server")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.buffer += data
        raw, _, self.buffer = self.buffer.partition(b"\r\n")
        line = raw.decode()
        if line.startswith("PING "):
            self.send("PONG " + line[5:])
        return line

    def read_until(self, fragment: str, seconds: float = 10) -> list[str]:
        """Lines up to and including the first one containing `fragment`."""
        lines: list[str] = []
        deadline = time.monotonic() + seconds
        while True:
            line = self.read_line(max(0.1, deadline - time.monotonic()))
            lines.append(line)
            if fragment in line:
                return lines

    def join(self, channel: str) -> None:
        """JOIN and wait for the end of NAMES."""
        self.send(f"JOIN {channel}")
        self.read_until(" 366 ")

    def close(self) -> None:
        """QUIT and close the socket."""
        with contextlib.suppress(OSError):
            self.send("QUIT :bye")
        self.sock.close()
