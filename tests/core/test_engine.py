"""The engine: line handling, labeled-response, refused lines, SendQ, connection limits.

https://ircv3.net/specs/extensions/labeled-response
"""

from __future__ import annotations

import logging

import pytest

from hubbub.config import Limits
from hubbub.core.engine import Engine
from tests.fakes import FakeClient, connect, make_engine

LABELED = ("batch", "labeled-response")


# labeled-response


async def test_labeled_command_without_reply_gets_ack(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await alice.send("@label=abc PONG :irc.test")
    assert alice.received() == ["@label=abc :irc.test ACK"]


async def test_labeled_command_with_one_reply_gets_it_tagged(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await alice.send("@label=abc PING :token")
    assert alice.received() == ["@label=abc :irc.test PONG irc.test :token"]


async def test_labeled_command_with_several_replies_gets_a_batch(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await connect(engine, "bob")
    await alice.send("@label=who1 WHO bob")
    lines = alice.received()
    ref = lines[0].split(" ")[3].removeprefix("+")
    assert lines == [
        f"@label=who1 :irc.test BATCH +{ref} labeled-response",
        f"@batch={ref} :irc.test 352 alice * ~bob 127.0.0.1 irc.test bob H "
        ":0 Bob Realname",
        f"@batch={ref} :irc.test 315 alice bob :End of WHO list",
        f":irc.test BATCH -{ref}",
    ]


async def test_labeled_batches_get_distinct_references(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await alice.send("@label=a ADMIN")
    first = alice.received()
    await alice.send("@label=b ADMIN")
    second = alice.received()
    assert first[0].split()[3] != second[0].split()[3]
    assert first[-1].split()[2] != second[-1].split()[2]


async def test_labeled_error_reply_is_tagged(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await alice.send("@label=x PRIVMSG nobody :hi")
    assert alice.received() == [
        "@label=x :irc.test 401 alice nobody :No such nick/channel"
    ]


async def test_labeled_privmsg_without_echo_gets_ack(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    bob = await connect(engine, "bob")
    await alice.send("@label=m1 PRIVMSG bob :hi")
    assert alice.received() == ["@label=m1 :irc.test ACK"]
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi"]


async def test_labeled_privmsg_echo_carries_the_label_only_to_the_sender(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=(*LABELED, "echo-message"))
    bob = await connect(engine, "bob", caps=LABELED)
    await alice.send("@label=m1 PRIVMSG bob :hi")
    assert alice.received() == [
        "@label=m1 :alice!~alice@127.0.0.1 PRIVMSG bob :hi",
    ]
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi"]


async def test_labeled_privmsg_to_yourself_delivers_unlabeled_and_acks(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await alice.send("@label=s1 PRIVMSG alice :memo")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 PRIVMSG alice :memo",
        "@label=s1 :irc.test ACK",
    ]


async def test_labeled_privmsg_to_yourself_with_echo_labels_only_the_echo(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=(*LABELED, "echo-message"))
    await alice.send("@label=s2 PRIVMSG alice :memo")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 PRIVMSG alice :memo",
        "@label=s2 :alice!~alice@127.0.0.1 PRIVMSG alice :memo",
    ]


async def test_label_value_is_escaped(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=LABELED)
    await alice.send("@label=a\\sb PING x")
    assert alice.received() == ["@label=a\\sb :irc.test PONG irc.test :x"]


async def test_label_is_ignored_without_the_capability(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("@label=abc PING :token")
    assert alice.received() == [":irc.test PONG irc.test :token"]


# Refused lines


async def test_line_too_long_gets_err_inputtoolong(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send_raw(b"PRIVMSG bob :" + b"x" * 600 + b"\r\n")
    assert alice.received() == [":irc.test 417 alice :Input line was too long"]
    assert bob.received() == []


async def test_line_of_512_bytes_is_accepted(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    head = b"PRIVMSG nobody :"
    text = b"x" * (510 - len(head))
    await alice.send_raw(head + text + b"\r\n")
    # Handled (no such nick), not refused by the framing.
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_too_many_tag_bytes_gets_err_inputtoolong(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("message-tags",))
    await connect(engine, "bob")
    await alice.send_raw(b"@+big=" + b"x" * 5000 + b" PRIVMSG bob :hi\r\n")
    assert alice.received() == [":irc.test 417 alice :Input line was too long"]


async def test_invalid_utf8_gets_fail_invalid_utf8(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send_raw(b"PRIVMSG bob :caf\xe9\r\n")
    assert alice.received() == [
        ":irc.test FAIL PRIVMSG INVALID_UTF8 "
        ":Message rejected, your IRC client must use UTF-8"
    ]
    assert bob.received() == []


async def test_nul_byte_gets_err_unknownerror(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send_raw(b"PRIVMSG bob :a\x00b\r\n")
    assert alice.received() == [
        ":irc.test 400 alice PRIVMSG :Message contains a NUL byte"
    ]
    assert bob.received() == []


async def test_refused_line_names_the_command_after_tags_and_source(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send_raw(b"@a=b :alice privmsg bob :\xff\r\n")
    assert alice.received() == [
        ":irc.test FAIL PRIVMSG INVALID_UTF8 "
        ":Message rejected, your IRC client must use UTF-8"
    ]


async def test_blank_lines_are_ignored(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send_raw(b"\r\n   \r\n\n")
    assert alice.received() == []


async def test_lines_may_end_with_lf_only(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send_raw(b"PING a\nPING b\n")
    assert alice.received() == [
        ":irc.test PONG irc.test :a",
        ":irc.test PONG irc.test :b",
    ]


# Dispatch


async def test_unknown_command_gets_err_unknowncommand(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("FROBNICATE now")
    assert alice.received() == [":irc.test 421 alice FROBNICATE :Unknown command"]


async def test_commands_are_case_insensitive(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("ping :x")
    assert alice.received() == [":irc.test PONG irc.test :x"]


async def test_command_before_registration_gets_err_notregistered(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("JOIN #tea")
    assert client.received() == [":irc.test 451 * :You have not registered"]
    await client.send("NICK alice")
    await client.send("PRIVMSG bob :hi")
    assert client.received() == [":irc.test 451 alice :You have not registered"]


async def test_source_sent_by_a_client_is_ignored(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send(":mallory!evil@example.com PRIVMSG bob :hi")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi"]


# SendQ


async def test_sendq_overflow_disconnects_only_the_slow_client() -> None:
    engine = make_engine(limits=Limits(sendq_bytes=4096))
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    carol = await connect(engine, "carol")
    for client in (alice, bob, carol):
        await client.send("JOIN #tea")
    for client in (alice, bob, carol):
        client.clear()
    bob.writer.backlog_bytes = 5000
    await alice.send("PRIVMSG #tea :hello")
    assert bob.closed
    assert not alice.closed
    assert not carol.closed
    assert carol.received() == [
        ":alice!~alice@127.0.0.1 PRIVMSG #tea :hello",
        ":bob!~bob@127.0.0.1 QUIT :SendQ exceeded",
    ]
    assert alice.received() == [":bob!~bob@127.0.0.1 QUIT :SendQ exceeded"]
    await alice.send("PRIVMSG #tea :still here")
    assert carol.received() == [":alice!~alice@127.0.0.1 PRIVMSG #tea :still here"]


async def test_sendq_overflow_tells_the_slow_client_why() -> None:
    engine = make_engine(limits=Limits(sendq_bytes=4096))
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    bob.writer.backlog_bytes = 5000
    await alice.send("PRIVMSG bob :hello")
    assert bob.closed
    assert bob.received() == ["ERROR :Closing Link: 127.0.0.1 (SendQ exceeded)"]


async def test_output_under_the_sendq_is_delivered() -> None:
    engine = make_engine(limits=Limits(sendq_bytes=4096))
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    bob.writer.backlog_bytes = 3000
    await alice.send("PRIVMSG bob :hello")
    assert not bob.closed
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hello"]


# Connection limits


async def test_clients_per_ip_limit_closes_the_extra_connection() -> None:
    engine = make_engine(limits=Limits(clients_per_ip=2))
    first, second = FakeClient(engine), FakeClient(engine)
    third = FakeClient(engine)
    assert not first.closed
    assert not second.closed
    assert third.closed
    assert third.received() == [
        "ERROR :Closing Link: 127.0.0.1 (Too many connections from your IP address)"
    ]


async def test_clients_per_ip_limit_counts_each_address_separately() -> None:
    engine = make_engine(limits=Limits(clients_per_ip=1))
    first = FakeClient(engine, ip="192.0.2.1")
    other = FakeClient(engine, ip="192.0.2.2")
    assert not first.closed
    assert not other.closed


async def test_clients_per_ip_limit_frees_a_slot_on_disconnect() -> None:
    engine = make_engine(limits=Limits(clients_per_ip=1))
    first = FakeClient(engine)
    await first.send("QUIT")
    second = FakeClient(engine)
    assert not second.closed


async def test_max_clients_closes_the_connection_over_the_cap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(limits=Limits(max_clients=2))
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("JOIN #room")
    await bob.send("JOIN #room")
    alice.received()
    with caplog.at_level(logging.WARNING, logger="hubbub.core.engine"):
        third, fourth = FakeClient(engine), FakeClient(engine)
    assert third.closed
    assert fourth.closed
    assert third.received() == [
        "ERROR :Closing Link: 127.0.0.1 (Server is full, try again later)"
    ]
    # Logged once while full, not once per refused connection.
    assert [r.getMessage() for r in caplog.records] == [
        "! server full: 2 connections (limits.max_clients); refusing new ones"
    ]
    # Those inside are not disturbed (no QUIT for a session never registered).
    assert not alice.closed
    assert not bob.closed
    assert alice.received() == []
    await bob.send("PRIVMSG #room :still here")
    assert alice.received() == [":bob!~bob@127.0.0.1 PRIVMSG #room :still here"]


async def test_max_clients_frees_a_slot_on_disconnect() -> None:
    engine = make_engine(limits=Limits(max_clients=1))
    first = FakeClient(engine)
    assert FakeClient(engine).closed
    await first.send("QUIT")
    second = FakeClient(engine)
    assert not second.closed
    await second.send("NICK carol")
    await second.send("USER carol 0 * :Carol")
    assert any(" 001 carol " in line for line in second.received())


async def test_max_clients_unset_in_the_core_means_no_cap() -> None:
    engine = make_engine()
    clients = [FakeClient(engine, ip=f"192.0.2.{i}") for i in range(50)]
    assert not any(client.closed for client in clients)


# Shutdown


async def test_shutdown_disconnects_everyone_with_the_reason(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    engine.shutdown("Restarting")
    assert alice.closed
    assert bob.closed
    assert alice.received()[-1] == "ERROR :Closing Link: 127.0.0.1 (Restarting)"
