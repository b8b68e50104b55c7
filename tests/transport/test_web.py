"""The web port: IRC over WebSocket with a real aiohttp client, and file uploads."""

from __future__ import annotations

import asyncio
import errno
import logging
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


# Malformed and hostile requests: a clear 4xx, one log line, nothing stored.


async def raw_request(
    app: App, request: bytes, *, close_early: bool = False, head_only: bool = False
) -> bytes:
    """Send `request` as is on a new connection; the reply until the server
    closes, or only its head (b"" if we close first)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", app.ports["web"])
    writer.write(request)
    await writer.drain()
    if close_early:
        writer.close()
        await writer.wait_closed()
        return b""
    if head_only:
        reply = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    else:
        reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return reply


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


async def test_basic_credentials_that_are_not_ascii_are_401(app: App) -> None:
    reply = await raw_request(
        app,
        b"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xc3\xa9\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n"
        b"\r\nabc",
    )
    assert status_of(reply) == 401


async def test_a_body_that_is_not_its_content_encoding_is_400(
    app: App, tmp_path: Path
) -> None:
    token, _connection = await upload_token(app)
    reply = await raw_request(
        app,
        f"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n"
        "Content-Length: 7\r\nConnection: close\r\n\r\nnotgzip".encode(),
    )
    assert status_of(reply) == 400
    assert b"the body could not be read" in reply
    assert not (tmp_path / "uploads").exists()


@pytest.mark.parametrize("path", ["/files/" + "a" * 256 + "/x", "/static/" + "a" * 300])
async def test_names_too_long_for_the_file_system_are_404(
    app: App, tmp_path: Path, path: str
) -> None:
    (tmp_path / "uploads").mkdir()  # as after a first upload
    async with (
        aiohttp.ClientSession() as session,
        session.get(web_url(app, path)) as reply,
    ):
        assert reply.status == 404


async def test_an_upload_cut_short_is_one_log_line(
    app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token, _connection = await upload_token(app)
    caplog.set_level(logging.INFO)
    await raw_request(
        app,
        f"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello".encode(),
        close_early=True,
    )
    for _ in range(100):
        if "ended early" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "- an upload from 127.0.0.1 ended early" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"GET /static/\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
)
async def test_a_malformed_request_is_400_and_one_log_line(
    app: App, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    caplog.set_level(logging.INFO)
    reply = await raw_request(app, request_bytes)
    assert status_of(reply) == 400
    assert "- refused a malformed HTTP request from 127.0.0.1: 400" in caplog.text
    assert [r for r in caplog.records if r.exc_info] == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_head_never_opens_a_websocket(app: App) -> None:
    upgrade = (
        "HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "\r\n"
    )
    ws = await raw_request(app, f"HEAD /ws {upgrade}".encode(), head_only=True)
    assert status_of(ws) == 405
    index = await raw_request(app, f"HEAD / {upgrade}".encode(), head_only=True)
    assert status_of(index) == 200


async def test_an_origin_that_is_not_a_web_page_is_refused(app: App) -> None:
    host = f"127.0.0.1:{app.ports['web']}"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                web_url(app, "/ws"), headers={"Origin": f"evil://{host}"}
            )
        assert refused.value.status == 403
        async with session.ws_connect(
            web_url(app, "/ws"), headers={"Origin": f"http://{host}"}
        ) as ws:
            await ws.send_str("PING :same-origin")
            assert (await ws_lines_until(ws, "same-origin"))[-1].endswith(
                "PONG irc.test :same-origin"
            )


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        ("attachment; filename*=UTF-8''caf%C3%A9.txt", "caf%C3%A9.txt"),
        ("attachment; filename*=UTF-8''%2e%2e%2fnotes.txt", "notes.txt"),
        # What RFC 6266 does not allow but clients send: read leniently.
        ("attachment; filename*=UTF-8''my%20cat%20(1).txt", "my%20cat%20%281%29.txt"),
        ("attachment; filename=my cat.txt", "my%20cat.txt"),
        ('attachment; filename="a;b;c.txt"', "a%3Bb%3Bc.txt"),
        ("attachment; filename*=x''%41.txt", "A.txt"),  # a charset unknown
        ('attachment; filename=".."', "upload"),
        ('attachment; filename="."', "upload"),
        ("inline", "upload"),
    ],
)
async def test_upload_names_are_decoded_and_never_path_steps(
    app: App, disposition: str, name: str
) -> None:
    token, _connection = await upload_token(app)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "text/plain",
        "Content-Disposition": disposition,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(web_url(app, "/upload"), data=b"notes", headers=headers) as reply,
    ):
        assert reply.status == 201
        assert reply.headers["Location"].rsplit("/", 1)[-1] == name


async def post_text(app: App, token: str, body: bytes) -> tuple[int, str]:
    """POST `body` as a text/plain upload; the status and the reply's text."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(web_url(app, "/upload"), data=body, headers=headers) as reply,
    ):
        return reply.status, await reply.text()


