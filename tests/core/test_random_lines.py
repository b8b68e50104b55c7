"""Random lines from several clients: no line may break the server or its state.

A seeded generator (the same lines every run) sends thousands of lines, most
of them nonsense for the server's state at that moment: commands with
missing, extra and malformed parameters, unknown channels and nicks,
control characters, overlong words, tags, labels, half-done SASL exchanges,
services commands, and the clock jumping now and then. Every line must be
handled without an exception escaping the engine (which a real connection
answers by dropping the client with an internal error), and afterwards the
state must still hang together and every client still answer PING. Four
seeds run on the in-memory stores, one on a real SQLite database.

It found one bug when it was written: a password that SCRAM's SASLprep
refuses (a control character) crashed REGISTER and NickServ.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from hubbub.core.commands.registry import COMMANDS
from hubbub.core.engine import Engine
from hubbub.protocol.casemap import casefold
from hubbub.storage.open import open_storage
from hubbub.storage.passwords import Argon2Passwords
from tests.fakes import FakeClient, FrozenClock, make_config, make_engine

NICKS = ["alice", "Bob", "c[a]rol", "d\\ve", "NickServ", "*", "a,b", "0x", "é", ""]
NICKS += ["n" * 40]
CHANNELS = ["#a", "#A", "#a,#b", "&x", "#", "##", "#é", "0", "+x", "#" + "c" * 60]
WORDS = ["", ":", "*", "+o", "-o", "+b", "+k", "+l", "-1", "9" * 25, "+imnpst"]
WORDS += ["*!*@*", "REGISTER", "IDENTIFY", "SET", "PASSWORD", "DROP", "OP", "LS"]
WORDS += ["REQ", "END", "LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS"]
WORDS += ["timestamp=2023-11-14T22:13:20.000Z", "msgid=x", "PLAIN", "+", "AAAA"]
WORDS += ["hunter2hunter2", "a@b.c", "\x01ACTION x\x01", "\x07", "\u2028", "x" * 600]
# Whole lines that reach deeper than random words do.
LINES = [
    "CAP LS 302",
    "CAP REQ :message-tags echo-message labeled-response batch server-time",
    "CAP REQ :draft/chathistory sasl account-tag extended-join multi-prefix",
    "CAP REQ :-echo-message bogus",
    "AUTHENTICATE PLAIN",
    "AUTHENTICATE SCRAM-SHA-256",
    "AUTHENTICATE EXTERNAL",
    "AUTHENTICATE AGFsaWNlAGh1bnRlcjJodW50ZXIy",
    "AUTHENTICATE biwsbj1hbGljZSxyPWFiYw==",
    "AUTHENTICATE !!!",
    "AUTHENTICATE *",
    "AUTHENTICATE " + "A" * 400,
    "REGISTER * * :hunter2hunter2",
    "REGISTER * * :hunter2\x07hunter2",
    "VERIFY alice 1234",
    "NS REGISTER hunter2hunter2",
    "NS IDENTIFY alice hunter2hunter2",
    "NS SET PASSWORD hunter3hunter3",
    "NS GHOST alice",
    "NS DROP hunter2hunter2",
    "NS LOGOUT",
    "CS REGISTER #a",
    "CS OP #a alice",
    "CS SET #a GUARD ON",
    "CS DROP #a",
    "CHATHISTORY LATEST #a * 10",
    "CHATHISTORY LATEST alice * 10",
    "CHATHISTORY BEFORE #a timestamp=2023-11-14T22:13:20.000Z 5",
    "CHATHISTORY AFTER #a msgid=nope 5",
    "CHATHISTORY AROUND bob timestamp=2099-01-01T00:00:00Z 3",
    "CHATHISTORY BETWEEN #a timestamp=1 timestamp=2 5",
    "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00Z timestamp=2100-01-01 9",
    "CHATHISTORY LATEST #a * -5",
    "MONITOR + alice,Bob,#a",
    "MONITOR - alice",
    "MONITOR C",
    "MONITOR L",
    "WHO #a %tcuhnfar,42",
    "WHO * o",
    "WHOIS alice alice",
    "WHOWAS alice 5",
    "LIST >2",
    "MODE #a +o-o+v alice Bob c[a]rol",
    "MODE #a +beI *!*@* x!y@z a",
    "MODE #a +l 0",
    "KICK #a alice,Bob :bye",
    "INVITE alice #a",
    "TOPIC #a :",
    "OPER oper operpass",
    "KILL alice :x",
    "@+typing=active TAGMSG #a",
    "@+draft/reply=abc TAGMSG alice",
    "PRIVMSG #a,alice,#b :several",
    "PRIVMSG @#a :ops only",
    "NOTICE $* :everyone",
    "JOIN 0",
    "JOIN #a,#b,#c k1,k2",
    "PART #a,#zz :reason",
    "NICK alice",
    "QUIT :bye",
]
TAGS = ["label=l1", "+draft/reply=x", "msgid=1", "time=x", "a", "=", "label=", "+x=\\"]


def random_line(rng: random.Random, commands: list[str]) -> str:
    """One line: a known deep one, or a command with random parameters."""
    if rng.random() < 0.4:
        line = rng.choice(LINES)
        return f"@label=L{rng.randint(0, 9)} {line}" if rng.random() < 0.2 else line
    words = [rng.choice(commands)]
    for _ in range(rng.randint(0, 5)):
        words.append(rng.choice(rng.choice((NICKS, CHANNELS, WORDS, WORDS))))
    if len(words) > 1 and rng.random() < 0.6:
        words[-1] = ":" + words[-1] + " " + rng.choice(WORDS)
    if rng.random() < 0.15:
        words.insert(0, "@" + ";".join(rng.sample(TAGS, rng.randint(1, 3))))
    return " ".join(words)[:1500]


async def register(engine: Engine, index: int) -> FakeClient:
    """A new client that registers as u<index>, asking for caps every other time."""
    client = FakeClient(engine)
    if index % 2:
        await client.send("CAP LS 302")
        await client.send("CAP REQ :message-tags labeled-response batch")
    await client.send(f"NICK u{index}")
    await client.send(f"USER u{index} 0 * :User {index}")
    await client.send("CAP END")
    return client


def check_state(engine: Engine) -> None:
    """Users, nicks, channels, MONITOR and the counters agree with each other."""
    state = engine.state
    live = {id(user) for user in state.sessions.values()}
    for key, user in state.users.items():
        assert id(user) in live, f"{user.nick} is gone but holds its nick"
        assert casefold(user.nick) == key
    for user in state.sessions.values():
        for key, channel in user.channels.items():
            assert state.channels.get(key) is channel
            assert user in channel.members
    for key, channel in state.channels.items():
        assert channel.key == key
        for member in channel.members:
            assert id(member) in live, f"{member.nick} is gone but in {key}"
            assert member.channels.get(key) is channel
    for key, watchers in state.watchers.items():
        for watcher in watchers:
            assert id(watcher) in live
            assert key in watcher.monitoring
    registered = [user for user in state.users.values() if user.registered]
    assert state.registered_count == len(registered)
    assert state.invisible_count == sum("i" in user.modes for user in registered)
    assert state.oper_count == sum(user.is_oper for user in registered)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_random_lines_break_nothing(seed: int) -> None:
    clock = FrozenClock()
    await send_random_lines(make_engine(clock), clock, seed)


async def test_random_lines_break_nothing_on_sqlite(tmp_path: Path) -> None:
    # Accounts, channel registrations and history in a real database: the
    # commands that wait for storage, and what they read back.
    storage = await open_storage(f"sqlite:///{tmp_path / 'hubbub.db'}")
    clock = FrozenClock()
    engine = Engine(
        make_config(),
        passwords=Argon2Passwords(time_cost=1, memory_cost=64, scram_iterations=4096),
        accounts=storage.accounts,
        history=storage.history,
        clock=clock,
    )
    try:
        await send_random_lines(engine, clock, 5)
    finally:
        await storage.close()


async def send_random_lines(engine: Engine, clock: FrozenClock, seed: int) -> None:
    """2,500 random lines from six clients (more as some leave), checking the
    state as it goes and that everyone left still answers PING."""
    rng = random.Random(seed)
    commands = sorted(COMMANDS) + ["PRIVMSG", "NOTICE", "TAGMSG", "JOIN", "MODE"] * 3
    clients = [await register(engine, index) for index in range(6)]
    made = len(clients)
    sent = 0
    for step in range(2500):
        client = rng.choice(clients)
        if client.closed:  # QUIT, KILL, GHOST: a new client takes its place
            clients.remove(client)
            client = await register(engine, made)
            clients.append(client)
            made += 1
        line = random_line(rng, commands)
        try:
            await client.send(line)
        except Exception as error:
            raise AssertionError(f"step {step}: {line!r} raised {error!r}") from error
        sent += 1
        if rng.random() < 0.01:
            clock.advance(rng.choice([1, 30, 200]))
        if step % 100 == 0:
            for each in clients:
                each.clear()
            check_state(engine)
    check_state(engine)
    assert sent == 2500
    for client in clients:
        if client.closed:
            continue
        client.clear()
        await client.send("PING :still-there")
        assert any(
            line.endswith("PONG irc.test :still-there") for line in client.received()
        )
