"""IRC operator commands: OPER and KILL.

https://modern.ircdocs.horse/#oper-message
https://modern.ircdocs.horse/#kill-message
"""

from __future__ import annotations

from hubbub.core.engine import Engine
from tests.fakes import FakeClient, connect


async def test_oper_with_right_password_gets_youreoper_and_mode_o(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper operpass")
    assert alice.received() == [
        ":irc.test 381 alice :You are now an IRC operator",
        ":alice MODE alice +o",
    ]
    await alice.send("MODE alice")
    assert alice.received() == [":irc.test 221 alice +o"]


async def test_oper_twice_sends_mode_only_once(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper operpass")
    alice.clear()
    await alice.send("OPER oper operpass")
    assert alice.received() == [":irc.test 381 alice :You are now an IRC operator"]


async def test_oper_with_wrong_password_gets_err_passwdmismatch(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper wrong")
    assert alice.received() == [":irc.test 464 alice :Password incorrect"]
    await alice.send("MODE alice")
    assert alice.received() == [":irc.test 221 alice +"]


async def test_oper_with_unknown_name_gets_err_passwdmismatch(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER nobody operpass")
    assert alice.received() == [":irc.test 464 alice :Password incorrect"]


async def test_oper_with_one_parameter_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper")
    assert alice.received() == [":irc.test 461 alice OPER :Not enough parameters"]


async def test_oper_before_registration_gets_err_notregistered(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("OPER oper operpass")
    assert client.received() == [":irc.test 451 * :You have not registered"]


async def test_kill_by_oper_disconnects_the_target_with_quit_to_peers(
    engine: Engine,
) -> None:
    alice, bob, carol = (
        await connect(engine, "alice"),
        await connect(engine, "bob"),
        await connect(engine, "carol"),
    )
    await alice.send("OPER oper operpass")
    for client in (bob, carol):
        await client.send("JOIN #tea")
    for client in (alice, bob, carol):
        client.clear()
    await alice.send("KILL bob :spamming")
    assert carol.received() == [":bob!~bob@127.0.0.1 QUIT :Killed (alice (spamming))"]
    assert bob.received() == [
        "ERROR :Closing Link: 127.0.0.1 (Killed (alice (spamming)))"
    ]
    assert bob.closed
    assert alice.received() == []
    await alice.send("WHOIS bob")
    assert alice.received()[0] == ":irc.test 401 alice bob :No such nick/channel"


async def test_kill_by_non_oper_gets_err_noprivileges(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("KILL bob :go away")
    assert alice.received() == [
        ":irc.test 481 alice :Permission Denied- You're not an IRC operator"
    ]
    assert not bob.closed
    assert bob.received() == []


async def test_kill_of_unknown_nick_gets_err_nosuchnick(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper operpass")
    alice.clear()
    await alice.send("KILL nobody :go away")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_kill_without_reason_gets_err_needmoreparams(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper operpass")
    alice.clear()
    await alice.send("KILL bob")
    assert alice.received() == [":irc.test 461 alice KILL :Not enough parameters"]