async def test_an_upload_the_disk_has_no_room_for_is_507_and_leaves_nothing(
    app: App,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, _connection = await upload_token(app)
    real_write_text = Path.write_text

    def disk_full_at_the_record(path: Path, *args: object, **kwargs: object) -> int:
        if path.parent.name == "uploads":  # the file's bytes are written already
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", disk_full_at_the_record)
    caplog.set_level(logging.INFO)
    status, text = await post_text(app, token, b"notes")
    assert (status, text) == (507, "the server has no room for this file now\n")
    assert not any((tmp_path / "uploads").iterdir())  # nor a ".part" left
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage().split(":")[0] for r in errors] == [
        "! upload by uploader not stored"
    ]
    assert [r for r in caplog.records if r.exc_info] == []
    monkeypatch.undo()
    assert (await post_text(app, token, b"notes"))[0] == 201  # room again


async def test_an_upload_that_cannot_be_stored_is_503(
    app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token, _connection = await upload_token(app)
    (tmp_path / "uploads").write_text("a file where the directory should be")
    status, text = await post_text(app, token, b"notes")
    assert (status, text) == (503, "the file could not be stored; try again later\n")
    assert [r for r in caplog.records if r.exc_info] == []


async def test_pages_come_with_security_headers(app: App) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/", "/static/src/app.js", "/files/nope/x.png"):
            async with session.get(web_url(app, path)) as reply:
                headers = reply.headers
                assert headers["X-Content-Type-Options"] == "nosniff", path
                assert headers["X-Frame-Options"] == "DENY", path
                assert headers["Referrer-Policy"] == "no-referrer", path
                policy = headers["Content-Security-Policy"]
                assert "frame-ancestors 'none'" in policy, path
                assert "script-src 'self'" in policy, path


async def test_an_upload_posted_from_another_site_is_refused(
    app: App, tmp_path: Path
) -> None:
    client = await LineClient.open(app.ports["irc"])
    await client.register("member")
    await client.send("NS REGISTER hunter2hunter2")
    await client.read_until("Account created")
    credentials = aiohttp.encode_basic_auth("member", "hunter2hunter2")
    headers = {"Content-Type": "text/plain", "Authorization": credentials}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            web_url(app, "/upload"),
            data=b"forged",
            headers={**headers, "Origin": "https://evil.example"},
        ) as reply:
            assert reply.status == 403
        uploads = tmp_path / "uploads"
        assert not uploads.exists() or not any(uploads.iterdir())
        # The page's own origin may upload.
        own = f"http://127.0.0.1:{app.ports['web']}"
        async with session.post(
            web_url(app, "/upload"), data=b"mine", headers={**headers, "Origin": own}
        ) as reply:
            assert reply.status == 201


async def test_an_ipv6_host_is_bracketed_in_the_upload_address(tmp_path: Path) -> None:
    config = make_config(host="::1", port=0, data_dir=tmp_path)
    async with run_app(config) as running:
        assert running.engine.web_base_url == f"http://[::1]:{running.ports['web']}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{running.engine.web_base_url}/") as reply,
        ):
            assert reply.status == 200
