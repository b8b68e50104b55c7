"""A command's answers come before what others send its client meanwhile.

A command that waits (an echo waits for its group commit) is suspended while
other clients' lines run. What they send the waiting client is queued behind
the command's own answers, as on a server that handles each line to its end:
an echo-message client sees its own message before the reply it prompted,
and a labeled response holds only the command's own lines.
"""

from __future__ import annotations

import asyncio

from hubbub.config import Limits
from hubbub.core.engine import Engine
from hubbub.storage.memory import MemoryHistoryStore
from tests.fakes import FakeClient, FrozenClock, connect, make_engine

ALICE = ":alice!~alice@127.0.0.1"
BOB = ":bob!~bob@127.0.0.1"


class GatedCommits(MemoryHistoryStore):
    """History whose commits wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def commit(self) -> None:
        await self.gate.wait()
        await super().commit()


async def two_in_tea(caps: tuple[str, ...]) -> tuple[Engine, FakeClient, FakeClient]:
    history = GatedCommits()
    engine = make_engine(FrozenClock())
    engine.history = history
    alice = await connect(engine, "alice", caps=caps)
    bob = await connect(engine, "bob")
    for client in (alice, bob):
        await client.send("JOIN #tea")
    alice.clear()
    bob.clear()
    return engine, alice, bob


def gate(engine: Engine) -> asyncio.Event:
    assert isinstance(engine.history, GatedCommits)
    return engine.history.gate


async def test_an_echo_comes_before_the_reply_it_prompted() -> None:
    engine, alice, bob = await two_in_tea(("echo-message",))
    sent = asyncio.ensure_future(alice.send("PRIVMSG #tea :ping"))
    await asyncio.sleep(0)  # alice's command waits for its commit
    assert bob.received() == [f"{ALICE} PRIVMSG #tea :ping"]
    await bob.send("PRIVMSG #tea :pong")  # bob answers at once
    await bob.send("PRIVMSG alice :and privately")
    await bob.send("PART #tea :bye")
    assert alice.received() == []  # all of it waits for alice's echo
    gate(engine).set()
    await sent
    assert alice.received() == [
        f"{ALICE} PRIVMSG #tea :ping",
        f"{BOB} PRIVMSG #tea :pong",
        f"{BOB} PRIVMSG alice :and privately",
        f"{BOB} PART #tea :bye",
    ]


async def test_a_labeled_response_holds_only_the_commands_own_lines() -> None:
    engine, alice, bob = await two_in_tea(("echo-message", "labeled-response", "batch"))
    sent = asyncio.ensure_future(alice.send("@label=L1 PRIVMSG #tea :ping"))
    await asyncio.sleep(0)
    await bob.send("PRIVMSG alice :pong")
    await bob.send("NICK bobby")
    gate(engine).set()
    await sent
    assert alice.received() == [
        f"@label=L1 {ALICE} PRIVMSG #tea :ping",
        f"{BOB} PRIVMSG alice :pong",
        f"{BOB} NICK bobby",
    ]


async def test_a_message_to_oneself_comes_before_its_echo() -> None:
    engine, alice, _ = await two_in_tea(("echo-message", "labeled-response", "batch"))
    gate(engine).set()
    await alice.send("@label=L2 PRIVMSG alice :note to self")
    assert alice.received() == [
        f"{ALICE} PRIVMSG alice :note to self",
        f"@label=L2 {ALICE} PRIVMSG alice :note to self",
    ]


async def test_a_client_that_waits_for_nothing_gets_everything_at_once() -> None:
    engine, alice, bob = await two_in_tea(())
    await alice.send("PRIVMSG #tea :no echo, no wait")
    await bob.send("PRIVMSG #tea :reply")
    assert alice.received() == [f"{BOB} PRIVMSG #tea :reply"]
    assert not gate(engine).is_set()  # nothing waited for a commit


async def test_what_waits_behind_a_command_counts_against_the_sendq() -> None:
    history = GatedCommits()
    engine = make_engine(FrozenClock(), limits=Limits(sendq_bytes=4096))
    engine.history = history
    alice = await connect(engine, "alice", caps=("echo-message",))
    bob = await connect(engine, "bob")
    sent = asyncio.ensure_future(alice.send("PRIVMSG bob :wait for me"))
    await asyncio.sleep(0)
    for number in range(60):  # 60 lines of 80 bytes: past the 4 kB SendQ
        await bob.send(f"PRIVMSG alice :{number:02} " + "x" * 40)
    assert alice.closed
    assert alice.received() == ["ERROR :Closing Link: 127.0.0.1 (SendQ exceeded)"]
    history.gate.set()
    await sent  # the command ends quietly on a closed session
    assert not bob.closed


async def test_a_commands_output_keeps_its_own_order() -> None:
    engine, alice, _ = await two_in_tea(("echo-message",))
    gate(engine).set()
    await alice.send("PRIVMSG nosuch,alice :x")
    assert alice.received() == [
        ":irc.test 401 alice nosuch :No such nick/channel",
        f"{ALICE} PRIVMSG alice :x",  # the copy to oneself
        f"{ALICE} PRIVMSG alice :x",  # the echo
    ]
