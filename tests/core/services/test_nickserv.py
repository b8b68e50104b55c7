"""NickServ (core/services/nickserv.py)."""

from __future__ import annotations

from hubbub.core.engine import Engine
from tests.fakes import connect

NS = ":NickServ!NickServ@services.irc.test NOTICE"


async def test_register_identify_logout(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PRIVMSG NickServ :REGISTER hunter2hunter2")
    lines = alice.received()
    assert lines[0] == f"{NS} alice :Account created"
    assert " 900 alice " in lines[1]
    await alice.send("NS LOGOUT")
    assert alice.received()[-1] == f"{NS} alice :You are now logged out"
    await alice.send("NS IDENTIFY wrongwrong")
    assert alice.received() == [f"{NS} alice :Invalid account or password"]
    await alice.send("NICKSERV IDENTIFY alice hunter2hunter2")
    assert alice.received()[-1] == f"{NS} alice :You are now identified as alice"


async def test_service_nicks_are_reserved(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NICK NickServ")
    assert alice.received() == [":irc.test 432 alice NickServ :Erroneous nickname"]


async def test_set_password(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NS REGISTER hunter2hunter2")
    await alice.send("NS SET PASSWORD newpassword")
    assert alice.received()[-1] == f"{NS} alice :Password changed"
    await alice.send("NS LOGOUT")
    await alice.send("NS IDENTIFY newpassword")
    assert alice.received()[-1] == f"{NS} alice :You are now identified as alice"


async def test_passwords_scram_cannot_take_are_refused(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NS REGISTER hunter2\x01hunter2")
    refused = f"{NS} alice :A password may not hold that character"
    assert alice.received() == [f"{refused} (control characters forbidden)"]
    await alice.send("NS REGISTER hunter2hunter2")
    alice.clear()
    await alice.send("NS SET PASSWORD new\x07password")
    assert alice.received() == [f"{refused} (control characters forbidden)"]
    await alice.send("NS LOGOUT")
    await alice.send("NS IDENTIFY hunter2hunter2")
    assert alice.received()[-1] == f"{NS} alice :You are now identified as alice"


async def test_ghost_disconnects_a_session_on_your_nick(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NS REGISTER hunter2hunter2")
    await alice.send("NICK away")
    squatter = await connect(engine, "alice")
    await alice.send("NS GHOST alice")
    assert alice.received()[-1] == f"{NS} away :alice has been disconnected"
    assert squatter.closed


async def test_ghost_refuses_nicks_that_are_not_yours(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    await alice.send("NS GHOST bob")
    assert alice.received() == [f"{NS} alice :bob is not yours"]
    assert not bob.closed


async def test_drop_deletes_the_account(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NS REGISTER hunter2hunter2")
    await alice.send("NS DROP hunter2hunter2")
    assert alice.received()[-1] == f"{NS} alice :Account alice dropped"
    assert await engine.accounts.get_account("alice") is None
    assert alice.user.account is None


async def test_a_dropped_accounts_private_history_is_not_the_next_owners(
    engine: Engine,
) -> None:
    caps = "CAP REQ :batch draft/chathistory message-tags server-time"
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    await alice.send("NS REGISTER hunter2hunter2")
    await alice.send("PRIVMSG bob :for bob")
    await bob.send("PRIVMSG alice :for alice")
    await alice.send("NS DROP hunter2hunter2")
    await alice.send("QUIT")
    # Someone else registers the name again: none of it is theirs to read.
    mallory = await connect(engine, "alice")
    await mallory.send("NS REGISTER other-password")
    assert mallory.user.account == "alice"
    await mallory.send(caps)
    mallory.clear()
    await mallory.send("CHATHISTORY LATEST bob * 10")
    assert not [line for line in mallory.received() if "PRIVMSG" in line]
    # bob keeps his copy of the conversation.
    await bob.send(caps)
    bob.clear()
    await bob.send("CHATHISTORY LATEST alice * 10")
    texts = [line.rsplit(" :", 1)[1] for line in bob.received() if "PRIVMSG" in line]
    assert texts == ["for bob", "for alice"]


async def test_unknown_command_and_help(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NS FROB")
    assert alice.received() == [f"{NS} alice :Unknown command FROB. Try HELP."]
    await alice.send("NS HELP")
    assert len(alice.received()) > 5


async def test_a_message_to_a_service_is_echoed_before_its_answer(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=("echo-message",))
    await alice.send("PRIVMSG nickserv :INFO nobody")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 PRIVMSG NickServ :INFO nobody",
        f"{NS} alice :nobody is not registered",
    ]
    labeled = await connect(
        engine, "bob", caps=("echo-message", "labeled-response", "batch")
    )
    await labeled.send("@label=L1 PRIVMSG ChanServ,bob :HELP")
    lines = labeled.received()
    # The copy bob sent himself comes first, unlabeled; then the answer.
    assert lines[0] == ":bob!~bob@127.0.0.1 PRIVMSG bob :HELP"
    assert lines[1] == "@label=L1 :irc.test BATCH +b1 labeled-response"
    assert lines[2].startswith("@batch=b1")
    assert lines[2].endswith(" :bob!~bob@127.0.0.1 PRIVMSG ChanServ :HELP")
    assert lines[3].startswith("@batch=b1 :ChanServ!")  # its help
    assert lines[-2].endswith(" :bob!~bob@127.0.0.1 PRIVMSG bob :HELP")  # the echo
    assert lines[-1] == ":irc.test BATCH -b1"
