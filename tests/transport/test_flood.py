"""Flood control over real sockets: a client that floods is slowed down, loses
nothing, and disturbs no one else (TCP and WebSocket)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hubbub.app import App, run_app
from tests.fakes import make_config
from tests.transport.test_stream import LineClient
from tests.transport.test_web import web_url, ws_lines_until

BURST = 10
RATE = 20.0  # lines per second once the burst is spent
LINES = 60  # (60 - 10) / 20: at least 2.5 s to get through
# Each line carries 4 KB of client tags: unthrottled, 60 of them in one go
# would be 240 KB in every member's queue at once.
TAGS = "@+example.com/padding=" + "x" * 4000


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    limits = {"flood_burst_lines": BURST, "flood_lines_per_second": RATE}
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path, limits=limits)
    async with run_app(config) as running:
        yield running


async def _member(app: App, nick: str, *caps: str) -> LineClient:
    client = await LineClient.open(app.ports["irc"])
    if caps:
        await client.send(f"CAP REQ :{' '.join(caps)}", "CAP END")
    await client.register(nick)
    await client.send("JOIN #flood")
    await client.read_until(" 366 ")
    return client


async def _ping_seconds(client: LineClient, token: str) -> float:
    started = time.monotonic()
    await client.send(f"PING :{token}")
    await client.read_until(token)
    return time.monotonic() - started


async def test_a_flood_is_slowed_not_dropped_and_others_go_on(app: App) -> None:
    bob = await _member(app, "bob", "message-tags")
    carol = await _member(app, "carol")
    flooder = await _member(app, "flooder", "message-tags")
    await bob.read_until("flooder")
    await carol.read_until("flooder")
    started = time.monotonic()
    await flooder.send(*(f"{TAGS} PRIVMSG #flood :line {n}" for n in range(LINES)))
    # Meanwhile carol is answered at once, and sees the flood come in order.
    await carol.send("PING :carol")
    texts: list[str] = []
    ponged = None
    while len(texts) < LINES:
        line = await carol.read_line(10)
        if " PRIVMSG #flood " in line:
            texts.append(line.rsplit(":", 1)[1])
        elif line.endswith(" PONG irc.test :carol"):
            ponged = time.monotonic() - started
    elapsed = time.monotonic() - started
    assert texts == [f"line {n}" for n in range(LINES)]
    assert ponged is not None
    assert ponged < 2.0
    assert elapsed >= (LINES - BURST - 1) / RATE
    # bob, with the 4 KB tags, got all of it and was not dropped.
    bob_lines = await bob.read_until(f"line {LINES - 1}")
    assert sum(" PRIVMSG #flood " in line for line in bob_lines) == LINES
    assert await _ping_seconds(bob, "bob") < 2.0
    # The flooder itself is still connected, and answered once caught up.
    assert await _ping_seconds(flooder, "flooder") < 2.0
    for client in (bob, carol, flooder):
        await client.close()


async def test_a_websocket_flood_is_slowed_too(app: App) -> None:
    carol = await _member(app, "carol")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(web_url(app, "/ws"), protocols=("text.ircv3.net",)) as ws,
    ):
        await ws.send_str("NICK webflood")
        await ws.send_str("USER webflood 0 * :Web")
        await ws.send_str("JOIN #flood")
        await ws_lines_until(ws, " 366 ")
        await carol.read_until("webflood")
        started = time.monotonic()
        for n in range(LINES):
            await ws.send_str(f"PRIVMSG #flood :line {n}")
        lines = await carol.read_until(f"line {LINES - 1}", seconds=10)
        elapsed = time.monotonic() - started
        texts = [line.rsplit(":", 1)[1] for line in lines if " PRIVMSG " in line]
        assert texts == [f"line {n}" for n in range(LINES)]
        assert elapsed >= (LINES - BURST - 4) / RATE
        await ws.send_str("PING :after")
        await ws_lines_until(ws, "after")
    await carol.close()


async def test_a_flooder_that_closes_while_held_back_is_still_heard_out(
    app: App,
) -> None:
    """What it sent before closing was sent: it is all delivered, in order
    and at the flood rate, then the QUIT."""
    carol = await _member(app, "carol")
    flooder = await _member(app, "flooder")
    await carol.read_until("flooder")
    await flooder.send(*(f"PRIVMSG #flood :line {n}" for n in range(LINES)))
    await asyncio.sleep(0.1)
    await flooder.close()
    lines = await carol.read_until(" QUIT ", seconds=10)
    texts = [line.rsplit(":", 1)[1] for line in lines if " PRIVMSG " in line]
    assert texts == [f"line {n}" for n in range(LINES)]
    assert await _ping_seconds(carol, "still") < 2.0
    await carol.close()


async def test_labeled_lines_are_held_back_like_any_other(app: App) -> None:
    carol = await _member(app, "carol")
    flooder = await _member(app, "flooder")
    await carol.read_until("flooder")
    started = time.monotonic()
    await flooder.send(
        *(f"@label=x{n} PRIVMSG #flood :line {n}" for n in range(LINES)),
        "PING :after",
    )
    lines = await carol.read_until(f"line {LINES - 1}", seconds=10)
    assert time.monotonic() - started >= (LINES - BURST - 1) / RATE
    texts = [line.rsplit(":", 1)[1] for line in lines if " PRIVMSG " in line]
    assert texts == [f"line {n}" for n in range(LINES)]
    # No debt left behind: the PING after them is answered at their pace.
    await flooder.read_until("after", seconds=5)
    assert time.monotonic() - started < (LINES - BURST) / RATE + 2.0


async def test_lines_held_back_when_a_tls_client_closes_are_still_handled(
    app: App,
) -> None:
    """Over TLS the client's close arrives with its last data (plain TCP does
    not read it before the held lines): what it sent before is handled all
    the same, at the flood rate, then its QUIT."""
    carol = await _member(app, "carol")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the server's self-signed certificate
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", app.ports["tls"], ssl=context
    )
    writer.write(b"NICK tlsflood\r\nUSER tlsflood 0 * :t\r\nJOIN #flood\r\n")
    while b" 366 " not in await asyncio.wait_for(reader.readline(), 5):
        pass
    await carol.read_until("tlsflood")
    lines = [f"PRIVMSG #flood :line {n}" for n in range(LINES)] + ["QUIT :bye now"]
    writer.write("".join(line + "\r\n" for line in lines).encode())
    writer.close()  # close_notify, right behind the data
    seen = await carol.read_until(" QUIT ", seconds=10)
    texts = [line.rsplit(":", 1)[1] for line in seen if " PRIVMSG " in line]
    assert texts == [f"line {n}" for n in range(LINES)]
    assert seen[-1].endswith("QUIT :Quit: bye now")
    await carol.close()
