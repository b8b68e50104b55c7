"""The running server deletes the private history of sessions without an
account once they end: those of this run (the last ones as it shuts down),
and those an earlier run left."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hubbub import app as app_module
from hubbub.app import run_app
from hubbub.core.ports import HistoryStore
from hubbub.core.user import account_history_owner
from hubbub.protocol.casemap import casefold
from hubbub.storage.memory import MemoryHistoryStore
from hubbub.storage.open import open_storage
from tests.fakes import make_config
from tests.storage.samples import T0, account, item
from tests.transport.test_stream import LineClient

POLL_SECONDS = 0.02
EARLIER = "n:alice:" + "0" * 12 + ".7"  # a session of an earlier run
CAROL = account_history_owner("carol", T0)  # an account's (created at T0)
GONE = account_history_owner("gone", T0)  # a deleted account's


async def until(
    condition: Callable[[list[str]], bool],
    history: HistoryStore,
    seconds: float = 10,
    prefix: str = "n:",
) -> None:
    """Wait until `condition(owners)` holds for the owners in `history` whose
    names start with `prefix`."""
    for _ in range(int(seconds / POLL_SECONDS)):
        owners = await history.owners(prefix)
        if condition(owners):
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"still {owners} after {seconds} s")


async def test_ended_sessions_histories_are_deleted_and_the_peers_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "FORGET_PERIOD_SECONDS", 0.05)
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    # An earlier run stopped while alice (no account) talked with carol,
    # who is logged in, and with dave, who is not.
    storage = await open_storage(config.storage_url())
    assert await storage.accounts.create_account(account("carol"))
    storage.history.append(
        item("to carol", owner=EARLIER, target="carol", at=T0).replace(
            peer_owner=CAROL, peer_target="alice"
        )
    )
    # And an account that was deleted while its history was kept (a crash
    # in between) wrote to carol.
    storage.history.append(
        item("from gone", owner=GONE, target="carol", at=T0 + 2).replace(
            peer_owner=CAROL, peer_target="gone"
        )
    )
    storage.history.append(
        item("to dave", owner=EARLIER, target="dave", at=T0 + 1).replace(
            peer_owner="n:dave:" + "0" * 12 + ".8", peer_target="alice"
        )
    )
    await storage.close()

    async with run_app(config) as app:
        history = app.engine.history
        # The earlier run's sessions are swept at start-up; carol's copy stays.
        await until(lambda owners: owners == [], history)
        await until(lambda owners: owners == [CAROL], history, prefix="a:")
        for peer, text in (("alice", "to carol"), ("gone", "from gone")):
            kept = await history.select(
                CAROL, peer, after=None, before=None, limit=10, newest_first=False
            )
            assert [entry.params[-1] for entry in kept] == [text]

        alice = await LineClient.open(app.ports["irc"])
        bob = await LineClient.open(app.ports["irc"])
        await alice.register("alice")
        await bob.register("bob")
        await alice.send("PRIVMSG bob :secret", "PING sync")
        await alice.read_until("PONG")
        await bob.read_until("secret")
        alice_owner = app.engine.state.users[casefold("alice")].history_owner
        bob_owner = app.engine.state.users[casefold("bob")].history_owner
        await history.commit()
        assert await history.owners("n:") == sorted([alice_owner, bob_owner])

        await alice.send("QUIT :bye")
        await alice.read_until("ERROR")
        await until(lambda owners: owners == [bob_owner], history)
        # bob still has his copy while his session lasts.
        mine = await history.select(
            bob_owner, "alice", after=None, before=None, limit=10, newest_first=False
        )
        assert [entry.params[-1] for entry in mine] == ["secret"]
        bob.writer.close()
        await until(lambda owners: owners == [], history)

        # A session that the shutdown ends: its history goes with it.
        erin = await LineClient.open(app.ports["irc"])
        await erin.register("erin")
        await erin.send("PRIVMSG erin :a note to myself", "PING sync")
        await erin.read_until("PONG")
        await history.commit()
        assert len(await history.owners("n:")) == 1
    storage = await open_storage(config.storage_url())
    assert await storage.history.owners("n:") == []
    await storage.close()


async def test_a_shutdown_leaves_what_it_has_no_time_for() -> None:
    history = MemoryHistoryStore()
    owners = ["n:amy:" + "0" * 12 + ".1", "n:bo:" + "0" * 12 + ".2"]
    for owner in owners:
        history.append(item("hi", owner=owner, target="cy", at=T0))
    await app_module._forget(history, owners, until=time.monotonic() - 1)
    assert await history.owners("n:") == owners  # out of time: none
    await app_module._forget(history, owners[:1], until=time.monotonic() + 60)
    assert await history.owners("n:") == owners[1:]


async def test_a_database_file_removed_under_the_server_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app_module, "DATABASE_CHECK_SECONDS", 0.05)
    config = make_config(host="127.0.0.1", port=0, data_dir=tmp_path)
    async with run_app(config):
        await asyncio.sleep(0.2)
        assert "was removed or replaced" not in caplog.text
        (tmp_path / "hubbub.db").unlink()
        for _ in range(100):
            if "was removed or replaced" in caplog.text:
                break
            await asyncio.sleep(0.05)
    errors = [r.getMessage() for r in caplog.records if "was removed" in r.getMessage()]
    assert errors == [
        f"! the database file {tmp_path / 'hubbub.db'} was removed or replaced while"
        " the server runs: what is stored from now on is lost when it stops;"
        " restore the file, or restart the server"
    ]
