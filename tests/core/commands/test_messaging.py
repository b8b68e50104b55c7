"""Messages between users: PRIVMSG, NOTICE, TAGMSG, WALLOPS; message tags.

https://modern.ircdocs.horse/#privmsg-message
https://ircv3.net/specs/extensions/message-tags
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubbub.config import Limits
from hubbub.core.commands.messaging import check_relayed_length
from hubbub.core.engine import Engine
from hubbub.core.errors import IrcError
from hubbub.protocol import numerics as n
from hubbub.protocol.message import Message, parse_message
from tests.fakes import FakeClient, connect, joined, make_engine


async def join(channel: str, *clients: FakeClient) -> None:
    """Join `clients` to `channel` in order and forget the replies."""
    for client in clients:
        await client.send(f"JOIN {channel}")
    for client in clients:
        client.clear()


def parsed(client: FakeClient) -> list[Message]:
    """What `client` received since the last call, parsed."""
    return [parse_message(line) for line in client.received()]


# PRIVMSG and NOTICE: delivery


async def test_privmsg_to_channel_reaches_other_members_only(engine: Engine) -> None:
    alice, bob, carol = await joined(engine, "#tea", "alice", "bob", "carol")
    outsider = await connect(engine, "dave")
    await alice.send("PRIVMSG #tea :hello there")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG #tea :hello there"]
    assert carol.received() == [":alice!~alice@127.0.0.1 PRIVMSG #tea :hello there"]
    assert alice.received() == []
    assert outsider.received() == []


async def test_privmsg_to_nick_reaches_that_user(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("PRIVMSG bob :hi bob")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi bob"]
    assert alice.received() == []


async def test_privmsg_target_nick_is_case_insensitive(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("PRIVMSG BOB :hi bob")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi bob"]


async def test_privmsg_one_word_is_relayed_with_a_colon(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("PRIVMSG bob hi")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi"]


async def test_privmsg_to_yourself_is_delivered_to_you(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PRIVMSG alice :note to self")
    assert alice.received() == [":alice!~alice@127.0.0.1 PRIVMSG alice :note to self"]


async def test_notice_to_channel_and_nick(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("NOTICE #tea :kettle is on")
    await alice.send("NOTICE bob :psst")
    assert bob.received() == [
        ":alice!~alice@127.0.0.1 NOTICE #tea :kettle is on",
        ":alice!~alice@127.0.0.1 NOTICE bob :psst",
    ]


async def test_privmsg_to_several_targets(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    carol = await connect(engine, "carol")
    await alice.send("PRIVMSG #tea,carol :hi all")
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG #tea :hi all"]
    assert carol.received() == [":alice!~alice@127.0.0.1 PRIVMSG carol :hi all"]


async def test_privmsg_continues_past_a_bad_target(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await alice.send("PRIVMSG nobody,bob :hi")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :hi"]


async def test_ctcp_is_passed_through_unchanged(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("PRIVMSG bob :\x01VERSION\x01")
    await alice.send("PRIVMSG #tea :\x01ACTION waves\x01")
    await bob.send("NOTICE alice :\x01VERSION hexchat 2.16\x01")
    assert bob.received() == [
        ":alice!~alice@127.0.0.1 PRIVMSG bob :\x01VERSION\x01",
        ":alice!~alice@127.0.0.1 PRIVMSG #tea :\x01ACTION waves\x01",
    ]
    assert alice.received() == [
        ":bob!~bob@127.0.0.1 NOTICE alice :\x01VERSION hexchat 2.16\x01"
    ]


# PRIVMSG: errors


async def test_privmsg_to_unknown_nick_gets_err_nosuchnick(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PRIVMSG nobody :hello?")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_privmsg_to_unknown_channel_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PRIVMSG #nowhere :hello?")
    assert alice.received() == [":irc.test 403 alice #nowhere :No such channel"]


async def test_privmsg_without_recipient_gets_err_norecipient(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PRIVMSG")
    assert alice.received() == [":irc.test 411 alice :No recipient given (PRIVMSG)"]


async def test_privmsg_without_text_gets_err_notexttosend(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("PRIVMSG bob")
    assert alice.received() == [":irc.test 412 alice :No text to send"]
    await alice.send("PRIVMSG bob :")
    assert alice.received() == [":irc.test 412 alice :No text to send"]


async def test_privmsg_to_too_many_targets_gets_err_toomanytargets(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob")
    await alice.send("PRIVMSG bob,bob,bob,bob,bob :spam")
    assert alice.received() == [
        ":irc.test 407 alice bob,bob,bob,bob,bob :Too many targets"
    ]
    assert bob.received() == []


async def test_targets_per_command_is_configurable() -> None:
    engine = make_engine(limits=Limits(targets_per_command=1))
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("PRIVMSG alice,bob :hi")
    assert alice.received() == [":irc.test 407 alice alice,bob :Too many targets"]


# NOTICE never gets automatic replies


async def test_notice_to_unknown_targets_gets_no_error(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NOTICE nobody :hello?")
    await alice.send("NOTICE #nowhere :hello?")
    await alice.send("NOTICE")
    await alice.send("NOTICE bob")
    assert alice.received() == []


async def test_notice_to_channel_you_cannot_send_to_gets_no_error(
    engine: Engine,
) -> None:
    await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("NOTICE #tea :let me in")
    assert bob.received() == []


async def test_notice_to_too_many_targets_gets_no_error(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("NOTICE bob,bob,bob,bob,bob :spam")
    assert alice.received() == []


# Channel modes that restrict speaking


async def test_non_member_cannot_send_to_n_channel(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("PRIVMSG #tea :let me in")
    assert bob.received() == [":irc.test 404 bob #tea :Cannot send to channel (+n)"]
    assert alice.received() == []


async def test_non_member_can_send_to_channel_without_n(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea -n")
    alice.clear()
    bob = await connect(engine, "bob")
    await bob.send("PRIVMSG #tea :knock knock")
    assert alice.received() == [":bob!~bob@127.0.0.1 PRIVMSG #tea :knock knock"]


async def test_unvoiced_member_cannot_speak_in_moderated_channel(
    engine: Engine,
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +m")
    alice.clear()
    bob.clear()
    await bob.send("PRIVMSG #tea :hello?")
    assert bob.received() == [":irc.test 404 bob #tea :Cannot send to channel (+m)"]
    assert alice.received() == []


async def test_voiced_member_and_op_can_speak_in_moderated_channel(
    engine: Engine,
) -> None:
    alice, bob, carol = await joined(engine, "#tea", "alice", "bob", "carol")
    await alice.send("MODE #tea +mv bob")
    carol.clear()
    await bob.send("PRIVMSG #tea :I have a voice")
    await alice.send("PRIVMSG #tea :and I am op")
    assert carol.received() == [
        ":bob!~bob@127.0.0.1 PRIVMSG #tea :I have a voice",
        ":alice!~alice@127.0.0.1 PRIVMSG #tea :and I am op",
    ]


async def test_banned_member_cannot_speak(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +b bob!*@*")
    alice.clear()
    bob.clear()
    await bob.send("PRIVMSG #tea :hello?")
    assert bob.received() == [":irc.test 404 bob #tea :Cannot send to channel (+b)"]
    assert alice.received() == []


async def test_ban_exception_lets_a_banned_member_speak(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +be *!*@127.0.0.1 bob!*@*")
    alice.clear()
    await bob.send("PRIVMSG #tea :still here")
    assert alice.received() == [":bob!~bob@127.0.0.1 PRIVMSG #tea :still here"]


async def test_voice_lets_a_banned_member_speak(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +bv bob!*@* bob")
    alice.clear()
    await bob.send("PRIVMSG #tea :voiced")
    assert alice.received() == [":bob!~bob@127.0.0.1 PRIVMSG #tea :voiced"]


async def test_banned_non_member_cannot_send_to_channel_without_n(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea -n+b bob!*@*")
    bob = await connect(engine, "bob")
    await bob.send("PRIVMSG #tea :hello?")
    assert bob.received() == [":irc.test 404 bob #tea :Cannot send to channel (+b)"]


# AWAY replies


async def test_privmsg_to_away_user_gets_rpl_away(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("AWAY :gone fishing")
    bob.clear()
    await alice.send("PRIVMSG bob :are you there?")
    assert alice.received() == [":irc.test 301 alice bob :gone fishing"]
    assert bob.received() == [":alice!~alice@127.0.0.1 PRIVMSG bob :are you there?"]


async def test_notice_to_away_user_gets_no_rpl_away(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("AWAY :gone fishing")
    await alice.send("NOTICE bob :fyi")
    assert alice.received() == []


async def test_privmsg_to_channel_with_away_member_gets_no_rpl_away(
    engine: Engine,
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("AWAY :gone fishing")
    await alice.send("PRIVMSG #tea :hi all")
    assert alice.received() == []


# echo-message, server-time, message-tags


async def test_echo_message_sends_the_message_back_to_the_sender(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=("echo-message",))
    bob = await connect(engine, "bob")
    await join("#tea", alice, bob)
    await alice.send("PRIVMSG #tea :hi")
    await alice.send("NOTICE bob :psst")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 PRIVMSG #tea :hi",
        ":alice!~alice@127.0.0.1 NOTICE bob :psst",
    ]


async def test_echo_message_does_not_echo_a_refused_message(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("echo-message",))
    await alice.send("PRIVMSG nobody :hi")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_server_time_tags_relayed_messages(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob", caps=("server-time",))
    await alice.send("PRIVMSG bob :what time is it?")
    assert bob.received() == [
        "@time=2023-11-14T22:13:20.000Z :alice!~alice@127.0.0.1 PRIVMSG bob "
        ":what time is it?"
    ]


async def test_server_time_tags_channel_events(engine: Engine) -> None:
    bob = await connect(engine, "bob", caps=("server-time",))
    await bob.send("JOIN #tea")
    assert bob.received()[0] == (
        "@time=2023-11-14T22:13:20.000Z :bob!~bob@127.0.0.1 JOIN #tea"
    )


async def test_message_tags_client_gets_a_msgid(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob", caps=("message-tags",))
    carol = await connect(engine, "carol")
    await alice.send("PRIVMSG bob :one")
    await alice.send("PRIVMSG bob :two")
    await alice.send("PRIVMSG carol :three")
    first, second = parsed(bob)
    assert first.tags.keys() == {"msgid"}
    assert first.params == ("bob", "one")
    assert first.tags["msgid"]
    assert first.tags["msgid"] != second.tags["msgid"]
    assert carol.received() == [":alice!~alice@127.0.0.1 PRIVMSG carol :three"]


async def test_echo_carries_the_same_msgid_as_the_delivered_message(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice", caps=("echo-message", "message-tags"))
    bob = await connect(engine, "bob", caps=("message-tags",))
    await alice.send("PRIVMSG bob :hi")
    (echoed,) = parsed(alice)
    (delivered,) = parsed(bob)
    assert echoed.tags["msgid"] == delivered.tags["msgid"]


async def test_client_tags_are_relayed_and_other_tags_dropped(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("message-tags",))
    bob = await connect(engine, "bob", caps=("message-tags",))
    carol = await connect(engine, "carol")
    await join("#tea", alice, bob, carol)
    await alice.send(
        "@+draft/reply=abc;+example.com/x=a\\sb;time=1999;msgid=forged "
        "PRIVMSG #tea :reply"
    )
    (message,) = parsed(bob)
    assert message.tags.keys() == {"msgid", "+draft/reply", "+example.com/x"}
    assert message.tags["+draft/reply"] == "abc"
    assert message.tags["+example.com/x"] == "a b"
    assert message.tags["msgid"] != "forged"
    assert carol.received() == [":alice!~alice@127.0.0.1 PRIVMSG #tea :reply"]


async def test_server_time_and_message_tags_together(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob", caps=("message-tags", "server-time"))
    await alice.send("PRIVMSG bob :hi")
    (message,) = parsed(bob)
    assert message.tags["time"] == "2023-11-14T22:13:20.000Z"
    assert "msgid" in message.tags


# TAGMSG


async def test_tagmsg_reaches_only_message_tags_clients(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("message-tags",))
    bob = await connect(engine, "bob", caps=("message-tags",))
    carol = await connect(engine, "carol")
    await join("#tea", alice, bob, carol)
    await alice.send("@+draft/react=\U0001f375 TAGMSG #tea")
    (message,) = parsed(bob)
    assert message.command == "TAGMSG"
    assert message.source == "alice!~alice@127.0.0.1"
    assert message.params == ("#tea",)
    assert message.tags["+draft/react"] == "\U0001f375"
    assert carol.received() == []
    assert alice.received() == []


async def test_tagmsg_to_nick_without_message_tags_is_dropped(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("message-tags",))
    bob = await connect(engine, "bob")
    await alice.send("@+typing=active TAGMSG bob")
    assert bob.received() == []
    assert alice.received() == []


async def test_tagmsg_is_echoed_to_a_message_tags_sender(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("message-tags", "echo-message"))
    await connect(engine, "bob", caps=("message-tags",))
    await alice.send("@+typing=active TAGMSG bob")
    (echoed,) = parsed(alice)
    assert echoed.command == "TAGMSG"
    assert echoed.tags["+typing"] == "active"


# STATUSMSG


async def test_statusmsg_to_ops_reaches_only_ops(engine: Engine) -> None:
    alice, bob, carol, dave = await joined(
        engine, "#tea", "alice", "bob", "carol", "dave"
    )
    await alice.send("MODE #tea +o bob")
    await alice.send("MODE #tea +v carol")
    for client in (alice, bob, carol, dave):
        client.clear()
    await dave.send("PRIVMSG @#tea :ops, help")
    assert alice.received() == [":dave!~dave@127.0.0.1 PRIVMSG @#tea :ops, help"]
    assert bob.received() == [":dave!~dave@127.0.0.1 PRIVMSG @#tea :ops, help"]
    assert carol.received() == []
    assert dave.received() == []


async def test_statusmsg_to_voice_reaches_voiced_users_and_ops(
    engine: Engine,
) -> None:
    alice, bob, carol = await joined(engine, "#tea", "alice", "bob", "carol")
    await alice.send("MODE #tea +v bob")
    for client in (alice, bob, carol):
        client.clear()
    await alice.send("NOTICE +#tea :voices")
    assert bob.received() == [":alice!~alice@127.0.0.1 NOTICE +#tea :voices"]
    assert carol.received() == []


async def test_statusmsg_to_unknown_channel_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PRIVMSG @#nowhere :hi")
    assert alice.received() == [":irc.test 403 alice #nowhere :No such channel"]


# WALLOPS


async def test_wallops_by_oper_reaches_users_with_w(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper operpass")
    bob, carol = await connect(engine, "bob"), await connect(engine, "carol")
    await bob.send("MODE bob +w")
    alice.clear()
    bob.clear()
    await alice.send("WALLOPS :server restart soon")
    assert bob.received() == [":alice!~alice@127.0.0.1 WALLOPS :server restart soon"]
    assert carol.received() == []


async def test_wallops_by_non_oper_gets_err_noprivileges(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    await bob.send("MODE bob +w")
    bob.clear()
    await alice.send("WALLOPS :hello all")
    assert alice.received() == [
        ":irc.test 481 alice :Permission Denied- You're not an IRC operator"
    ]
    assert bob.received() == []


# Bots (IRCv3 bot mode)


async def test_messages_from_a_bot_carry_the_bot_tag(engine: Engine) -> None:
    robot = await connect(engine, "robot")
    await robot.send("MODE robot +B")
    bob = await connect(engine, "bob", caps=("message-tags",))
    carol = await connect(engine, "carol")
    await robot.send("PRIVMSG bob :beep")
    await robot.send("PRIVMSG carol :boop")
    (message,) = parsed(bob)
    assert message.tags.keys() == {"msgid", "bot"}
    assert message.tags["bot"] == ""
    assert carol.received() == [":robot!~robot@127.0.0.1 PRIVMSG carol :boop"]


async def test_messages_from_a_human_carry_no_bot_tag(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    bob = await connect(engine, "bob", caps=("message-tags",))
    await alice.send("PRIVMSG bob :hi")
    (message,) = parsed(bob)
    assert "bot" not in message.tags


async def test_a_message_too_long_to_relay_gets_417_and_is_not_cut(
    engine: Engine,
) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    # Fits the 512 bytes alice may send, but not once her mask is prefixed.
    text = "x" * (510 - len("PRIVMSG bob :"))
    await alice.send(f"PRIVMSG bob :{text}")
    assert alice.received() == [":irc.test 417 alice :Input line was too long"]
    assert bob.received() == []
    fitting = "y" * (510 - len(":alice!~alice@127.0.0.1 PRIVMSG bob :"))
    await alice.send(f"PRIVMSG bob :{fitting}")
    assert bob.received() == [f":alice!~alice@127.0.0.1 PRIVMSG bob :{fitting}"]


# What a decoded line can hold: any character but a lone surrogate.
_CHARACTERS = st.characters(blacklist_categories=["Cs"])


# Strings of one- to four-byte characters, long enough to reach the limit.
_WIDE = st.text(alphabet="xé€😀", min_size=20, max_size=200)


@settings(max_examples=300)
@given(
    source=st.text(_CHARACTERS, min_size=1, max_size=120) | _WIDE,
    target=st.text(_CHARACTERS, min_size=1, max_size=60) | _WIDE,
    text=st.text(_CHARACTERS, max_size=520)
    | st.text(alphabet="xé€😀", min_size=100, max_size=520),
)
def test_the_relayed_length_is_checked_in_bytes(
    source: str, target: str, text: str
) -> None:
    relayed = f":{source} PRIVMSG {target} :{text}\r\n"
    if len(relayed.encode()) <= 512:
        check_relayed_length(source, "PRIVMSG", target, text)
    else:
        with pytest.raises(IrcError) as refused:
            check_relayed_length(source, "PRIVMSG", target, text)
        assert refused.value.numeric == n.ERR_INPUTTOOLONG


async def test_a_message_too_long_in_bytes_to_relay_gets_417(engine: Engine) -> None:
    alice, bob = await connect(engine, "alice"), await connect(engine, "bob")
    head = ":alice!~alice@127.0.0.1 PRIVMSG bob :"
    # As many characters as fit in ASCII, but each "é" is two bytes.
    await alice.send("PRIVMSG bob :" + "é" * (510 - len(head)))
    assert alice.received() == [":irc.test 417 alice :Input line was too long"]
    fitting = "é" * ((510 - len(head)) // 2)
    await alice.send(f"PRIVMSG bob :{fitting}")
    assert bob.received() == [f"{head}{fitting}"]
