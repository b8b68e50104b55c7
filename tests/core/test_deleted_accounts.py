"""Sessions logged in to an account that is deleted under them are logged out."""

from __future__ import annotations

import pytest

from hubbub.core.accounts import (
    forget_orphaned_account_histories,
    log_out_deleted_accounts,
)
from hubbub.core.engine import Engine
from hubbub.core.errors import StoreUnavailableError
from hubbub.core.ports import Account
from hubbub.core.user import account_history_owner
from tests.fakes import FakeClient, FrozenClock, connect

NS = ":NickServ!NickServ@services.irc.test NOTICE"
PASSWORD = "hunter2hunter2"
NEW_PASSWORD = "the-new-owners"  # of an account created again under the name


async def logged_in(engine: Engine, nick: str, account: str) -> FakeClient:
    """A client logged in to `account` (registered by the first to ask)."""
    client = await connect(engine, nick, caps=("account-notify",))
    if await engine.accounts.get_account(account) is None:
        await client.send(f"NS REGISTER {PASSWORD}")
    else:
        await client.send(f"NS IDENTIFY {account} {PASSWORD}")
    assert client.user.account == account
    await client.send("JOIN #tea")
    client.clear()
    return client


async def test_sessions_of_a_deleted_account_are_logged_out(engine: Engine) -> None:
    alice = await logged_in(engine, "alice", "alice")
    laptop = await logged_in(engine, "alice_", "alice")
    bob = await logged_in(engine, "bob", "bob")
    for client in (alice, laptop, bob):
        client.clear()
    # An operator deletes alice's account from the shell (the same store).
    assert await engine.accounts.delete_account("alice")
    await laptop.send("PRIVMSG bob :sent while the account was gone")
    bob.clear()
    assert await log_out_deleted_accounts(engine) == 2
    for client in (alice, laptop):
        nick = client.user.nick
        assert client.user.account is None
        lines = [line for line in client.received() if " ACCOUNT " not in line]
        assert lines == [
            f":irc.test 901 {nick} {client.user.mask} :You are now logged out",
            f"{NS} {nick} :Your account alice no longer exists",
        ]
    # account-notify: the channel sees both log out; bob stays logged in.
    assert bob.received() == [
        ":alice!~alice@127.0.0.1 ACCOUNT *",
        ":alice_!~alice_@127.0.0.1 ACCOUNT *",
    ]
    assert bob.user.account == "bob"
    # What the account's history gained since the deletion is gone with it;
    # bob keeps his copy.
    assert await engine.history.owners("a:") == [bob.user.history_owner]
    kept = await engine.history.select(
        bob.user.history_owner,
        "alice_",
        after=None,
        before=None,
        limit=10,
        newest_first=False,
    )
    assert [item.params[-1] for item in kept] == ["sent while the account was gone"]
    # Nothing more to do until another account goes.
    assert await log_out_deleted_accounts(engine) == 0
    assert alice.received() == []


