"""JOIN, PART and PRIVMSG as a first transcript."""

from hubbub.core.engine import Engine
from tests.fakes import connect


async def test_join_and_privmsg_reach_other_members(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("JOIN #tea")
    alice.clear()
    await bob.send("JOIN #tea")
    assert alice.received() == [":bob!~bob@127.0.0.1 JOIN #tea"]
    bob.clear()
    await alice.send("PRIVMSG #tea :hello there")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG #tea :hello there"]
    assert alice.received() == []
