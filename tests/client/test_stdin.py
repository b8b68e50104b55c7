"""Reading standard input on a thread, for asyncio."""

from __future__ import annotations

import os

from hubbub.client.stdin import StdinLines


async def test_lines_come_whole_and_end_with_none() -> None:
    read_end, write_end = os.pipe()
    lines = StdinLines(read_end)
    os.write(write_end, b"first\r\nsec")
    os.write(write_end, "ond é\nlast without newline".encode())
    os.close(write_end)
    got = [await lines.read_line() for _ in range(4)]
    assert got == ["first", "second é", "last without newline", None]
    assert await lines.read_line() is None
    os.close(read_end)
