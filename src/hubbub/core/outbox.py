"""A session's bounded output buffer: sync appends, flushed once per loop pass.

Many deliveries to one client in one event-loop pass become one `write()`; a
client that stops reading is cut off once its queue passes `limit_bytes`
(`ERROR :SendQ exceeded`), so memory stays bounded and nothing ever awaits it.
"""

from __future__ import annotations

from collections.abc import Callable

from hubbub.core.ports import Writer


class Outbox:
    """Bytes waiting for one session's transport."""

    __slots__ = (
        "_chunks",
        "_on_dirty",
        "_size",
        "closed",
        "limit_bytes",
        "overflowed",
        "writer",
    )

    def __init__(
        self, writer: Writer, limit_bytes: int, on_dirty: Callable[[Outbox], None]
    ) -> None:
        self.writer = writer
        self.limit_bytes = limit_bytes
        self._chunks: list[bytes] = []
        self._size = 0  # bytes in _chunks
        self._on_dirty = on_dirty  # told once when the outbox stops being empty
        self.overflowed = False
        self.closed = False

    def put(self, data: bytes) -> None:
        """Queue one or more encoded lines."""
        if self.closed or self.overflowed:
            return
        chunks = self._chunks
        if not chunks:
            self._on_dirty(self)
        chunks.append(data)
        size = self._size + len(data)
        self._size = size
        if size > self.limit_bytes:
            self.overflowed = True
            chunks.clear()
            self._size = 0

    def pending_bytes(self) -> int:
        """Bytes queued here and in the transport."""
        return self._size + self.writer.buffered_bytes()

    def flush(self, *, last: bool = False) -> None:
        """Hand everything queued to the transport in one write.

        `last` is the final flush before closing: it ignores the limit, so a
        dropped client still reads why (its ERROR line).
        """
        chunks = self._chunks
        if not chunks or self.closed:
            chunks.clear()
            self._size = 0
            return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._size = 0
        if not last and len(data) + self.writer.buffered_bytes() > self.limit_bytes:
            self.overflowed = True
            return
        self.writer.write(data)
