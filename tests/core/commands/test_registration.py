"""Connection registration: CAP, PASS, NICK, USER, QUIT and the welcome burst.

https://modern.ircdocs.horse/#connection-registration
https://ircv3.net/specs/extensions/capability-negotiation
"""

from __future__ import annotations

from hubbub import __version__
from hubbub.core.engine import Engine
from hubbub.protocol.caps import CAPABILITIES
from hubbub.protocol.isupport import isupport_lines
from tests.fakes import FakeClient, connect, make_engine

# CAP LS lists the capability table, in its order (protocol/caps.py).
# STS is offered only with a real certificate, which tests do not configure.
OFFERED = [cap for cap in CAPABILITIES.values() if cap.name != "sts"]
ALL_CAPS = " ".join(cap.name for cap in OFFERED)
ALL_CAPS_302 = " ".join(
    f"{cap.name}={cap.value}" if cap.value else cap.name for cap in OFFERED
)


def codes(lines: list[str]) -> list[str]:
    """The command (or numeric) of each line sent by the server."""
    return [line.split(" ")[1] for line in lines]


# CAP


async def test_cap_ls_lists_every_capability(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP LS")
    assert client.received() == [f":irc.test CAP * LS :{ALL_CAPS}"]


async def test_cap_ls_302_lists_every_capability(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    assert client.received() == [f":irc.test CAP * LS :{ALL_CAPS_302}"]


async def test_cap_ls_302_enables_cap_notify_implicitly(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    client.clear()
    await client.send("CAP LIST")
    assert client.received() == [":irc.test CAP * LIST :cap-notify"]


async def test_cap_ls_holds_registration_until_cap_end(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    assert codes(client.received()) == ["CAP"]
    await client.send("CAP END")
    assert codes(client.received())[0] == "001"


async def test_cap_req_alone_holds_registration(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP REQ :echo-message")
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    assert client.received() == [":irc.test CAP * ACK :echo-message"]
    await client.send("CAP END")
    assert codes(client.received())[0] == "001"


async def test_cap_req_known_capabilities_is_acked(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP REQ :echo-message server-time")
    assert client.received() == [":irc.test CAP * ACK :echo-message server-time"]
    await client.send("CAP LIST")
    assert client.received() == [":irc.test CAP * LIST :echo-message server-time"]


async def test_cap_req_with_an_unknown_capability_is_naked_as_a_whole(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("CAP REQ :echo-message draft/nonsense")
    assert client.received() == [":irc.test CAP * NAK :echo-message draft/nonsense"]
    await client.send("CAP LIST")
    assert client.received() == [":irc.test CAP * LIST :"]


async def test_cap_req_with_minus_disables_a_capability(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("echo-message", "server-time"))
    await alice.send("CAP REQ :-echo-message")
    assert alice.received() == [":irc.test CAP alice ACK :-echo-message"]
    await alice.send("CAP LIST")
    assert alice.received() == [":irc.test CAP alice LIST :cap-notify server-time"]


async def test_cap_notify_cannot_be_disabled_by_a_302_client(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    client.clear()
    await client.send("CAP REQ :-cap-notify")
    assert client.received() == [":irc.test CAP * NAK :-cap-notify"]


async def test_cap_list_after_registration_uses_the_nick(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("multi-prefix",))
    await alice.send("CAP LIST")
    assert alice.received() == [":irc.test CAP alice LIST :cap-notify multi-prefix"]


async def test_cap_end_after_registration_is_ignored(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("CAP END")
    assert alice.received() == []


async def test_unknown_cap_subcommand_gets_err_invalidcapcmd(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP FROB")
    assert client.received() == [":irc.test 410 * FROB :Invalid CAP subcommand"]


async def test_cap_without_subcommand_gets_err_needmoreparams(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP")
    assert client.received() == [":irc.test 461 * CAP :Not enough parameters"]


# PASS


async def test_right_server_password_lets_the_client_register() -> None:
    engine = make_engine(password="secret")
    client = FakeClient(engine)
    await client.send("PASS secret")
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    assert codes(client.received())[0] == "001"
    assert not client.closed


async def test_wrong_server_password_gets_err_passwdmismatch_and_is_closed() -> None:
    engine = make_engine(password="secret")
    client = FakeClient(engine)
    await client.send("PASS wrong")
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    assert client.received() == [
        ":irc.test 464 alice :Password incorrect",
        "ERROR :Closing Link: 127.0.0.1 (Bad password)",
    ]
    assert client.closed


async def test_missing_server_password_gets_err_passwdmismatch_and_is_closed() -> None:
    engine = make_engine(password="secret")
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    assert client.received() == [
        ":irc.test 464 alice :Password incorrect",
        "ERROR :Closing Link: 127.0.0.1 (Bad password)",
    ]
    assert client.closed


async def test_rejected_password_frees_the_nick() -> None:
    engine = make_engine(password="secret")
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    retry = FakeClient(engine)
    await retry.send("PASS secret")
    await retry.send("NICK alice")
    await retry.send("USER alice 0 * :Alice")
    assert codes(retry.received())[0] == "001"


async def test_password_is_checked_after_cap_end() -> None:
    engine = make_engine(password="secret")
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    await client.send("PASS wrong")
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    client.clear()
    await client.send("CAP END")
    assert client.received() == [
        ":irc.test 464 alice :Password incorrect",
        "ERROR :Closing Link: 127.0.0.1 (Bad password)",
    ]


async def test_pass_after_registration_gets_err_alreadyregistered(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PASS secret")
    assert alice.received() == [":irc.test 462 alice :You may not reregister"]


async def test_pass_without_a_password_gets_err_needmoreparams(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("PASS")
    assert client.received() == [":irc.test 461 * PASS :Not enough parameters"]


# NICK


async def test_nick_without_a_nickname_gets_err_nonicknamegiven(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NICK")
    assert alice.received() == [":irc.test 431 alice :No nickname given"]


async def test_nick_without_a_nickname_before_registration_uses_a_star(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("NICK")
    assert client.received() == [":irc.test 431 * :No nickname given"]


async def test_nick_starting_with_a_digit_gets_err_erroneusnickname(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NICK 1alice")
    assert alice.received() == [":irc.test 432 alice 1alice :Erroneous nickname"]


async def test_nick_with_forbidden_characters_gets_err_erroneusnickname(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    for bad in ("al!ce", "al@ce", "al,ce", "al*ce", "al?ce", "#alice", "$al", "+al"):
        await alice.send(f"NICK {bad}")
        assert codes(alice.received()) == ["432"], bad


async def test_nick_longer_than_nicklen_gets_err_erroneusnickname(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    long_nick = "a" * 31
    await alice.send(f"NICK {long_nick}")
    assert alice.received() == [f":irc.test 432 alice {long_nick} :Erroneous nickname"]


async def test_nick_in_use_gets_err_nicknameinuse(engine: Engine) -> None:
    await connect(engine, "bob")
    alice = await connect(engine, "alice")
    await alice.send("NICK bob")
    assert alice.received() == [":irc.test 433 alice bob :Nickname is already in use"]


async def test_nick_in_use_is_compared_with_rfc1459_casemapping(
    engine: Engine,
) -> None:
    await connect(engine, "bob[m]")
    alice = await connect(engine, "alice")
    await alice.send("NICK BOB{M}")
    assert alice.received() == [
        ":irc.test 433 alice BOB{M} :Nickname is already in use"
    ]


async def test_nick_in_use_before_registration_uses_a_star(engine: Engine) -> None:
    await connect(engine, "bob")
    client = FakeClient(engine)
    await client.send("NICK bob")
    assert client.received() == [":irc.test 433 * bob :Nickname is already in use"]


async def test_nick_held_by_a_registering_client_is_in_use(engine: Engine) -> None:
    first = FakeClient(engine)
    await first.send("NICK alice")
    second = FakeClient(engine)
    await second.send("NICK alice")
    assert second.received() == [":irc.test 433 * alice :Nickname is already in use"]


async def test_nick_change_is_seen_by_self_and_channel_peers(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    carol = await connect(engine, "carol")
    await alice.send("JOIN #tea")
    await bob.send("JOIN #tea")
    alice.clear()
    bob.clear()
    await alice.send("NICK alicia")
    assert alice.received() == [":alice!~alice@127.0.0.1 NICK alicia"]
    assert bob.received() == [":alice!~alice@127.0.0.1 NICK alicia"]
    assert carol.received() == []


async def test_nick_change_reaches_a_peer_in_two_channels_once(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    for client in (alice, bob):
        await client.send("JOIN #tea,#coffee")
    bob.clear()
    await alice.send("NICK alicia")
    assert bob.received() == [":alice!~alice@127.0.0.1 NICK alicia"]


async def test_nick_change_frees_the_old_nick(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NICK alicia")
    other = await connect(engine, "alice")
    await other.send("WHOIS alicia")
    assert codes(other.received())[0] == "311"


async def test_nick_change_of_case_only_is_allowed(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NICK Alice")
    assert alice.received() == [":alice!~alice@127.0.0.1 NICK Alice"]


async def test_nick_change_to_the_same_nick_does_nothing(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NICK alice")
    assert alice.received() == []


async def test_nick_can_change_before_registration_completes(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("NICK alicia")
    await client.send("USER alice 0 * :Alice")
    assert client.received()[0] == (
        ":irc.test 001 alicia :Welcome to the TestNet IRC Network "
        "alicia!~alice@127.0.0.1"
    )
    other = await connect(engine, "alice")
    assert not other.closed


# USER


async def test_user_with_too_few_parameters_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("USER alice 0 *")
    assert client.received() == [":irc.test 461 * USER :Not enough parameters"]


async def test_user_with_empty_realname_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("USER alice 0 * :")
    assert client.received() == [":irc.test 461 * USER :Not enough parameters"]


async def test_user_with_no_usable_username_gets_err_invalidusername(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("USER !!! 0 * :Alice")
    assert client.received() == [":irc.test 468 * :Your username is invalid"]


async def test_user_after_registration_gets_err_alreadyregistered(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("USER alice 0 * :Alice")
    assert alice.received() == [":irc.test 462 alice :You may not reregister"]


async def test_user_sets_username_with_tilde_and_realname(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("USER al 0 * :Alice Liddell")
    await client.send("NICK alice")
    client.clear()
    bob = await connect(engine, "bob")
    await bob.send("WHOIS alice")
    assert bob.received()[0] == ":irc.test 311 bob alice ~al 127.0.0.1 * :Alice Liddell"


async def test_user_truncates_a_long_username(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("USER abcdefghijklmnopqrstuvwxyz 0 * :Alice")
    await client.send("NICK alice")
    assert client.received()[0] == (
        ":irc.test 001 alice :Welcome to the TestNet IRC Network "
        "alice!~abcdefghijklmno@127.0.0.1"
    )


# The welcome burst


async def test_registration_sends_welcome_isupport_lusers_and_nomotd(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    lines = client.received()
    isupport_count = len(isupport_lines(engine.config))
    assert codes(lines) == [
        "001",
        "002",
        "003",
        "004",
        *["005"] * isupport_count,
        "251",
        "252",
        "253",
        "254",
        "255",
        "265",
        "266",
        "422",
    ]
    assert lines[:3] == [
        ":irc.test 001 alice :Welcome to the TestNet IRC Network "
        "alice!~alice@127.0.0.1",
        f":irc.test 002 alice :Your host is irc.test, running version "
        f"hubbub-{__version__}",
        ":irc.test 003 alice :This server was created 2023-11-14 22:13:20 UTC",
    ]
    # RPL_MYINFO: <server> <version> <user modes> <channel modes> [<with params>]
    myinfo = lines[3].split(" ")
    assert myinfo[:5] == [
        ":irc.test",
        "004",
        "alice",
        "irc.test",
        f"hubbub-{__version__}",
    ]
    assert set("Biow") <= set(myinfo[5])
    assert set("beIklimnopstv") <= set(myinfo[6])
    assert lines[4 + isupport_count :] == [
        ":irc.test 251 alice :There are 1 users and 0 invisible on 1 servers",
        ":irc.test 252 alice 0 :operator(s) online",
        ":irc.test 253 alice 0 :unknown connection(s)",
        ":irc.test 254 alice 0 :channels formed",
        ":irc.test 255 alice :I have 1 clients and 0 servers",
        ":irc.test 265 alice 1 1 :Current local users 1, max 1",
        ":irc.test 266 alice 1 1 :Current global users 1, max 1",
        ":irc.test 422 alice :MOTD File is missing",
    ]


async def test_isupport_advertises_the_network_and_casemapping(
    engine: Engine,
) -> None:
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("USER alice 0 * :Alice")
    isupport = [line for line in client.received() if " 005 " in line]
    assert all(line.endswith(" :are supported by this server") for line in isupport)
    tokens = " ".join(isupport).split()
    for token in (
        "NETWORK=TestNet",
        "CASEMAPPING=rfc1459",
        "CHANTYPES=#&",
        "PREFIX=(ov)@+",
        "STATUSMSG=@+",
        "NICKLEN=30",
    ):
        assert token in tokens
    (chanmodes,) = [token for token in tokens if token.startswith("CHANMODES=")]
    lists, always, when_set, flags = chanmodes.removeprefix("CHANMODES=").split(",")
    assert (lists, always, when_set) == ("beI", "k", "l")
    assert set("imnpst") <= set(flags)


async def test_registration_order_user_then_nick_also_works(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("USER alice 0 * :Alice")
    assert client.received() == []
    await client.send("NICK alice")
    assert codes(client.received())[0] == "001"


# QUIT


async def test_quit_reaches_common_channels_and_the_quitter_gets_error(
    engine: Engine,
) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    carol = await connect(engine, "carol")
    await alice.send("JOIN #tea")
    await bob.send("JOIN #tea")
    bob.clear()
    alice.clear()
    await alice.send("QUIT :off to bed")
    assert bob.received() == [":alice!~alice@127.0.0.1 QUIT :Quit: off to bed"]
    assert alice.received() == ["ERROR :Closing Link: 127.0.0.1 (Quit: off to bed)"]
    assert alice.closed
    assert carol.received() == []


async def test_quit_without_a_reason(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("JOIN #tea")
    await bob.send("JOIN #tea")
    bob.clear()
    await alice.send("QUIT")
    assert bob.received() == [":alice!~alice@127.0.0.1 QUIT :Quit"]


async def test_quit_reaches_a_peer_in_two_channels_once(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    for client in (alice, bob):
        await client.send("JOIN #tea,#coffee")
    bob.clear()
    await alice.send("QUIT :bye")
    assert bob.received() == [":alice!~alice@127.0.0.1 QUIT :Quit: bye"]


async def test_quit_before_registration_closes_the_connection(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("NICK alice")
    await client.send("QUIT")
    assert client.received() == ["ERROR :Closing Link: 127.0.0.1 (Quit)"]
    assert client.closed
    again = await connect(engine, "alice")
    assert not again.closed


async def test_quit_frees_the_nick_and_empties_the_channel(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    await alice.send("QUIT")
    bob = await connect(engine, "bob")
    await bob.send("LIST")
    assert bob.received() == [
        ":irc.test 321 bob Channel :Users  Name",
        ":irc.test 323 bob :End of /LIST",
    ]
    await bob.send("NICK alice")
    assert bob.received() == [":bob!~bob@127.0.0.1 NICK alice"]


async def test_lines_after_quit_are_ignored(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("QUIT")
    alice.clear()
    await alice.send("PING x")
    assert alice.received() == []
