"""Durability: kill -9 the server mid-conversation; echoed messages survive once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from tests.server_process import NO_FLOOD_LIMITS, hubbub_serve

CAPS = "batch draft/chathistory echo-message message-tags server-time"


async def _register(
    port: int, nick: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"CAP REQ :{CAPS}\r\nNICK {nick}\r\nUSER {nick} 0 * :x\r\nCAP END\r\n"
        "JOIN #crash\r\n".encode()
    )
    while b" 366 " not in await reader.readline():
        pass
    return reader, writer


async def _send_until_killed(port: int, pid: int, echoed: list[str]) -> None:
    """Send numbered messages; note each one echoed; kill -9 the server midway."""
    reader, writer = await _register(port, "sender")

    async def read_echoes() -> None:
        try:
            while line := await reader.readline():
                text = line.decode().rstrip("\r\n")
                if " PRIVMSG #crash :" in text:
                    echoed.append(text.split(" :", 1)[1])
        except ConnectionResetError:
            pass  # the kill

    async def send() -> None:
        for number in range(100_000):
            writer.write(f"PRIVMSG #crash :message {number}\r\n".encode())
            if number % 20 == 0:
                await writer.drain()
                await asyncio.sleep(0.001)
            if len(echoed) >= 300:
                os.kill(pid, signal.SIGKILL)
                return

    echo_task = asyncio.create_task(read_echoes())
    with contextlib.suppress(ConnectionResetError):
        await asyncio.wait_for(send(), 60)
    await asyncio.wait_for(echo_task, 10)  # ends at EOF: the server is dead
    writer.close()


async def _history(port: int) -> list[str]:
    reader, writer = await _register(port, "reader")
    writer.write(b"CHATHISTORY LATEST #crash * 1000\r\n")
    found = []
    while True:
        text = (await asyncio.wait_for(reader.readline(), 10)).decode().rstrip("\r\n")
        if " BATCH -" in text:
            break
        if " PRIVMSG #crash :" in text and "sender!" in text:
            found.append(text.split(" :", 1)[1])
    writer.close()
    return found


def test_every_echoed_message_survives_a_kill_9(tmp_path: Path) -> None:
    echoed: list[str] = []
    with hubbub_serve(tmp_path, config=NO_FLOOD_LIMITS) as server:
        asyncio.run(_send_until_killed(server.port, server.process.pid, echoed))
        server.process.wait(timeout=10)
    with hubbub_serve(tmp_path, config=NO_FLOOD_LIMITS) as server:
        stored = asyncio.run(_history(server.port))
    assert len(echoed) >= 300
    # Stored: everything echoed, in order, once (and maybe a few more that were
    # committed but whose echo the kill cut off).
    assert stored[: len(echoed)] == echoed
    assert len(stored) == len(set(stored))
    print(f"crash test: {len(echoed)} echoed, {len(stored)} found after restart")
