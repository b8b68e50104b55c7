"""Connection upkeep and server information: PING, PONG, AWAY, SETNAME, MOTD,
LUSERS, VERSION, TIME, ADMIN, INFO, LINKS, HELP.

https://modern.ircdocs.horse/#server-queries-and-commands
"""

from __future__ import annotations

from pathlib import Path

from hubbub.core.engine import Engine
from tests.fakes import FakeClient, FrozenClock, connect, make_engine


def codes(lines: list[str]) -> list[str]:
    """The command (or numeric) of each line sent by the server."""
    return [line.split(" ")[1] for line in lines]


# PING and PONG


async def test_ping_gets_pong_with_the_same_token(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PING :are you there")
    assert alice.received() == [":irc.test PONG irc.test :are you there"]


async def test_ping_works_before_registration(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("PING 12345")
    assert client.received() == [":irc.test PONG irc.test :12345"]


async def test_ping_without_token_gets_err_noorigin(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PING")
    assert alice.received() == [":irc.test 409 alice :No origin specified"]


async def test_pong_gets_no_reply(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PONG :irc.test")
    assert alice.received() == []


# AWAY


async def test_away_with_message_gets_rpl_nowaway(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("AWAY :out for lunch")
    assert alice.received() == [
        ":irc.test 306 alice :You have been marked as being away"
    ]


async def test_away_without_message_gets_rpl_unaway(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("AWAY :out for lunch")
    alice.clear()
    await alice.send("AWAY")
    assert alice.received() == [
        ":irc.test 305 alice :You are no longer marked as being away"
    ]


async def test_away_with_empty_message_means_back(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("AWAY :out for lunch")
    await alice.send("AWAY :")
    alice.clear()
    await bob.send("PRIVMSG alice :hi")
    assert bob.received() == []


async def test_away_notify_tells_channel_peers_with_the_cap(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    watcher = await connect(engine, "watcher", caps=("away-notify",))
    plain = await connect(engine, "plain")
    for client in (alice, watcher, plain):
        await client.send("JOIN #tea")
    watcher.clear()
    plain.clear()
    await alice.send("AWAY :out for lunch")
    assert watcher.received() == [":alice!~alice@127.0.0.1 AWAY :out for lunch"]
    await alice.send("AWAY")
    assert watcher.received() == [":alice!~alice@127.0.0.1 AWAY"]
    assert plain.received() == []


async def test_away_notify_is_not_sent_to_users_without_a_common_channel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    watcher = await connect(engine, "watcher", caps=("away-notify",))
    await alice.send("AWAY :out for lunch")
    assert watcher.received() == []


async def test_extended_monitor_sends_away_notify_to_watchers(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    watcher = await connect(engine, "watcher", caps=("away-notify", "extended-monitor"))
    plain = await connect(engine, "plain", caps=("away-notify",))
    for client in (watcher, plain):
        await client.send("MONITOR + alice")
        client.clear()
    await alice.send("AWAY :out for lunch")
    assert watcher.received() == [":alice!~alice@127.0.0.1 AWAY :out for lunch"]
    assert plain.received() == []


async def test_away_notify_reports_an_away_user_joining(engine: Engine) -> None:
    watcher = await connect(engine, "watcher", caps=("away-notify",))
    await watcher.send("JOIN #tea")
    alice = await connect(engine, "alice")
    await alice.send("AWAY :out for lunch")
    watcher.clear()
    await alice.send("JOIN #tea")
    assert watcher.received() == [
        ":alice!~alice@127.0.0.1 JOIN #tea",
        ":alice!~alice@127.0.0.1 AWAY :out for lunch",
    ]


async def test_coming_back_when_not_away_notifies_nobody(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    watcher = await connect(engine, "watcher", caps=("away-notify",))
    for client in (alice, watcher):
        await client.send("JOIN #tea")
    watcher.clear()
    await alice.send("AWAY")
    assert watcher.received() == []


# SETNAME


async def test_setname_is_confirmed_and_shown_to_peers_with_the_cap(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=("setname",))
    bob = await connect(engine, "bob", caps=("setname",))
    carol = await connect(engine, "carol")
    for client in (alice, bob, carol):
        await client.send("JOIN #tea")
    for client in (alice, bob, carol):
        client.clear()
    await alice.send("SETNAME :Alice Liddell")
    assert alice.received() == [":alice!~alice@127.0.0.1 SETNAME :Alice Liddell"]
    assert bob.received() == [":alice!~alice@127.0.0.1 SETNAME :Alice Liddell"]
    assert carol.received() == []
    await carol.send("WHOIS alice")
    assert carol.received()[0] == (
        ":irc.test 311 carol alice ~alice 127.0.0.1 * :Alice Liddell"
    )


async def test_setname_too_long_gets_fail_invalid_realname(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("setname",))
    await alice.send("SETNAME :" + "x" * 129)
    assert alice.received() == [
        ":irc.test FAIL SETNAME INVALID_REALNAME :Realname is not valid"
    ]


async def test_setname_empty_gets_fail_invalid_realname(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("setname",))
    await alice.send("SETNAME :")
    assert alice.received() == [
        ":irc.test FAIL SETNAME INVALID_REALNAME :Realname is not valid"
    ]


# MOTD


async def test_motd_sends_start_lines_and_end(tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("Welcome to the tea room.\nNo coffee.\n", encoding="utf-8")
    engine = make_engine(motd_file=motd)
    alice = await connect(engine, "alice")
    await alice.send("MOTD")
    assert alice.received() == [
        ":irc.test 375 alice :- irc.test Message of the day - ",
        ":irc.test 372 alice :- Welcome to the tea room.",
        ":irc.test 372 alice :- No coffee.",
        ":irc.test 376 alice :End of /MOTD command.",
    ]


async def test_motd_is_part_of_the_welcome_burst(tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("Hello.\n", encoding="utf-8")
    engine = make_engine(motd_file=motd)
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    assert codes(client.received())[-3:] == ["375", "372", "376"]


async def test_motd_without_a_file_gets_err_nomotd(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MOTD")
    assert alice.received() == [":irc.test 422 alice :MOTD File is missing"]


# LUSERS


async def test_lusers_counts_users_invisible_opers_unknown_and_channels(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    carol = await connect(engine, "carol")
    await bob.send("MODE bob +i")
    await carol.send("OPER oper operpass")
    await alice.send("JOIN #tea,#coffee")
    FakeClient(engine)
    alice.clear()
    await alice.send("LUSERS")
    assert alice.received() == [
        ":irc.test 251 alice :There are 2 users and 1 invisible on 1 servers",
        ":irc.test 252 alice 1 :operator(s) online",
        ":irc.test 253 alice 1 :unknown connection(s)",
        ":irc.test 254 alice 2 :channels formed",
        ":irc.test 255 alice :I have 3 clients and 0 servers",
        ":irc.test 265 alice 3 3 :Current local users 3, max 3",
        ":irc.test 266 alice 3 3 :Current global users 3, max 3",
    ]


async def test_lusers_remembers_the_most_users_seen(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    await bob.send("QUIT")
    await alice.send("LUSERS")
    lines = alice.received()
    assert ":irc.test 265 alice 1 2 :Current local users 1, max 2" in lines
    assert ":irc.test 266 alice 1 2 :Current global users 1, max 2" in lines


# Server information


async def test_version_sends_rpl_version_and_isupport(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("VERSION")
    lines = alice.received()
    assert lines[0] == ":irc.test 351 alice hubbub-0.1.0 irc.test :hubbub IRC server"
    assert set(codes(lines[1:])) == {"005"}


async def test_time_sends_the_servers_time(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("TIME")
    assert alice.received() == [
        ":irc.test 391 alice irc.test :Tuesday November 14 2023 -- 22:13:20 UTC"
    ]


async def test_time_follows_the_clock(engine: Engine, clock: FrozenClock) -> None:
    alice = await connect(engine, "alice")
    clock.advance(86_400)
    await alice.send("TIME")
    assert alice.received() == [
        ":irc.test 391 alice irc.test :Wednesday November 15 2023 -- 22:13:20 UTC"
    ]


async def test_admin_sends_the_admin_information(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("ADMIN")
    assert alice.received() == [
        ":irc.test 256 alice irc.test :Administrative info",
        ":irc.test 257 alice :hubbub chat server",
        ":irc.test 258 alice :TestNet",
        ":irc.test 259 alice :admin@localhost",
    ]


async def test_info_sends_lines_and_end(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("INFO")
    lines = alice.received()
    assert codes(lines) == ["371", "371", "374"]
    assert lines[0] == (
        ":irc.test 371 alice :hubbub-0.1.0: a chat server that speaks IRC."
    )
    assert lines[-1] == ":irc.test 374 alice :End of INFO list"


async def test_links_lists_this_server(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("LINKS")
    lines = alice.received()
    assert codes(lines) == ["364", "364", "365"]
    assert lines[0].startswith(":irc.test 364 alice irc.test irc.test :0 ")
    # The built-in services, as the leaf server they would be elsewhere.
    assert (
        lines[1] == ":irc.test 364 alice services.irc.test irc.test :1 hubbub services"
    )
    assert lines[2] == ":irc.test 365 alice * :End of /LINKS list"


# HELP


async def test_help_on_a_command_sends_start_text_and_end(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("HELP PRIVMSG")
    assert alice.received() == [
        ":irc.test 704 alice PRIVMSG :PRIVMSG",
        ":irc.test 705 alice PRIVMSG :Send a message to channels and users.",
        ":irc.test 706 alice PRIVMSG :End of /HELP",
    ]


async def test_help_without_a_subject_lists_commands(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("HELP")
    lines = alice.received()
    assert lines[0] == (
        ":irc.test 704 alice * :hubbub knows these commands; HELP <command> tells more:"
    )
    assert all(line.startswith(":irc.test 705 alice * :") for line in lines[1:-1])
    listed = " ".join(line.split(" :", 1)[1] for line in lines[1:-1]).split()
    assert {"JOIN", "PRIVMSG", "HELP", "WHOIS"} <= set(listed)
    assert lines[-1] == ":irc.test 706 alice * :End of /HELP"


async def test_helpop_is_the_same_as_help(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("HELP join")
    help_lines = alice.received()
    await alice.send("HELPOP join")
    assert alice.received() == help_lines
    assert help_lines[0] == ":irc.test 704 alice join :JOIN"


async def test_help_on_unknown_subject_gets_err_helpnotfound(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("HELP FROBNICATE")
    assert alice.received() == [
        ":irc.test 524 alice FROBNICATE :No help available on this topic"
    ]
