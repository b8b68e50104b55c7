"""A shutdown lets the commands under way end before it closes the database."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from hubbub.app import run_app
from hubbub.transport.session import PendingCommands
from tests.fakes import make_config
from tests.transport.test_stream import LineClient


async def test_finish_waits_for_the_commands_under_way() -> None:
    pending = PendingCommands()
    done: list[str] = []

    async def command(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(name)

    for name, seconds in (("quick", 0.0), ("slower", 0.05)):
        pending.add(asyncio.ensure_future(command(name, seconds)))
    assert len(pending) == 2
    await pending.finish(grace_seconds=5.0)
    assert sorted(done) == ["quick", "slower"]
    assert len(pending) == 0


async def test_a_command_past_the_grace_is_cancelled_and_unwinds() -> None:
    pending = PendingCommands()
    unwound = asyncio.Event()

    async def stuck() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            unwound.set()  # as a transaction's `async with` would roll back

    task = asyncio.ensure_future(stuck())
    pending.add(task)
    await pending.finish(grace_seconds=0.05)
    assert task.cancelled()
    assert unwound.is_set()
    assert len(pending) == 0


async def test_a_command_that_will_not_end_is_given_up_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pending = PendingCommands()
    release = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await release.wait()  # swallows the cancellation

    task = asyncio.ensure_future(stubborn())
    pending.add(task)
    with caplog.at_level(logging.WARNING):
        async with asyncio.timeout(2):
            await pending.finish(grace_seconds=0.05)
    assert "1 commands did not end when cancelled" in caplog.text
    release.set()
    await task


async def test_shutdown_during_joins_waits_for_their_history_replays(
    tmp_path: Path,
) -> None:
    # JOIN answers with NAMES, then replays the channel's history from the
    # database in a task: shutting down right after the NAMES closed the
    # database under those tasks, and left them inside their transactions,
    # cancelled when the event loop closed, their connections never
    # returned to the pool (SQLAlchemy's garbage collector warning).
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config) as app:
        clients = [await LineClient.open(app.ports["irc"]) for _ in range(30)]
        for number, client in enumerate(clients):
            await client.send(f"NICK j{number}", "USER u 0 * :x", "JOIN #busy")
        for client in clients:
            await client.read_until(" 366 ", seconds=20)
    still_running = [
        task for task in asyncio.all_tasks() if task is not asyncio.current_task()
    ]
    for client in clients:
        client.writer.close()
    assert still_running == []