async def test_registering_a_deleted_name_logs_out_its_old_sessions(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await logged_in(engine, "alice", "alice")
    bob = await connect(engine, "bob")
    await alice.send("NICK elsewhere")
    assert await engine.accounts.delete_account("alice")
    await alice.send("PRIVMSG bob :sent after the deletion")
    clock.advance(1)
    # Before any check, someone else registers the name: alice's session
    # must not become theirs.
    mallory = await connect(engine, "mallory")
    await mallory.send("REGISTER alice * other-password")
    assert mallory.received()[0].startswith(":irc.test REGISTER SUCCESS alice")
    assert alice.user.account is None
    assert f"{NS} elsewhere :Your account alice no longer exists" in alice.received()
    # What the old session sent since the deletion is gone at once, but for
    # bob's copy.
    assert await engine.history.owners("a:alice") == []
    assert await history_of(engine, bob, "elsewhere") == ["sent after the deletion"]


async def test_drop_logs_out_the_accounts_other_sessions(engine: Engine) -> None:
    alice = await logged_in(engine, "alice", "alice")
    laptop = await logged_in(engine, "alice_", "alice")
    laptop.clear()
    await alice.send(f"NS DROP {PASSWORD}")
    assert alice.received()[-1] == f"{NS} alice :Account alice dropped"
    assert (alice.user.account, laptop.user.account) == (None, None)
    assert laptop.received()[-1] == f"{NS} alice_ :Your account alice was dropped"


async def test_a_deleted_accounts_nick_is_no_longer_protected(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await logged_in(engine, "alice", "alice")
    await alice.send("NICK elsewhere")
    squatter = await connect(engine, "alice")
    protected_until = squatter.user.nick_protection_deadline
    assert protected_until is not None
    assert await engine.accounts.delete_account("alice")
    await log_out_deleted_accounts(engine)
    assert squatter.user.nick_protection_deadline is None
    clock.advance(3600)
    engine.check_timeouts()
    assert squatter.user.nick == "alice"  # not renamed to a guest


async def test_an_account_created_again_behind_the_servers_back_is_not_theirs(
    engine: Engine, clock: FrozenClock
) -> None:
    old = await logged_in(engine, "alice", "alice")
    await old.send("NICK oldalice")
    # From the shell: delete alice, and create another alice a second later.
    clock.advance(1)
    assert await engine.accounts.delete_account("alice")
    password_hash, scram = await engine.passwords.new_credentials(PASSWORD)
    again = Account("alice", password_hash, scram, created_at=clock.now())
    assert await engine.accounts.create_account(again)
    new = await logged_in(engine, "alice", "alice")  # the new account's owner
    bob = await logged_in(engine, "bob", "bob")
    await new.send("PRIVMSG oldalice :mine")
    # Before the server notices, the old session still writes as alice: not
    # into the new account's history.
    await old.send("PRIVMSG bob :sent by the old account's session")
    assert old.user.history_owner != new.user.history_owner
    assert await history_of(engine, new, "bob") == []
    old.clear()
    assert await log_out_deleted_accounts(engine) == 1
    assert old.user.account is None
    assert f"{NS} oldalice :Your account alice no longer exists" in old.received()
    # The new account's session and history stay; the old account's
    # history is gone, but for bob's copy.
    assert new.user.account == "alice"
    assert await history_of(engine, new, "oldalice") == ["mine"]
    assert await engine.history.owners("a:alice") == [new.user.history_owner]
    assert await history_of(engine, bob, "oldalice") == [
        "sent by the old account's session"
    ]
    assert await log_out_deleted_accounts(engine) == 0


async def history_of(engine: Engine, client: FakeClient, target: str) -> list[str]:
    """The texts of the private history `client` holds with `target`."""
    items = await engine.history.select(
        client.user.history_owner,
        target,
        after=None,
        before=None,
        limit=10,
        newest_first=False,
    )
    return [item.params[-1] for item in items]


async def test_deleted_accounts_histories_left_behind_are_deleted(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await logged_in(engine, "alice", "alice")
    carol = await logged_in(engine, "carol", "carol")
    bob = await logged_in(engine, "bob", "bob")
    for client in (alice, carol):
        await client.send(f"PRIVMSG bob :hello from {client.user.nick}")
    await bob.send("PRIVMSG alice :hello alice")
    old_carol = carol.user.history_owner
    # Crashes left these behind: alice's account deleted, carol's deleted
    # and created again (the new carol has no history yet), each without
    # its history deleted too.
    await alice.send("QUIT")
    await carol.send("QUIT")
    clock.advance(1)
    assert await engine.accounts.delete_account("alice")
    assert await engine.accounts.delete_account("carol")
    password_hash, scram = await engine.passwords.new_credentials(PASSWORD)
    again = Account("carol", password_hash, scram, created_at=clock.now())
    assert await engine.accounts.create_account(again)
    assert account_history_owner("carol", again.created_at) != old_carol
    assert await forget_orphaned_account_histories(engine) == 2
    assert await engine.history.owners("a:") == [bob.user.history_owner]
    # bob keeps his copies.
    assert await history_of(engine, bob, "alice") == [
        "hello from alice",
        "hello alice",
    ]
    assert await history_of(engine, bob, "carol") == ["hello from carol"]
    assert await forget_orphaned_account_histories(engine) == 0


async def created_again(engine: Engine, clock: FrozenClock, name: str) -> Account:
    """`name`'s account deleted and created again a second later, from the
    shell (the same store), with another password."""
    clock.advance(1)
    assert await engine.accounts.delete_account(name)
    password_hash, scram = await engine.passwords.new_credentials(NEW_PASSWORD)
    again = Account(name, password_hash, scram, created_at=clock.now())
    assert await engine.accounts.create_account(again)
    return again


async def test_a_session_of_the_old_account_cannot_act_on_the_new_one(
    engine: Engine, clock: FrozenClock
) -> None:
    old = await logged_in(engine, "alice", "alice")
    bob = await connect(engine, "bob")
    again = await created_again(engine, clock, "alice")
    await old.send("PRIVMSG bob :sent after the deletion")
    # Before the server notices, the old session tries to take the new
    # account over: a password of its own, its certificate.
    await old.send("NS SET PASSWORD mallory-knows-this")
    assert old.user.account is None
    # What it sent as the old account goes with it, but for bob's copy.
    assert await engine.history.owners("a:") == []
    assert await history_of(engine, bob, "alice") == ["sent after the deletion"]
    assert old.received()[-1] == f"{NS} alice :Your account alice no longer exists"
    stored = await engine.accounts.get_account("alice")
    assert stored is not None
    assert stored.password_hash == again.password_hash
    # Logged out, it can no longer try anything else.
    await old.send("NS CERT ADD " + "ab" * 32)
    assert old.received()[-1] == f"{NS} alice :Log in first"
    stored = await engine.accounts.get_account("alice")
    assert stored is not None
    assert stored.certfps == ()


async def test_drop_also_ends_sessions_of_an_older_account_and_their_history(
    engine: Engine, clock: FrozenClock
) -> None:
    old = await logged_in(engine, "alice", "alice")
    bob = await connect(engine, "bob")
    await created_again(engine, clock, "alice")
    await old.send("PRIVMSG bob :sent after the deletion")
    # The new account's owner drops it before the server noticed the old
    # session: that session goes, and so does what it sent.
    new = await connect(engine, "newalice")
    await new.send(f"NS IDENTIFY alice {NEW_PASSWORD}")
    assert new.user.account == "alice"
    await new.send(f"NS DROP {NEW_PASSWORD}")
    assert old.user.account is None
    assert await engine.history.owners("a:") == []
    assert await history_of(engine, bob, "alice") == ["sent after the deletion"]


async def test_a_failed_history_deletion_still_logs_out_and_tells(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await logged_in(engine, "alice", "alice")
    assert await engine.accounts.delete_account("alice")

    async def refuse(owner: str) -> int:
        raise StoreUnavailableError("the database is down")

    monkeypatch.setattr(engine.history, "forget", refuse)
    assert await log_out_deleted_accounts(engine) == 1
    assert alice.user.account is None
    assert f"{NS} alice :Your account alice no longer exists" in alice.received()


async def test_chanserv_does_not_take_an_old_sessions_word_for_the_new_account(
    engine: Engine, clock: FrozenClock
) -> None:
    old = await logged_in(engine, "alice", "alice")  # first in #tea: its op
    await old.send("CS REGISTER #tea")
    registered = engine.state.find_channel("#tea")
    assert registered is not None
    assert registered.registration is not None
    await created_again(engine, clock, "alice")
    old.clear()
    await old.send("CS SET #tea HISTORY PUBLIC")
    assert old.user.account is None
    assert old.received()[-1] == f"{NS} alice :Your account alice no longer exists"
    channel = engine.state.find_channel("#tea")
    assert channel is not None
    assert channel.registration is not None
    assert not channel.registration.public_history


async def test_an_old_session_is_not_given_op_in_the_new_accounts_channel(
    engine: Engine, clock: FrozenClock
) -> None:
    old = await logged_in(engine, "alice", "alice")  # first in #tea: its op
    await old.send("CS REGISTER #tea")
    await old.send("PART #tea")
    await created_again(engine, clock, "alice")
    old.clear()
    # The channel is registered to the name alice, now the new account's:
    # joining before the server noticed, the old session must not get op.
    await old.send("JOIN #tea")
    lines = old.received()
    assert not any(" MODE #tea +o alice" in line for line in lines), lines
    assert f"{NS} alice :Your account alice no longer exists" in lines
    assert old.user.account is None
    channel = engine.state.find_channel("#tea")
    assert channel is not None
    assert channel.has_member(old.user)
    assert not channel.is_op(old.user)
    # The new account's owner is still given op on joining.
    new = await connect(engine, "newalice")
    await new.send(f"NS IDENTIFY alice {NEW_PASSWORD}")
    new.clear()
    await new.send("JOIN #tea")
    assert any(" MODE #tea +o newalice" in line for line in new.received())
