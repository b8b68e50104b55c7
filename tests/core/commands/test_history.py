"""CHATHISTORY, event playback, join replay and private history."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from hubbub.config import Storage
from hubbub.core.commands.history import parse_timestamp
from hubbub.core.engine import Engine
from hubbub.core.ports import HistoryItem
from hubbub.storage.memory import MemoryHistoryStore
from tests.fakes import FakeClient, FrozenClock, connect, make_engine

HISTORY_CAPS = ("batch", "draft/chathistory", "message-tags", "server-time")
# A TARGETS window that holds every test's messages.
ALL_TIME = "timestamp=2020-01-01T00:00:00.000Z timestamp=2262-01-01T00:00:00.000Z"


def bodies(lines: list[str]) -> list[str]:
    """The text of each PRIVMSG/NOTICE in `lines`."""
    return [
        line.split(" :", 2)[-1]
        for line in lines
        if " PRIVMSG " in line or " NOTICE " in line
    ]


async def chat(
    engine: Engine, clock: FrozenClock, count: int
) -> tuple[FakeClient, FakeClient]:
    """alice and bob in #tea; alice says `count` numbered lines, a second apart."""
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob", caps=HISTORY_CAPS)
    await alice.send("JOIN #tea")
    await bob.send("JOIN #tea")
    for number in range(count):
        clock.advance(1)
        await alice.send(f"PRIVMSG #tea :line {number}")
    bob.clear()
    return alice, bob


def test_parse_timestamp_reads_millisecond_utc() -> None:
    assert parse_timestamp("2023-11-14T22:13:20.250Z") == 1_700_000_000.25
    assert parse_timestamp("2023-11-14T22:13:20Z") == 1_700_000_000.0
    assert parse_timestamp("yesterday") is None


async def test_latest_returns_the_newest_in_a_chathistory_batch(
    engine: Engine, clock: FrozenClock
) -> None:
    _, bob = await chat(engine, clock, 5)
    await bob.send("CHATHISTORY LATEST #tea * 3")
    lines = bob.received()
    assert re.fullmatch(r":irc.test BATCH \+(\S+) chathistory #tea", lines[0])
    ref = lines[0].split(" ")[2][1:]
    assert lines[-1] == f":irc.test BATCH -{ref}"
    assert bodies(lines) == ["line 2", "line 3", "line 4"]
    assert all(f"batch={ref}" in line for line in lines[1:-1])
    assert all("time=" in line and "msgid=" in line for line in lines[1:-1])


async def test_before_and_after_a_timestamp(engine: Engine, clock: FrozenClock) -> None:
    _, bob = await chat(engine, clock, 5)
    # Line n was sent at 1_700_000_000 + n + 1.
    await bob.send("CHATHISTORY BEFORE #tea timestamp=2023-11-14T22:13:23.000Z 10")
    assert bodies(bob.received()) == ["line 0", "line 1"]
    await bob.send("CHATHISTORY AFTER #tea timestamp=2023-11-14T22:13:23.000Z 1")
    assert bodies(bob.received()) == ["line 3"]


async def test_before_a_msgid(engine: Engine, clock: FrozenClock) -> None:
    _, bob = await chat(engine, clock, 4)
    await bob.send("CHATHISTORY LATEST #tea * 1")
    [latest] = [line for line in bob.received() if " PRIVMSG " in line]
    msgid = re.search(r"msgid=([^; ]+)", latest)
    assert msgid is not None
    await bob.send(f"CHATHISTORY BEFORE #tea msgid={msgid.group(1)} 2")
    assert bodies(bob.received()) == ["line 1", "line 2"]


async def test_around_and_between(engine: Engine, clock: FrozenClock) -> None:
    _, bob = await chat(engine, clock, 7)
    await bob.send("CHATHISTORY AROUND #tea timestamp=2023-11-14T22:13:24.000Z 3")
    assert bodies(bob.received()) == ["line 2", "line 3", "line 4"]
    start, end = (
        "timestamp=2023-11-14T22:13:21.500Z",
        "timestamp=2023-11-14T22:13:25.500Z",
    )
    await bob.send(f"CHATHISTORY BETWEEN #tea {start} {end} 10")
    assert bodies(bob.received()) == ["line 1", "line 2", "line 3", "line 4"]
    await bob.send(f"CHATHISTORY BETWEEN #tea {end} {start} 2")
    assert bodies(bob.received()) == ["line 3", "line 4"]


