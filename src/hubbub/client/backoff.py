"""How long to wait between reconnection attempts: doubling, with a cap."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Backoff:
    """Delays between reconnection attempts: doubling from `first_seconds` to a cap."""

    first_seconds: float = 1.0
    max_seconds: float = 60.0
    _next_seconds: float = 0.0

    def next_delay(self) -> float:
        """The delay before the next attempt."""
        delay = self._next_seconds or self.first_seconds
        self._next_seconds = min(delay * 2, self.max_seconds)
        return delay

    def reset(self) -> None:
        """Start again from `first_seconds` (after a good connection)."""
        self._next_seconds = 0.0
