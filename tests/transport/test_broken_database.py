"""A running server whose SQLite file breaks under it (overwritten with
garbage, as a failing disk or a careless `cp` would leave it): live chat goes
on, and what needs the database gets a standard reply, not a dropped
connection (tests/core/test_store_failures.py has every command's answer)."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest

from hubbub.app import run_app
from tests.fakes import make_config
from tests.transport.test_stream import LineClient
from tests.transport.test_web import upload_token, web_url

PASSWORD = "hunter2hunter2"


def break_database(path: Path) -> None:
    """Overwrite the database file (and its write-ahead log) with bytes that
    are not SQLite's, in place: the server's open connections see them."""
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            size = max(file.stat().st_size, 8192)
            with file.open("r+b") as handle:
                handle.write(os.urandom(size))


async def test_a_broken_database_drops_nobody(tmp_path: Path) -> None:
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config) as app:
        port = app.ports["irc"]
        alice, bob = await LineClient.open(port), await LineClient.open(port)
        await alice.send("CAP REQ :echo-message draft/chathistory batch")
        await alice.send("CAP REQ :draft/account-registration")
        await alice.send("CAP END")
        await alice.register("alice")
        await bob.register("bob")
        await alice.send("JOIN #tea")
        await alice.read_until(" 366 ")
        await bob.send("JOIN #tea")
        await bob.read_until(" 366 ")
        await alice.read_until("JOIN #tea")
        await alice.send("PRIVMSG #tea :kept")
        await alice.read_until("PRIVMSG #tea :kept")  # the echo: it is stored
        await bob.read_until("PRIVMSG #tea :kept")

        break_database(Path(config.data_dir) / "hubbub.db")

        await alice.send("CHATHISTORY LATEST #tea * 10")
        assert (await alice.read_until("FAIL"))[-1] == (
            ":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST #tea"
            " :Messages could not be retrieved"
        )
        await alice.send(f"REGISTER * * {PASSWORD}")
        assert (await alice.read_until("FAIL", seconds=10))[-1] == (
            ":irc.test FAIL REGISTER TEMPORARILY_UNAVAILABLE alice"
            " :Accounts cannot be stored right now; try again later"
        )
        # A message still reaches the channel, and its sender sees the echo.
        await alice.send("PRIVMSG #tea :after the break")
        assert (await bob.read_line()) == (
            ":alice!~alice@127.0.0.1 PRIVMSG #tea :after the break"
        )
        await alice.read_until("PRIVMSG #tea :after the break", seconds=10)
        # A newcomer without chathistory joins (its replay cannot be read).
        carol = await LineClient.open(port)
        await carol.register("carol")
        await carol.send("JOIN #tea")
        await carol.read_until(" 366 ")
        for client in (alice, bob, carol):
            await client.send("PING :alive")
            lines = await client.read_until("PONG")
            assert not any("ERROR" in line for line in lines), lines
            await client.close()


async def test_an_account_upload_is_503_while_the_database_is_broken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config) as app:
        member = await LineClient.open(app.ports["irc"])
        await member.register("member")
        await member.send(f"NS REGISTER {PASSWORD}")
        await member.read_until("Account created")
        token, _connection = await upload_token(app)

        break_database(Path(config.data_dir) / "hubbub.db")

        credentials = aiohttp.encode_basic_auth("member", PASSWORD)
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "text/plain", "Authorization": credentials}
            async with session.post(
                web_url(app, "/upload"), data=b"notes", headers=headers
            ) as reply:
                assert reply.status == 503
                assert await reply.text() == (
                    "accounts cannot be checked now; try again later\n"
                )
            # A token from IRC needs no database: that upload is stored.
            headers["Authorization"] = f"Bearer {token}"
            async with session.post(
                web_url(app, "/upload"), data=b"notes", headers=headers
            ) as reply:
                assert reply.status == 201
        assert [r for r in caplog.records if r.exc_info] == []
        await member.close()