async def test_non_members_may_not_read_a_channel(
    engine: Engine, clock: FrozenClock
) -> None:
    await chat(engine, clock, 2)
    carol = await connect(engine, "carol", caps=HISTORY_CAPS)
    await carol.send("CHATHISTORY LATEST #tea * 10")
    assert carol.received() == [
        ":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #tea :No such channel history"
    ]


async def test_events_are_played_back_only_with_event_playback(
    engine: Engine, clock: FrozenClock
) -> None:
    alice, bob = await chat(engine, clock, 1)
    await alice.send("TOPIC #tea :oolong")
    bob.clear()
    await bob.send("CHATHISTORY LATEST #tea * 10")
    commands = [line.split(" ")[2] for line in bob.received()[1:-1]]
    assert commands == ["PRIVMSG"]
    await bob.send("CAP REQ draft/event-playback")
    bob.clear()
    await bob.send("CHATHISTORY LATEST #tea * 10")
    commands = [line.split(" ")[2] for line in bob.received()[1:-1]]
    assert commands == ["JOIN", "JOIN", "PRIVMSG", "TOPIC"]


async def test_private_history_is_seen_by_both_parties_only(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await connect(engine, "alice", caps=HISTORY_CAPS)
    bob = await connect(engine, "bob", caps=HISTORY_CAPS)
    carol = await connect(engine, "carol", caps=HISTORY_CAPS)
    await alice.send("PRIVMSG bob :secret")
    await bob.send("PRIVMSG alice :reply")
    for client in (alice, bob, carol):
        client.clear()
    await alice.send("CHATHISTORY LATEST bob * 10")
    assert bodies(alice.received()) == ["secret", "reply"]
    await bob.send("CHATHISTORY LATEST alice * 10")
    assert bodies(bob.received()) == ["secret", "reply"]
    await carol.send("CHATHISTORY LATEST alice * 10")
    assert bodies(carol.received()) == []


async def test_a_nicks_private_history_is_not_readable_by_its_next_holder(
    engine: Engine, clock: FrozenClock
) -> None:
    # Without an account, private history is the nick's for the session that
    # holds it: whoever takes the nick next reads none of it.
    alice = await connect(engine, "alice", caps=HISTORY_CAPS)
    bob = await connect(engine, "bob", caps=HISTORY_CAPS)
    await alice.send("PRIVMSG bob :for bob")
    await bob.send("PRIVMSG alice :for alice")
    await alice.send("QUIT :bye")
    clock.advance(1)
    mallory = await connect(engine, "alice", caps=HISTORY_CAPS)
    mallory.clear()
    await mallory.send("CHATHISTORY LATEST bob * 10")
    assert bodies(mallory.received()) == []
    await mallory.send(f"CHATHISTORY TARGETS {ALL_TIME} 10")
    assert [line.split(" ")[4] for line in mallory.received()[1:-1]] == []
    # Her own conversation with bob is hers, and bob keeps the whole of his.
    await mallory.send("PRIVMSG bob :mallory here")
    mallory.clear()
    await mallory.send("CHATHISTORY LATEST bob * 10")
    assert bodies(mallory.received()) == ["mallory here"]
    bob.clear()
    await bob.send("CHATHISTORY LATEST alice * 10")
    assert bodies(bob.received()) == ["for bob", "for alice", "mallory here"]


async def test_a_session_keeps_its_private_history_across_nick_changes(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await connect(engine, "alice", caps=HISTORY_CAPS)
    await connect(engine, "bob")
    await alice.send("PRIVMSG bob :as alice")
    await alice.send("NICK alicia")
    clock.advance(1)
    await alice.send("PRIVMSG bob :as alicia")
    await alice.send("NICK alice")
    alice.clear()
    await alice.send("CHATHISTORY LATEST bob * 10")
    assert bodies(alice.received()) == ["as alice"]
    await alice.send("NICK alicia")
    alice.clear()
    await alice.send("CHATHISTORY LATEST bob * 10")
    assert bodies(alice.received()) == ["as alicia"]


async def test_ended_sessions_private_histories_are_handed_to_the_app(
    engine: Engine, clock: FrozenClock
) -> None:
    # The core does no I/O: the app takes the owners of ended sessions'
    # histories and deletes them (hubbub.app; tests/transport).
    alice = await connect(engine, "alice", caps=HISTORY_CAPS)
    bob = await connect(engine, "bob", caps=HISTORY_CAPS)
    carol = await connect(engine, "carol")
    dave = await connect(engine, "dave")
    await alice.send("PRIVMSG bob :hi")
    await alice.send("NICK alicia")
    await alice.send("PRIVMSG carol :hi")
    await carol.send("PRIVMSG #nowhere :not private")
    assert engine.take_ended_histories() == []  # nobody left yet
    alice_scope, carol_scope = alice.user.history_scope, carol.user.history_scope
    await alice.send("QUIT")
    await dave.send("QUIT")  # no private history: nothing to delete
    assert engine.take_ended_histories() == [
        f"n:alice:{alice_scope}",
        f"n:alicia:{alice_scope}",
    ]
    assert engine.take_ended_histories() == []  # each handed over once
    await carol.send("QUIT")
    assert engine.take_ended_histories() == [f"n:carol:{carol_scope}"]
    assert bob.user.session_owners is not None  # bob was the peer...
    bob.user.account = "bob"
    await bob.send("PRIVMSG nobody :x")
    engine.disconnect(bob.user, "gone")
    # ...and his owners from before he logged in are handed over too.
    assert engine.take_ended_histories() == [f"n:bob:{bob.user.history_scope}"]


async def test_targets_lists_conversations_oldest_activity_first(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await connect(engine, "alice", caps=HISTORY_CAPS)
    await connect(engine, "bob")
    await alice.send("JOIN #tea")
    clock.advance(1)
    await alice.send("PRIVMSG #tea :first")
    clock.advance(1)
    await alice.send("PRIVMSG bob :second")
    alice.clear()
    await alice.send(f"CHATHISTORY TARGETS {ALL_TIME} 10")
    lines = alice.received()
    assert re.fullmatch(r":irc.test BATCH \+\S+ draft/chathistory-targets", lines[0])
    assert [line.split(" ")[4] for line in lines[1:-1]] == ["#tea", "bob"]


async def test_invalid_parameters_fail(engine: Engine, clock: FrozenClock) -> None:
    _, bob = await chat(engine, clock, 1)
    await bob.send("CHATHISTORY LATEST #tea nonsense 10")
    assert "FAIL CHATHISTORY INVALID_PARAMS LATEST" in bob.received()[0]
    await bob.send("CHATHISTORY LATEST #tea * zero")
    assert "FAIL CHATHISTORY INVALID_PARAMS LATEST" in bob.received()[0]
    await bob.send("CHATHISTORY SIDEWAYS #tea * 1")
    assert "FAIL CHATHISTORY INVALID_PARAMS SIDEWAYS" in bob.received()[0]


async def test_a_client_without_chathistory_gets_recent_lines_on_join(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    for number in range(3):
        await alice.send(f"PRIVMSG #tea :line {number}")
    late = await connect(engine, "late", caps=("server-time",))
    await late.send("JOIN #tea")
    lines = late.received()
    # Without a batch: a notice says what the lines are, and each has its time.
    notice = lines.index(
        ":irc.test NOTICE late :#tea: the last 3 messages before you joined"
    )
    assert bodies(lines[notice + 1 :]) == ["line 0", "line 1", "line 2"]
    assert all(line.startswith("@time=") for line in lines[notice + 1 :])


class WatchedReads(MemoryHistoryStore):
    """History that counts its `select` calls, and whose next one first lets
    `meanwhile` run, as another client's line can while a JOIN waits for the
    database."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], Awaitable[None]] | None = None
        self.selects = 0

    async def select(self, *args: Any, **kwargs: Any) -> list[HistoryItem]:
        self.selects += 1
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            await meanwhile()
        return await super().select(*args, **kwargs)


def watched_engine(clock: FrozenClock) -> tuple[Engine, WatchedReads]:
    """An engine over `WatchedReads` history."""
    history = WatchedReads()
    engine = make_engine(clock)
    engine.history = history
    return engine, history


async def test_join_replay_holds_only_what_came_before_the_join_in_its_instant(
    clock: FrozenClock,
) -> None:
    engine, history = watched_engine(clock)
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :before")  # the same instant as all below
    late = await connect(engine, "late", caps=("batch",))

    async def alice_speaks() -> None:
        await alice.send("PRIVMSG #tea :after")

    history.meanwhile = alice_speaks  # while the replay reads
    await late.send("JOIN #tea")
    # "after" came live (late had joined), queued behind the JOIN's own
    # answers; the replay holds "before" only.
    assert bodies(late.received()) == ["before", "after"]


async def test_joins_to_a_quiet_channel_read_history_once_until_someone_speaks(
    clock: FrozenClock,
) -> None:
    engine, history = watched_engine(clock)
    for nick in ("alice", "bob", "carol"):
        client = await connect(engine, nick, caps=("batch",))
        await client.send("JOIN #tea")
    assert history.selects == 1  # alice's found nothing: bob's, carol's skipped
    await client.send("PRIVMSG #tea :hello")
    late = await connect(engine, "late", caps=("batch",))
    await late.send("JOIN #tea")  # someone spoke: read, and replayed
    assert history.selects == 2
    assert bodies(late.received()) == ["hello"]
    later = await connect(engine, "later", caps=("batch",))
    await later.send("JOIN #tea")
    assert history.selects == 3  # the last read had a line: not quiet
    assert bodies(later.received()) == ["hello"]


async def test_a_message_sent_during_an_empty_replay_read_is_not_missed_later(
    clock: FrozenClock,
) -> None:
    engine, history = watched_engine(clock)
    alice = await connect(engine, "alice", caps=("batch",))

    async def alice_speaks() -> None:
        await alice.send("PRIVMSG #tea :meanwhile")

    history.meanwhile = alice_speaks  # lands while alice's own replay reads
    await alice.send("JOIN #tea")  # nothing before her JOIN to replay
    assert bodies(alice.received()) == []
    bob = await connect(engine, "bob", caps=("batch",))
    await bob.send("JOIN #tea")  # her empty read did not make #tea quiet
    assert history.selects == 2
    assert bodies(bob.received()) == ["meanwhile"]


async def test_join_replay_can_be_turned_off(clock: FrozenClock) -> None:
    engine = make_engine(clock, storage=Storage(join_replay_lines=0))
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :hello")
    late = await connect(engine, "late")
    await late.send("JOIN #tea")
    assert bodies(late.received()) == []


async def test_history_can_be_turned_off(clock: FrozenClock) -> None:
    engine = make_engine(clock, storage=Storage(history=False))
    alice = await connect(engine, "alice", caps=HISTORY_CAPS)
    await alice.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :hello")
    alice.clear()
    await alice.send("CHATHISTORY LATEST #tea * 10")
    assert bodies(alice.received()) == []


async def test_join_replay_comes_in_a_batch_for_batch_clients(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :before you came")
    late = await connect(engine, "late", caps=("batch",))
    await late.send("JOIN #tea")
    lines = late.received()
    start = next(index for index, line in enumerate(lines) if " BATCH +" in line)
    assert re.fullmatch(r":irc.test BATCH \+(\S+) chathistory #tea", lines[start])
    ref = lines[start].split(" ")[2][1:]
    assert lines[start + 1].startswith(f"@batch={ref} :alice!")
    assert lines[start + 2] == f":irc.test BATCH -{ref}"


async def test_the_limit_counts_only_what_a_client_without_event_playback_sees(
    engine: Engine, clock: FrozenClock
) -> None:
    alice, bob = await chat(engine, clock, 3)  # "line 0" to "line 2"
    # 150 events after the last message: more than one page of the store's.
    for _ in range(75):
        clock.advance(1)
        await alice.send("PART #tea")
        await alice.send("JOIN #tea")
    clock.advance(1)
    await alice.send("PRIVMSG #tea :line 3")
    bob.clear()
    await bob.send("CHATHISTORY LATEST #tea * 2")
    assert bodies(bob.received()) == ["line 2", "line 3"]
    await bob.send("CHATHISTORY AFTER #tea timestamp=2020-01-01T00:00:00.000Z 4")
    assert bodies(bob.received()) == ["line 0", "line 1", "line 2", "line 3"]
    await bob.send("CHATHISTORY BEFORE #tea timestamp=2262-01-01T00:00:00.000Z 1")
    assert bodies(bob.received()) == ["line 3"]
    # With event playback the events count, as they are shown.
    carol = await connect(engine, "carol", caps=(*HISTORY_CAPS, "draft/event-playback"))
    await carol.send("JOIN #tea")
    carol.clear()
    await carol.send("CHATHISTORY LATEST #tea * 2")  # "line 3" and carol's JOIN
    lines = carol.received()
    assert bodies(lines) == ["line 3"]
    assert any(" JOIN #tea" in line for line in lines)


async def test_join_replay_goes_only_to_clients_that_can_tell_it_from_news(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :.version")  # a bot command, said earlier
    plain = await connect(engine, "plain")  # no capabilities: a simple bot
    await plain.send("JOIN #tea")
    bot = await connect(engine, "bot", caps=("batch", "server-time"))
    await bot.send("MODE bot +B")
    bot.clear()
    await bot.send("JOIN #tea")
    for client in (plain, bot):
        assert bodies(client.received()) == []
    human = await connect(engine, "human", caps=("batch",))
    await human.send("JOIN #tea")
    assert bodies(human.received()) == [".version"]


async def test_coming_back_replays_only_what_was_missed(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob", caps=("batch", "server-time"))
    await alice.send("JOIN #tea")
    await bob.send("JOIN #tea")
    await alice.send("PRIVMSG #tea :seen by bob")
    await bob.send("PART #tea")
    await alice.send("PRIVMSG #tea :said while bob was away")
    bob.clear()
    await bob.send("JOIN #tea")
    assert bodies(bob.received()) == ["said while bob was away"]
    await bob.send("PART #tea")
    await bob.send("JOIN #tea")  # nothing said since: nothing replayed
    assert bodies(bob.received()) == []


async def test_a_channel_made_again_under_a_name_reads_none_of_the_old_one(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #secret")
    await alice.send("MODE #secret +s")
    await alice.send("PRIVMSG #secret :the plan")
    await alice.send("PART #secret")  # empty, unregistered: it is gone
    assert engine.state.find_channel("#secret") is None
    clock.advance(1)
    mallory = await connect(engine, "mallory", caps=HISTORY_CAPS)
    await mallory.send("JOIN #secret")
    await mallory.send("CHATHISTORY LATEST #secret * 10")
    newcomer = await connect(engine, "newcomer", caps=("batch",))
    await newcomer.send("JOIN #secret")
    assert bodies(mallory.received()) == []
    assert bodies(newcomer.received()) == []
    # Registering it changes nothing: the history before it is not its own.
    await mallory.send(f"NS REGISTER {'m' * 10}")
    await mallory.send("CS REGISTER #secret")
    mallory.clear()
    await mallory.send("CHATHISTORY LATEST #secret * 10")
    assert bodies(mallory.received()) == []
    await mallory.send("PRIVMSG #secret :a new start")
    await mallory.send("CHATHISTORY LATEST #secret * 10")
    assert bodies(mallory.received()) == ["a new start"]
