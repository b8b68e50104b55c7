"""The web port: IRC over WebSocket with a real aiohttp client, and file uploads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hubbub.app import App, run_app
from tests.fakes import make_config
from tests.transport.test_stream import LineClient


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """A running server with its web port on a free port."""
    files = {"max_bytes": 1024, "allowed_types": ["image/png", "text/plain"]}
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path, files=files)
    async with run_app(config) as running:
        yield running


def web_url(app: App, path: str) -> str:
    return f"http://127.0.0.1:{app.ports['web']}{path}"


async def ws_lines_until(
    ws: aiohttp.ClientWebSocketResponse, fragment: str
) -> list[str]:
    lines = []
    while True:
        message = await asyncio.wait_for(ws.receive(), 5)
        assert message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), (
            message
        )
        text = message.data if isinstance(message.data, str) else message.data.decode()
        assert "\r" not in text
        assert "\n" not in text
        lines.append(text)
        if fragment in text:
            return lines


async def test_websocket_client_chats_with_tcp_client(app: App) -> None:
    tcp = await LineClient.open(app.ports["irc"])
    await tcp.register("tcpuser")
    await tcp.send("JOIN #mixed")
    await tcp.read_until(" 366 ")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(web_url(app, "/ws"), protocols=("text.ircv3.net",)) as ws,
    ):
        assert ws.protocol == "text.ircv3.net"
        await ws.send_str("NICK webuser")
        await ws.send_str("USER webuser 0 * :Web User")
        await ws_lines_until(ws, " 422 ")
        await ws.send_str("JOIN #mixed")
        await ws_lines_until(ws, " 366 ")
        assert (await tcp.read_line()).startswith(":webuser!~webuser@127.0.0.1 JOIN")
        await ws.send_str("PRIVMSG #mixed :hello from the browser")
        assert (await tcp.read_line()).endswith(
            "PRIVMSG #mixed :hello from the browser"
        )
        await tcp.send("PRIVMSG #mixed :hello from the terminal")
        lines = await ws_lines_until(ws, "hello from the terminal")
        assert (
            lines[-1]
            == ":tcpuser!~tcpuser@127.0.0.1 PRIVMSG #mixed :hello from the terminal"
        )
    await tcp.close()


async def test_binary_subprotocol_uses_binary_frames(app: App) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(web_url(app, "/ws"), protocols=("binary.ircv3.net",)) as ws,
    ):
        await ws.send_bytes(b"PING :bin")
        message = await asyncio.wait_for(ws.receive(), 5)
        assert message.type == aiohttp.WSMsgType.BINARY
        assert message.data == b":irc.test PONG irc.test :bin"


async def test_a_foreign_origin_is_refused(app: App) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                web_url(app, "/ws"), headers={"Origin": "https://evil.example"}
            )
        assert refused.value.status == 403


async def test_an_overlong_websocket_line_gets_417(app: App) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(web_url(app, "/ws")) as ws,
    ):
        await ws.send_str("PING :" + "x" * 600)
        lines = await ws_lines_until(ws, " 417 ")
        assert lines[-1] == ":irc.test 417 * :Input line was too long"


async def upload_token(app: App) -> tuple[str, LineClient]:
    """A token from FILEHOST, and the connection it belongs to (keep it open)."""
    client = await LineClient.open(app.ports["irc"])
    await client.register("uploader")
    await client.send("FILEHOST")
    line = (await client.read_until(" FILEHOST "))[-1]
    _, _, url, token, seconds = line.split(" ")
    assert url == web_url(app, "/upload")
    assert seconds == "300"
    return token, client


async def test_upload_then_download_with_safe_headers(app: App) -> None:
    token, _connection = await upload_token(app)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "image/png",
        "Content-Disposition": 'attachment; filename="../../cat.png"',
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            web_url(app, "/upload"), data=b"\x89PNG fake", headers=headers
        ) as reply:
            assert reply.status == 201
            location = reply.headers["Location"]
        assert location.startswith(web_url(app, "/files/"))
        assert location.endswith("/cat.png")
        async with session.get(location) as download:
            assert download.status == 200
            assert await download.read() == b"\x89PNG fake"
            assert download.headers["Content-Type"] == "image/png"
            assert download.headers["X-Content-Type-Options"] == "nosniff"
            assert download.headers["Content-Disposition"].startswith("inline;")
            assert "sandbox" in download.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Authorization": "Bearer wrong", "Content-Type": "text/plain"}, b"hi", 401),
        ({"Authorization": "", "Content-Type": "text/plain"}, b"hi", 401),
        ({"Content-Type": "text/html"}, b"<script>", 415),
        ({"Content-Type": "text/plain"}, b"x" * 2048, 413),
        ({"Content-Type": "text/plain"}, b"", 400),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    app: App, tmp_path: Path, headers: dict[str, str], body: bytes, status: int
) -> None:
    token, _connection = await upload_token(app)
    headers = {"Authorization": f"Bearer {token}", **headers}
    async with (
        aiohttp.ClientSession() as session,
        session.post(web_url(app, "/upload"), data=body, headers=headers) as reply,
    ):
        assert reply.status == status
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_upload_with_account_credentials(app: App) -> None:
    client = await LineClient.open(app.ports["irc"])
    await client.register("member")
    await client.send("NS REGISTER hunter2hunter2")
    await client.read_until("Account created")
    credentials = aiohttp.encode_basic_auth("member", "hunter2hunter2")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            web_url(app, "/upload"),
            data=b"notes",
            headers={"Content-Type": "text/plain", "Authorization": credentials},
        ) as reply,
    ):
        assert reply.status == 201


async def test_unknown_files_are_404(app: App) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(web_url(app, "/files/nope/x.png")) as reply,
    ):
        assert reply.status == 404


async def test_isupport_advertises_the_upload_address(app: App) -> None:
    client = await LineClient.open(app.ports["irc"])
    await client.send("NICK probe", "USER probe 0 * :p")
    lines = await client.read_until(" 422 ")
    upload = web_url(app, "/upload")
    assert any(f"soju.im/FILEHOST={upload}" in line for line in lines)


async def test_a_token_dies_with_its_connection(app: App) -> None:
    token, connection = await upload_token(app)
    await connection.send("QUIT")
    await connection.read_until("ERROR")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(web_url(app, "/upload"), data=b"late", headers=headers) as reply,
    ):
        assert reply.status == 401
