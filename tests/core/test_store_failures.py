"""A store that fails (a full disk, a broken database): clients get a standard
reply or a NickServ notice, never a dropped connection, and live chat goes on.

The stores here are the in-memory ones with a method made to raise
`StoreUnavailableError`, the error every store behind the core's ports raises
once its retries are spent; tests/transport/test_broken_database.py does the
same against a real SQLite file made unreadable under a running server.
"""

from __future__ import annotations

from typing import Any

import pytest

from hubbub.core.accounts import recheck_unchecked_nicks
from hubbub.core.engine import Engine
from hubbub.core.errors import StoreUnavailableError
from tests.fakes import FakeClient, FrozenClock, connect

NS = ":NickServ!NickServ@services.irc.test NOTICE"
CS = ":ChanServ!ChanServ@services.irc.test NOTICE"
PASSWORD = "hunter2hunter2"


def break_store(monkeypatch: pytest.MonkeyPatch, store: Any, *methods: str) -> None:
    """Make each of the store's `methods` raise as a failed database does."""

    async def refuse(*args: object, **kwargs: object) -> Any:
        raise StoreUnavailableError("database unavailable after 4 attempts: disk full")

    for method in methods:
        monkeypatch.setattr(store, method, refuse)


async def still_chatting(engine: Engine, client: FakeClient) -> None:
    """`client` is connected and answered, and another client reaches it."""
    assert not client.closed
    client.clear()
    await client.send("PING :still-there")
    assert client.received()[-1].endswith("PONG irc.test :still-there")
    other = await connect(engine, f"x{client.user.session_id}")
    await other.send(f"PRIVMSG {client.user.nick} :live")
    assert client.received()[-1].endswith(f"PRIVMSG {client.user.nick} :live")


async def test_a_join_goes_on_without_its_replay(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :before the disk filled")
    break_store(monkeypatch, engine.history, "select", "commit")
    bob = await connect(engine, "bob")  # no chathistory: replayed lines on JOIN
    await bob.send("JOIN #tea")
    lines = bob.received()
    assert lines[0] == ":bob!~bob@127.0.0.1 JOIN #tea"
    assert any(" 366 bob #tea " in line for line in lines)
    assert not any("before the disk filled" in line for line in lines)
    assert not any("FAIL" in line or "ERROR" in line for line in lines)
    assert engine.state.find_channel("#tea") is not None
    await still_chatting(engine, bob)


@pytest.mark.parametrize("cap", ["echo-message", "labeled-response"])
async def test_a_message_is_echoed_when_history_cannot_keep_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, cap: str
) -> None:
    alice = await connect(engine, "alice", caps=(cap, "batch"))
    bob = await connect(engine, "bob")
    break_store(monkeypatch, engine.history, "commit")
    await alice.send(
        "@label=L1 PRIVMSG bob :hello" if "labeled" in cap else "PRIVMSG bob :hello"
    )
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hello"]
    lines = alice.received()
    if cap == "echo-message":
        assert lines == [":alice!~alice@127.0.0.1 PRIVMSG bob :hello"]
    else:  # no echo asked for: the labeled ACK says it was done
        assert lines == ["@label=L1 :irc.test ACK"]
    await still_chatting(engine, alice)


async def test_chathistory_answers_message_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await connect(engine, "alice", caps=("batch", "draft/chathistory"))
    await alice.send("JOIN #tea")
    alice.clear()
    break_store(monkeypatch, engine.history, "select", "targets")
    await alice.send("CHATHISTORY LATEST #tea * 10")
    await alice.send("CHATHISTORY BEFORE bob timestamp=2030-01-01T00:00:00.000Z 5")
    await alice.send(
        "CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z"
        " timestamp=2030-01-01T00:00:00.000Z 10"
    )
    assert alice.received() == [
        ":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST #tea"
        " :Messages could not be retrieved",
        ":irc.test FAIL CHATHISTORY MESSAGE_ERROR BEFORE bob"
        " :Messages could not be retrieved",
        ":irc.test FAIL CHATHISTORY MESSAGE_ERROR TARGETS *"
        " :Messages could not be retrieved",
    ]
    await still_chatting(engine, alice)


