"""A session's bounded output buffer: sync appends, flushed once per loop pass.

Many deliveries to one client in one event-loop pass become one `write()`; a
client that stops reading is cut off once its queue passes `limit_bytes`
(`ERROR :SendQ exceeded`), so memory stays bounded and nothing ever awaits it.

While the client's own command waits for something (a group commit before
its echo, a database read), the outbox is *held*: what others send the
client meanwhile is queued behind a place kept for the command's output,
which `release` fills. So a command's answers always come before what
happened after it, as on a server that handles each line to the end (an
echo before the reply it prompted).
"""

from __future__ import annotations

from collections.abc import Callable

from hubbub.core.ports import Writer


class Outbox:
    """Bytes waiting for one session's transport."""

    __slots__ = (
        "_chunks",
        "_held_at",
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
        self._held_at: int | None = None  # where the held command's output goes
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
            self._overflow()

    def hold(self) -> None:
        """Keep a place, here, for the output of the client's own command
        under way: what is put from now on waits behind it (`release`)."""
        self._held_at = len(self._chunks)

    def put_held(self, data: bytes) -> None:
        """Queue `data` in the held place (after what is there already), or
        as `put` does when nothing is held."""
        at = self._held_at
        if at is None:
            self.put(data)
            return
        if self.closed or self.overflowed:
            return
        self._chunks.insert(at, data)
        self._held_at = at + 1
        self._grew(len(data))

    def release(self, lines: list[bytes]) -> None:
        """Fill the held place with the command's `lines`, and let
        everything go (at the next flush)."""
        at = self._held_at
        if at is None:
            for data in lines:
                self.put(data)
            return
        self._held_at = None
        if self.closed or self.overflowed:
            return
        self._chunks[at:at] = lines
        self._on_dirty(self)  # what waited behind the place goes out too
        self._grew(sum(len(data) for data in lines))

    def _grew(self, size: int) -> None:
        self._size += size
        if self._size > self.limit_bytes:
            self._overflow()

    def _overflow(self) -> None:
        self.overflowed = True
        self._chunks.clear()
        self._size = 0
        # Dirty again, so the next flush drops the client: an outbox held
        # (`hold`) keeps lines across flushes and was not told it grew.
        self._on_dirty(self)

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
        held_at = self._held_at
        if held_at is not None and not last:
            # Only what came before the held place; the rest waits for
            # `release`, which marks the outbox dirty again.
            if held_at == 0:
                return
            ready = chunks[:held_at]
            del chunks[:held_at]
            self._held_at = 0
            data = b"".join(ready)
            self._size -= len(data)
        else:
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            self._size = 0
        if not last and len(data) + self.writer.buffered_bytes() > self.limit_bytes:
            self.overflowed = True
            return
        self.writer.write(data)
