"""Questions about users: WHO (and WHOX), WHOIS, WHOWAS, ISON, USERHOST, MONITOR.

https://modern.ircdocs.horse/#user-based-queries
https://ircv3.net/specs/extensions/whox
https://ircv3.net/specs/extensions/monitor
"""

from __future__ import annotations

from hubbub.config import Limits
from hubbub.core.engine import Engine
from tests.fakes import FakeClient, FrozenClock, connect, joined, make_engine

# WHO


async def test_who_channel_lists_members_with_flags(engine: Engine) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    carol = await connect(engine, "carol")
    await carol.send("WHO #tea")
    assert carol.received() == [
        ":irc.test 352 carol #tea ~alice 127.0.0.1 irc.test alice H@ :0 Alice Realname",
        ":irc.test 352 carol #tea ~bob 127.0.0.1 irc.test bob H :0 Bob Realname",
        ":irc.test 315 carol #tea :End of WHO list",
    ]
    assert alice.received() == []


async def test_who_flags_show_away_oper_and_voice(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +v bob")
    await bob.send("AWAY :out")
    await alice.send("OPER oper operpass")
    alice.clear()
    await alice.send("WHO #tea")
    assert alice.received() == [
        ":irc.test 352 alice #tea ~alice 127.0.0.1 irc.test alice H*@ "
        ":0 Alice Realname",
        ":irc.test 352 alice #tea ~bob 127.0.0.1 irc.test bob G+ :0 Bob Realname",
        ":irc.test 315 alice #tea :End of WHO list",
    ]


async def test_who_flags_with_multi_prefix_show_every_prefix(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("multi-prefix",))
    await alice.send("JOIN #tea")
    await alice.send("MODE #tea +v alice")
    alice.clear()
    await alice.send("WHO #tea")
    assert alice.received()[0] == (
        ":irc.test 352 alice #tea ~alice 127.0.0.1 irc.test alice H@+ :0 Alice Realname"
    )


async def test_who_nick_gets_one_reply_with_star_channel(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("WHO BOB")
    assert alice.received() == [
        ":irc.test 352 alice * ~bob 127.0.0.1 irc.test bob H :0 Bob Realname",
        ":irc.test 315 alice BOB :End of WHO list",
    ]


async def test_who_mask_matches_nicks_with_wildcards(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await connect(engine, "bobby")
    await alice.send("WHO bob*")
    assert alice.received() == [
        ":irc.test 352 alice * ~bob 127.0.0.1 irc.test bob H :0 Bob Realname",
        ":irc.test 352 alice * ~bobby 127.0.0.1 irc.test bobby H :0 Bobby Realname",
        ":irc.test 315 alice bob* :End of WHO list",
    ]


async def test_who_star_lists_every_visible_user(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    await connect(engine, "carol")
    await bob.send("MODE bob +i")
    await alice.send("WHO *")
    assert alice.received() == [
        ":irc.test 352 alice * ~alice 127.0.0.1 irc.test alice H :0 Alice Realname",
        ":irc.test 352 alice * ~carol 127.0.0.1 irc.test carol H :0 Carol Realname",
        ":irc.test 315 alice * :End of WHO list",
    ]


async def test_who_mask_hides_invisible_users_without_a_common_channel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    await bob.send("MODE bob +i")
    await alice.send("WHO b*")
    assert alice.received() == [":irc.test 315 alice b* :End of WHO list"]


async def test_who_mask_shows_invisible_users_sharing_a_channel(
    engine: Engine,
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("MODE bob +i")
    await alice.send("WHO b*")
    assert alice.received() == [
        ":irc.test 352 alice * ~bob 127.0.0.1 irc.test bob H :0 Bob Realname",
        ":irc.test 315 alice b* :End of WHO list",
    ]


async def test_who_channel_hides_invisible_members_from_non_members(
    engine: Engine,
) -> None:
    _alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("MODE bob +i")
    carol = await connect(engine, "carol")
    await carol.send("WHO #tea")
    assert carol.received() == [
        ":irc.test 352 carol #tea ~alice 127.0.0.1 irc.test alice H@ :0 Alice Realname",
        ":irc.test 315 carol #tea :End of WHO list",
    ]


async def test_who_secret_channel_is_empty_for_non_members(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +s")
    bob = await connect(engine, "bob")
    await bob.send("WHO #tea")
    assert bob.received() == [":irc.test 315 bob #tea :End of WHO list"]


async def test_who_unknown_channel_gets_only_endofwho(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("WHO #nowhere")
    assert alice.received() == [":irc.test 315 alice #nowhere :End of WHO list"]


async def test_who_bot_gets_b_flag(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    robot = await connect(engine, "robot")
    await robot.send("MODE robot +B")
    await alice.send("WHO robot")
    assert alice.received()[0] == (
        ":irc.test 352 alice * ~robot 127.0.0.1 irc.test robot HB :0 Robot Realname"
    )


async def test_whox_sends_requested_fields_in_fixed_order_with_token(
    engine: Engine,
) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("WHO #tea %rnafhuct,42")
    assert alice.received() == [
        ":irc.test 354 alice 42 #tea ~alice 127.0.0.1 alice H@ 0 :Alice Realname",
        ":irc.test 354 alice 42 #tea ~bob 127.0.0.1 bob H 0 :Bob Realname",
        ":irc.test 315 alice #tea :End of WHO list",
    ]


async def test_whox_without_realname_has_no_trailing_colon(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("WHO bob %nuh")
    assert alice.received() == [
        ":irc.test 354 alice ~bob 127.0.0.1 bob",
        ":irc.test 315 alice bob :End of WHO list",
    ]


async def test_whox_ip_server_and_idle_fields(
    engine: Engine, clock: FrozenClock
) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob", ip="192.0.2.7")
    clock.advance(30)
    await alice.send("WHO bob %nisl")
    assert alice.received() == [
        ":irc.test 354 alice 192.0.2.7 irc.test bob 30",
        ":irc.test 315 alice bob :End of WHO list",
    ]


async def test_who_without_a_mask_gets_err_needmoreparams(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("WHO")
    assert alice.received() == [":irc.test 461 alice WHO :Not enough parameters"]


# WHOIS


async def test_whois_sends_user_channels_server_idle_and_end(
    engine: Engine, clock: FrozenClock
) -> None:
    (bob,) = await joined(engine, "#tea", "bob")
    alice = await connect(engine, "alice")
    clock.advance(100)
    await bob.send("PRIVMSG alice :hi")
    clock.advance(7)
    alice.clear()
    await alice.send("WHOIS bob")
    assert alice.received() == [
        ":irc.test 311 alice bob ~bob 127.0.0.1 * :Bob Realname",
        ":irc.test 319 alice bob :@#tea",
        ":irc.test 312 alice bob irc.test :hubbub chat server",
        ":irc.test 317 alice bob 7 1700000000 :seconds idle, signon time",
        ":irc.test 318 alice bob :End of /WHOIS list",
    ]


async def test_whois_of_away_oper_adds_isoperator_and_away(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("OPER oper operpass")
    await bob.send("AWAY :tea break")
    await alice.send("WHOIS bob")
    lines = alice.received()
    assert ":irc.test 313 alice bob :is an IRC operator" in lines
    assert ":irc.test 301 alice bob :tea break" in lines
    assert lines[-1] == ":irc.test 318 alice bob :End of /WHOIS list"


async def test_whois_of_bot_adds_rpl_whoisbot(engine: Engine) -> None:
    alice, robot = await connect(engine, "alice"), await connect(engine, "robot")
    await robot.send("MODE robot +B")
    await alice.send("WHOIS robot")
    assert ":irc.test 335 alice robot :is a bot on TestNet" in alice.received()


async def test_whois_yourself_shows_your_ip(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("WHOIS alice")
    assert (
        ":irc.test 338 alice alice 127.0.0.1 :actually using host" in alice.received()
    )


async def test_whois_of_others_hides_their_ip(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("WHOIS bob")
    assert not any(" 338 " in line for line in alice.received())


async def test_whois_with_a_server_parameter(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("WHOIS irc.test bob")
    assert (
        alice.received()[0] == ":irc.test 311 alice bob ~bob 127.0.0.1 * :Bob Realname"
    )


async def test_whois_unknown_nick_gets_err_nosuchnick_and_end(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("WHOIS nobody")
    assert alice.received() == [
        ":irc.test 401 alice nobody :No such nick/channel",
        ":irc.test 318 alice nobody :End of /WHOIS list",
    ]


async def test_whois_of_registering_client_gets_err_nosuchnick(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    half = FakeClient(engine)
    await half.send("NICK bob")
    await alice.send("WHOIS bob")
    assert alice.received()[0] == ":irc.test 401 alice bob :No such nick/channel"


# WHOWAS


async def test_whowas_remembers_a_user_who_quit(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("QUIT")
    await alice.send("WHOWAS bob")
    assert alice.received() == [
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :Bob Realname",
        ":irc.test 369 alice bob :End of WHOWAS",
    ]


async def test_whowas_remembers_an_old_nick(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("NICK robert")
    await alice.send("WHOWAS bob")
    assert alice.received() == [
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :Bob Realname",
        ":irc.test 369 alice bob :End of WHOWAS",
    ]


async def test_whowas_lists_newest_first_and_count_limits(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    for realname in ("First", "Second", "Third"):
        client = FakeClient(engine)
        await client.send("NICK bob")
        await client.send(f"USER bob 0 * :{realname}")
        await client.send("QUIT")
    await alice.send("WHOWAS bob")
    assert alice.received() == [
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :Third",
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :Second",
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :First",
        ":irc.test 369 alice bob :End of WHOWAS",
    ]
    await alice.send("WHOWAS bob 2")
    assert alice.received() == [
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :Third",
        ":irc.test 314 alice bob ~bob 127.0.0.1 * :Second",
        ":irc.test 369 alice bob :End of WHOWAS",
    ]


async def test_whowas_keeps_at_most_the_configured_entries() -> None:
    engine = make_engine(limits=Limits(whowas_entries=2))
    alice = await connect(engine, "alice")
    for _ in range(3):
        bob = await connect(engine, "bob")
        await bob.send("QUIT")
    await alice.send("WHOWAS bob")
    assert len([line for line in alice.received() if " 314 " in line]) == 2


async def test_whowas_unknown_nick_gets_err_wasnosuchnick_and_end(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("WHOWAS nobody")
    assert alice.received() == [
        ":irc.test 406 alice nobody :There was no such nickname",
        ":irc.test 369 alice nobody :End of WHOWAS",
    ]


# ISON and USERHOST


async def test_ison_lists_the_online_nicks(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await connect(engine, "carol")
    await alice.send("ISON bob nobody CAROL")
    assert alice.received() == [":irc.test 303 alice :bob carol"]


async def test_ison_with_nicks_in_a_trailing_parameter(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("ISON :bob nobody")
    assert alice.received() == [":irc.test 303 alice :bob"]


async def test_ison_with_nobody_online(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("ISON nobody")
    assert alice.received() == [":irc.test 303 alice :"]


async def test_userhost_shows_oper_and_away_markers(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("OPER oper operpass")
    await bob.send("AWAY :gone")
    await alice.send("USERHOST alice bob nobody")
    assert alice.received() == [
        ":irc.test 302 alice :alice=+~alice@127.0.0.1 bob*=-~bob@127.0.0.1"
    ]


async def test_userhost_answers_at_most_five_nicks(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("USERHOST alice alice alice alice alice alice")
    (line,) = alice.received()
    assert line.split(" :", 1)[1].split() == ["alice=+~alice@127.0.0.1"] * 5


# MONITOR


async def test_monitor_add_reports_online_and_offline_nicks(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("MONITOR + bob,carol")
    assert alice.received() == [
        ":irc.test 730 alice :bob!~bob@127.0.0.1",
        ":irc.test 731 alice :carol",
    ]


async def test_monitor_tells_when_a_nick_connects(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + bob")
    alice.clear()
    await connect(engine, "bob")
    assert alice.received() == [":irc.test 730 alice :bob!~bob@127.0.0.1"]


async def test_monitor_tells_when_a_nick_quits(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("MONITOR + bob")
    alice.clear()
    await bob.send("QUIT")
    assert alice.received() == [":irc.test 731 alice :bob"]


async def test_monitor_tells_when_a_nick_changes(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("MONITOR + bob,robert")
    alice.clear()
    await bob.send("NICK robert")
    assert alice.received() == [
        ":irc.test 731 alice :bob",
        ":irc.test 730 alice :robert!~bob@127.0.0.1",
    ]


async def test_monitor_remove_stops_notifications(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + bob,carol")
    await alice.send("MONITOR - bob")
    alice.clear()
    await connect(engine, "bob")
    assert alice.received() == []
    await alice.send("MONITOR L")
    assert alice.received() == [
        ":irc.test 732 alice :carol",
        ":irc.test 733 alice :End of MONITOR list",
    ]


async def test_monitor_clear_empties_the_list(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + bob,carol")
    await alice.send("MONITOR C")
    alice.clear()
    await alice.send("MONITOR L")
    assert alice.received() == [":irc.test 733 alice :End of MONITOR list"]
    await connect(engine, "bob")
    assert alice.received() == []


async def test_monitor_list_shows_watched_nicks(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + carol,bob")
    alice.clear()
    await alice.send("MONITOR L")
    assert alice.received() == [
        ":irc.test 732 alice :bob,carol",
        ":irc.test 733 alice :End of MONITOR list",
    ]


async def test_monitor_status_reports_every_watched_nick(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + bob,carol")
    await connect(engine, "bob")
    alice.clear()
    await alice.send("MONITOR S")
    assert alice.received() == [
        ":irc.test 730 alice :bob!~bob@127.0.0.1",
        ":irc.test 731 alice :carol",
    ]


async def test_monitor_list_full_gets_err_monlistfull() -> None:
    engine = make_engine(limits=Limits(monitor_entries=2))
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + bob,carol,dave,erin")
    assert alice.received() == [
        ":irc.test 734 alice 2 dave,erin :Monitor list is full.",
        ":irc.test 731 alice :bob,carol",
    ]


async def test_monitor_ends_when_the_watcher_quits(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MONITOR + bob")
    await alice.send("QUIT")
    bob = await connect(engine, "bob")
    assert not bob.closed
    assert engine.state.watchers == {}
