"""A process killed with SIGKILL loses no message whose commit it had seen.

The child (`crash_writer.py`) echoes each message only after `commit()`
returned; after the kill, every echoed message is in the history, once, and
each sender's messages are in the order it sent them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from hubbub.core.ports import HistoryItem
from hubbub.storage.database import open_database
from hubbub.storage.open import open_sql_storage
from tests.storage.conftest import POSTGRES_URL, SQL_KINDS, run_as_admin
from tests.storage.crash_writer import SENDERS, TARGET, private_target

REPO = Path(__file__).resolve().parents[2]
ECHOES_BEFORE_KILL = 400
WATCHDOG_SECONDS = 30.0


def run_until_killed(url: str, schema: str | None) -> list[str]:
    """Start the writer, SIGKILL it after some echoes; return every echoed msgid."""
    command = [sys.executable, "-m", "tests.storage.crash_writer", url]
    if schema is not None:
        command.append(schema)
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        watchdog = threading.Timer(WATCHDOG_SECONDS, child.kill)  # never hang CI
        watchdog.start()
        assert child.stdout.readline() == "ready\n"
        echoed = [child.stdout.readline().strip() for _ in range(ECHOES_BEFORE_KILL)]
        os.kill(child.pid, signal.SIGKILL)
        echoed += child.stdout.read().split()  # echoed before it died, still piped
        child.wait(timeout=10)
        watchdog.cancel()
    return echoed


async def read_history(
    url: str, schema: str | None, histories: list[tuple[str, str]]
) -> list[HistoryItem]:
    """Everything in `histories`, in storage order, read after a restart."""
    storage = await open_sql_storage(open_database(url, schema=schema))
    items = []
    for owner, target in histories:
        items += await storage.history.select(
            owner, target, after=None, before=None, limit=1_000_000, newest_first=False
        )
    await storage.close()
    return sorted(items, key=lambda item: item.seq)


# The channel's history, and each private conversation as bob's side holds it.
HISTORIES = [("", TARGET)] + [
    view for n in range(SENDERS) if (view := private_target(n)) is not None
]
# The same conversations as their senders' sides hold them.
SENDER_SIDES = [(f"n:sender{n}", "bob") for n in range(SENDERS) if private_target(n)]


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_every_echoed_message_survives_sigkill(kind: str, tmp_path: Path) -> None:
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        assert POSTGRES_URL is not None
        url, schema = POSTGRES_URL, f"crash_{os.getpid()}"
        asyncio.run(run_as_admin(f"CREATE SCHEMA {schema}"))
    try:
        echoed = run_until_killed(url, schema)
        stored = asyncio.run(read_history(url, schema, HISTORIES))
        senders_sides = asyncio.run(read_history(url, schema, SENDER_SIDES))
    finally:
        if schema is not None:
            asyncio.run(run_as_admin(f"DROP SCHEMA {schema} CASCADE"))
    msgids = [item.msgid for item in stored]
    # A private message is in both parties' histories, or in neither.
    assert {item.msgid for item in senders_sides} == {
        item.msgid for item in stored if item.target != TARGET
    }
    assert len(msgids) == len(set(msgids)), "a message was stored twice"
    assert set(echoed) <= set(msgids), "an echoed message was lost"
    by_sender: defaultdict[str, list[int]] = defaultdict(list)
    for msgid in msgids:
        sender, n = msgid.split("-")
        by_sender[sender].append(int(n))
    for sent in by_sender.values():
        assert sent == list(range(len(sent))), "a sender's messages are out of order"
