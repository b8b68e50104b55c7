"""Many clients at once against the real SQLite storage: handlers that await the
database run outside the transport's inline path without losing anyone."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hubbub.app import run_app
from tests.fakes import make_config
from tests.transport.test_stream import LineClient


async def test_fifty_simultaneous_registrations_all_succeed(tmp_path: Path) -> None:
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config) as app:
        clients = [await LineClient.open(app.ports["irc"]) for _ in range(50)]
        for number, client in enumerate(clients):
            # NICK looks the nick up in the account store (nick protection).
            await client.send(
                f"NICK user{number}", f"USER u{number} 0 * :x", "JOIN #busy"
            )
        for number, client in enumerate(clients):
            lines = await client.read_until(" 366 ", seconds=20)
            assert any(f" 001 user{number} " in line for line in lines), lines
        await clients[0].send("PRIVMSG #busy :everyone here?")
        for client in clients[1:]:
            assert (await client.read_until("everyone here?"))[-1].endswith(
                "everyone here?"
            )
        await asyncio.gather(*(client.close() for client in clients))
