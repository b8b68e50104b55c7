"""The interfaces the core needs from the outside world (implemented by adapters).

The core never imports a transport, a database or a bus: it declares here what
it needs, and `hubbub.app` plugs real implementations in.
"""

from __future__ import annotations

import time
from typing import Protocol


class Writer(Protocol):
    """Where a session's bytes go: a transport (TCP, TLS, WebSocket) or a test fake."""

    def write(self, data: bytes) -> None:
        """Queue bytes for sending; never blocks."""

    def buffered_bytes(self) -> int:
        """Bytes accepted by `write` and not yet sent (for the SendQ limit)."""

    def close(self) -> None:
        """Send what is queued, then close the connection."""


class Clock(Protocol):
    """Wall-clock time, injected so tests can freeze it."""

    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()


class PasswordChecker(Protocol):
    """Checks a password against a stored hash (argon2 in production)."""

    async def verify(self, password_hash: str, password: str) -> bool:
        """Does `password` match `password_hash`?"""
