"""ChanServ (core/services/chanserv.py): registration, ops, kept topic and modes."""

from __future__ import annotations

from hubbub.core.engine import Engine
from hubbub.core.events import ChannelRestored
from tests.fakes import FakeClient, FrozenClock, connect, make_engine

CS = ":ChanServ!ChanServ@services.irc.test NOTICE"


async def founder(engine: Engine) -> FakeClient:
    alice = await connect(engine, "alice")
    await alice.send("NS REGISTER hunter2hunter2")
    await alice.send("JOIN #tea")
    await alice.send("CS REGISTER #tea")
    assert alice.received()[-1] == f"{CS} alice :#tea is now registered to alice"
    return alice


async def test_register_needs_an_account_and_ops(engine: Engine) -> None:
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    await bob.send("CS REGISTER #tea")
    assert bob.received()[-1] == f"{CS} bob :Log in to an account first"


async def test_registered_channel_survives_emptying(engine: Engine) -> None:
    alice = await founder(engine)
    await alice.send("TOPIC #tea :kept")
    await alice.send("MODE #tea +k sesame")
    await alice.send("PART #tea")
    channel = engine.state.find_channel("#tea")
    assert channel is not None
    assert channel.topic == "kept"
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea sesame")
    lines = bob.received()
    assert ":irc.test 332 bob #tea :kept" in lines
    assert ":irc.test 353 bob = #tea :bob" in lines  # nobody is opped for free


async def test_topic_and_modes_are_saved_and_restored(clock: FrozenClock) -> None:
    engine = make_engine(clock)
    alice = await founder(engine)
    await alice.send("TOPIC #tea :kept")
    await alice.send("MODE #tea +m")
    saved = await engine.accounts.get_channel("#tea")
    assert saved is not None
    assert saved.topic == "kept"
    assert "m" in saved.modes
    # A restart: a new engine over the same account store restores it.
    restarted = make_engine(clock)
    restarted.accounts = engine.accounts
    restarted.apply(ChannelRestored(saved))
    channel = restarted.state.find_channel("#tea")
    assert channel is not None
    assert (channel.topic, "m" in channel.modes) == ("kept", True)


async def test_founder_is_opped_on_join(engine: Engine) -> None:
    alice = await founder(engine)
    await alice.send("PART #tea")
    alice.clear()
    await alice.send("JOIN #tea")
    lines = alice.received()
    assert ":ChanServ!ChanServ@services.irc.test MODE #tea +o alice" in lines
    assert ":irc.test 353 alice = #tea :@alice" in lines


async def test_op_adds_a_registered_operator(engine: Engine) -> None:
    alice = await founder(engine)
    bob = await connect(engine, "bob")
    await bob.send("NS REGISTER bobsecretpw")
    await bob.send("JOIN #tea")
    await alice.send("CS OP #tea bob")
    assert alice.received()[-1] == f"{CS} alice :bob is now an operator of #tea"
    saved = await engine.accounts.get_channel("#tea")
    assert saved is not None
    assert saved.ops == ("bob",)
    await alice.send("CS DEOP #tea bob")
    saved = await engine.accounts.get_channel("#tea")
    assert saved is not None
    assert saved.ops == ()


async def test_only_the_founder_may_drop(engine: Engine) -> None:
    alice = await founder(engine)
    bob = await connect(engine, "bob")
    await bob.send("CS DROP #tea")
    assert bob.received()[-1] == f"{CS} bob :Only the founder can drop a channel"
    await alice.send("CS DROP #tea")
    assert alice.received()[-1] == f"{CS} alice :#tea is no longer registered"
    assert await engine.accounts.get_channel("#tea") is None