async def test_register_answers_temporarily_unavailable(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await connect(engine, "alice", caps=("draft/account-registration",))
    break_store(monkeypatch, engine.accounts, "create_account")
    await alice.send(f"REGISTER * * {PASSWORD}")
    assert alice.received() == [
        ":irc.test FAIL REGISTER TEMPORARILY_UNAVAILABLE alice"
        " :Accounts cannot be stored right now; try again later"
    ]
    await alice.send(f"NS REGISTER {PASSWORD}")
    assert alice.received() == [
        f"{NS} alice :Accounts cannot be stored right now; try again later"
    ]
    assert alice.user.account is None
    await still_chatting(engine, alice)
    # Once the store is back, the same registration goes through.
    monkeypatch.undo()
    await alice.send(f"REGISTER * * {PASSWORD}")
    assert ":irc.test REGISTER SUCCESS alice :Account created" in alice.received()


async def test_sasl_fails_with_904(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = FakeClient(engine)
    break_store(monkeypatch, engine.accounts, "get_account")
    await client.send("CAP REQ :sasl")
    await client.send("AUTHENTICATE PLAIN")
    await client.send("AUTHENTICATE YWxpY2UAYWxpY2UAaHVudGVyMmh1bnRlcjI=")
    lines = client.received()
    assert lines[-1] == ":irc.test 904 * :SASL authentication failed"
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    await client.send("CAP END")
    assert any(" 001 alice " in line for line in client.received())


async def test_any_other_command_answers_fail_temporarily_unavailable(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await connect(engine, "alice", caps=("draft/account-registration",))
    break_store(monkeypatch, engine.accounts, "get_account")
    await alice.send("VERIFY alice 1234")
    assert alice.received() == [
        ":irc.test FAIL VERIFY TEMPORARILY_UNAVAILABLE"
        " :The server's storage is not available; try again later"
    ]
    await alice.send("NS INFO alice")
    assert alice.received() == [
        f"{NS} alice :INFO could not be done: the server's storage is not"
        " available. Try again later."
    ]
    await still_chatting(engine, alice)


async def registered_channel(engine: Engine) -> FakeClient:
    """alice, logged in, founder of the registered #tea, which she has left."""
    alice = await connect(engine, "alice")
    await alice.send(f"NS REGISTER {PASSWORD}")
    await alice.send("JOIN #tea")
    await alice.send("CS REGISTER #tea")
    await alice.send("PART #tea")
    assert alice.user.account == "alice"
    keeper = await connect(engine, "keeper")  # keeps #tea from disappearing
    await keeper.send("JOIN #tea")
    alice.clear()
    return alice


async def test_a_founder_joins_without_op_when_the_account_cannot_be_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await registered_channel(engine)
    break_store(monkeypatch, engine.accounts, "get_account")
    await alice.send("JOIN #tea")
    lines = alice.received()
    assert (
        lines[0] == f"{CS} alice :Your account could not be checked; not opped in #tea"
    )
    assert lines[1] == ":alice!~alice@127.0.0.1 JOIN #tea"
    assert not any(" MODE #tea +o alice" in line for line in lines)
    channel = engine.state.find_channel("#tea")
    assert channel is not None
    assert channel.has_member(alice.user)
    assert not channel.is_op(alice.user)
    # With the store back, the next join ops her as before.
    monkeypatch.undo()
    await alice.send("PART #tea")
    await alice.send("JOIN #tea")
    assert channel.is_op(alice.user)


async def test_a_topic_is_set_when_its_registration_cannot_be_saved(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await registered_channel(engine)
    await alice.send("JOIN #tea")
    alice.clear()
    break_store(monkeypatch, engine.accounts, "save_channel")
    await alice.send("TOPIC #tea :the kettle is on")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 TOPIC #tea :the kettle is on",
        f"{CS} alice :The change is made, but #tea's registration could not be saved",
    ]
    channel = engine.state.find_channel("#tea")
    assert channel is not None
    assert channel.topic == "the kettle is on"
    await still_chatting(engine, alice)


async def test_a_registered_nick_is_taken_when_its_account_cannot_be_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await connect(engine, "alice")
    await alice.send(f"NS REGISTER {PASSWORD}")
    await alice.send("QUIT")
    break_store(monkeypatch, engine.accounts, "get_account")
    mallory = await connect(engine, "mallory")
    await mallory.send("NICK alice")
    assert mallory.received() == [":mallory!~mallory@127.0.0.1 NICK alice"]
    await still_chatting(engine, mallory)


async def test_a_registered_nick_taken_while_the_store_is_down_is_protected_later(
    engine: Engine, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await connect(engine, "alice")
    await owner.send(f"NS REGISTER {PASSWORD}")
    await owner.send("QUIT")
    accounts = engine.accounts
    real_exists, real_get = accounts.account_exists, accounts.get_account
    break_store(monkeypatch, accounts, "account_exists", "get_account")
    impostor = FakeClient(engine)
    await impostor.send("NICK alice")
    await impostor.send("USER alice 0 * :Alice")
    assert impostor.user.nick == "alice"  # whose it is cannot be told now
    assert not any("registered nick" in line for line in impostor.received())
    assert await recheck_unchecked_nicks(engine) == 0  # still down
    monkeypatch.setattr(accounts, "account_exists", real_exists)
    monkeypatch.setattr(accounts, "get_account", real_get)
    assert await recheck_unchecked_nicks(engine) == 1
    assert any("alice is a registered nick" in line for line in impostor.received())
    assert await recheck_unchecked_nicks(engine) == 0  # asked once
    clock.advance(61)
    engine.check_timeouts()
    assert impostor.user.nick.startswith("Guest")
