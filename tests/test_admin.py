"""`hubbub accounts`: the operator's account tools, on a real SQLite database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from hubbub.core.ports import HistoryItem
from hubbub.core.user import account_history_owner
from hubbub.storage.open import open_storage
from hubbub.storage.passwords import Argon2Passwords
from tests.server_process import hubbub_serve


def accounts(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m hubbub accounts ARGS` (`stdin`: what a pipe gives it)."""
    return subprocess.run(
        [sys.executable, "-m", "hubbub", "accounts", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        check=False,
    )


def test_create_and_reset_read_a_piped_password(tmp_path: Path) -> None:
    where = ("--data-dir", str(tmp_path))
    created = accounts("create", "alice", *where, stdin="first-secret\n")
    assert created.returncode == 0, created.stderr
    assert "Warning" not in created.stderr
    reset = accounts("reset-password", "alice", *where, stdin="second-secret\n")
    assert reset.returncode == 0, reset.stderr
    short = accounts("reset-password", "alice", *where, stdin="short\n")
    assert short.returncode == 2
    assert "at least 8 characters" in short.stderr

    async def check() -> tuple[bool, bool]:
        storage = await open_storage(f"sqlite:///{tmp_path / 'hubbub.db'}")
        try:
            account = await storage.accounts.get_account("alice")
        finally:
            await storage.close()
        assert account is not None
        passwords = Argon2Passwords()
        return (
            await passwords.verify(account.password_hash, "second-secret"),
            await passwords.verify(account.password_hash, "first-secret"),
        )

    assert asyncio.run(check()) == (True, False)


def test_create_list_reset_and_delete(tmp_path: Path) -> None:
    where = ("--data-dir", str(tmp_path))
    created = accounts("create", "alice", "--password", "secretpw", *where)
    assert (created.returncode, created.stdout) == (0, "created account alice\n")
    listed = accounts("list", *where)
    assert listed.stdout.startswith("alice  created ")
    assert listed.stdout.endswith("1 account(s)\n")
    again = accounts("create", "Alice", "--password", "otherpass", *where)
    assert again.returncode == 1
    assert again.stderr == "hubbub accounts: account Alice already exists\n"
    reset = accounts("reset-password", "alice", "--password", "newpass1", *where)
    assert reset.returncode == 0
    assert accounts("delete", "alice", "--yes", *where).returncode == 0
    missing = accounts("delete", "alice", "--yes", *where)
    assert (missing.returncode, missing.stderr) == (
        1,
        "hubbub accounts: no account alice\n",
    )


def test_delete_takes_the_accounts_private_history_with_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hubbub.db'}"

    def message(
        text: str, owner: str, target: str, peer: str, peer_target: str
    ) -> HistoryItem:
        return HistoryItem(
            owner,
            target,
            f"id-{text}",
            1.0,
            "x!x@h",
            None,
            "PRIVMSG",
            (target, text),
            peer_owner=peer,
            peer_target=peer_target,
        )

    async def write() -> str:
        """alice's messages in her account's history; its owner."""
        storage = await open_storage(url)
        account = await storage.accounts.get_account("alice")
        assert account is not None
        alice = account_history_owner("alice", account.created_at)
        storage.history.append(message("to bob", alice, "bob", "a:bob", "alice"))
        storage.history.append(message("to self", alice, "alice", "", ""))
        await storage.close()
        return alice

    async def read(owner: str, target: str) -> list[str]:
        storage = await open_storage(url)
        found = await storage.history.select(
            owner, target, after=None, before=None, limit=10, newest_first=False
        )
        await storage.close()
        return [item.params[1] for item in found]

    where = ("--data-dir", str(tmp_path))
    assert accounts("create", "alice", "--password", "secretpw", *where).returncode == 0
    alice = asyncio.run(write())
    assert asyncio.run(read(alice, "bob")) == ["to bob"]
    assert accounts("delete", "alice", "--yes", *where).returncode == 0
    assert asyncio.run(read(alice, "bob")) == []
    assert asyncio.run(read(alice, "alice")) == []
    assert asyncio.run(read("a:bob", "alice")) == ["to bob"]  # bob's copy stays


def test_an_invalid_name_is_refused(tmp_path: Path) -> None:
    result = accounts(
        "create", "not valid", "--password", "x", "--data-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert "is not a valid account name" in result.stderr


def test_a_password_scram_cannot_take_is_refused(tmp_path: Path) -> None:
    where = ("--data-dir", str(tmp_path))
    result = accounts("create", "alice", "--password", "secret\x01pw", *where)
    assert result.returncode == 2
    assert "A password may not hold that character" in result.stderr
    assert "Traceback" not in result.stderr
    assert accounts("list", *where).stdout == "0 account(s)\n"
    accounts("create", "alice", "--password", "secretpw", *where)
    reset = accounts("reset-password", "alice", "--password", "\u00ad", *where)
    assert (reset.returncode, "A password may not be empty" in reset.stderr) == (
        2,
        True,
    )


async def _identify(port: int, password: str) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NICK alice\r\nUSER alice 0 * :Alice\r\n")
    writer.write(f"NS IDENTIFY {password}\r\nQUIT\r\n".encode())
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data.decode().splitlines()


def test_an_account_made_by_the_cli_logs_in_on_the_server(tmp_path: Path) -> None:
    accounts("create", "alice", "--password", "cli-made", "--data-dir", str(tmp_path))
    with hubbub_serve(tmp_path) as server:
        lines = asyncio.run(_identify(server.port, "cli-made"))
    assert any(" 900 alice " in line for line in lines), lines


async def _logged_out_after_delete(port: int, data_dir: Path) -> list[str]:
    """Log alice in, delete her account with the CLI, read until the server
    logs her out (or 30 s pass)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NICK alice\r\nUSER alice 0 * :Alice\r\nNS IDENTIFY cli-made\r\n")
    lines: list[str] = []
    async with asyncio.timeout(30):
        while " 900 alice " not in "\n".join(lines):
            lines.append((await reader.readline()).decode().rstrip())
        deleted = await asyncio.to_thread(
            accounts, "delete", "alice", "--yes", "--data-dir", str(data_dir)
        )
        assert deleted.returncode == 0, deleted.stderr
        while " 901 alice " not in lines[-1]:
            line = (await reader.readline()).decode()
            assert line, lines  # the connection stays up
            lines.append(line.rstrip())
        writer.write(b"WHOIS alice\r\n")
        while " 318 alice " not in lines[-1]:
            lines.append((await reader.readline()).decode().rstrip())
    writer.close()
    return lines


def test_a_session_logged_in_to_an_account_the_cli_deletes_is_logged_out(
    tmp_path: Path,
) -> None:
    accounts("create", "alice", "--password", "cli-made", "--data-dir", str(tmp_path))
    with hubbub_serve(tmp_path) as server:
        lines = asyncio.run(_logged_out_after_delete(server.port, tmp_path))
    after = lines[next(i for i, line in enumerate(lines) if " 901 " in line) :]
    assert any("Your account alice no longer exists" in line for line in after)
    assert not any(" 330 " in line for line in after), after  # WHOIS: no account


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "NickServ", "--password", "secretpw"), "not a valid account name"),
        (("create", "alice", "--password", "short"), "at least 8 characters"),
        (("reset-password", "alice", "--password", "short"), "at least 8 characters"),
    ],
)
def test_the_servers_own_rules_hold_for_the_cli(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = accounts(*args, "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert message in result.stderr


def test_storage_that_cannot_be_used_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = accounts("list", "--data-dir", str(blocked))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"hubbub accounts: cannot use the data directory {blocked}: File exists"
    )
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "hubbub.db").write_bytes(b"not a database, " * 1000)
    result = accounts("list", "--data-dir", str(garbage))
    assert result.returncode == 1
    assert "file is not a database" in result.stderr
    assert "Traceback" not in result.stderr
    config = tmp_path / "memory.toml"
    config.write_text('[storage]\nurl = "memory"\n')
    result = accounts(
        "create", "zed", "--password", "longpassword", "--config", str(config)
    )
    assert result.returncode == 1
    assert "keeps nothing" in result.stderr
