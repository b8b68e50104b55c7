"""MODE for channels (flags, key, limit, lists, prefixes) and for users.

https://modern.ircdocs.horse/#mode-message
https://modern.ircdocs.horse/#channel-modes
"""

from __future__ import annotations

from hubbub.config import Limits
from hubbub.core.engine import Engine
from tests.fakes import FrozenClock, connect, joined, make_engine

# Querying channel modes


async def test_channel_mode_query_gets_channelmodeis_and_creationtime(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea")
    assert alice.received() == [
        ":irc.test 324 alice #tea +nt",
        ":irc.test 329 alice #tea 1700000000",
    ]


async def test_channel_mode_query_shows_key_and_limit_to_members(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +kl green 5")
    alice.clear()
    await alice.send("MODE #tea")
    assert alice.received()[0] == ":irc.test 324 alice #tea +ntkl green 5"


async def test_channel_mode_query_hides_the_key_from_non_members(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +k green")
    bob = await connect(engine, "bob")
    await bob.send("MODE #tea")
    assert bob.received()[0] == ":irc.test 324 bob #tea +ntk *"


async def test_channel_mode_on_unknown_channel_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE #nowhere")
    assert alice.received() == [":irc.test 403 alice #nowhere :No such channel"]


# Setting flags


async def test_mode_change_is_broadcast_to_members(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +m")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +m"]
    assert bob.received() == [":alice!~alice@127.0.0.1 MODE #tea +m"]


async def test_several_flags_in_one_mode_command(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +ms-t")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +ms-t"]
    await alice.send("MODE #tea")
    assert alice.received()[0] == ":irc.test 324 alice #tea +mns"


async def test_setting_a_mode_already_set_changes_nothing(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +nt")
    assert alice.received() == []
    assert bob.received() == []


async def test_mode_change_by_non_op_gets_err_chanoprivsneeded(
    engine: Engine,
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("MODE #tea +m")
    assert bob.received() == [":irc.test 482 bob #tea :You're not channel operator"]
    assert alice.received() == []


async def test_mode_change_by_non_member_gets_err_chanoprivsneeded(
    engine: Engine,
) -> None:
    await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("MODE #tea -t")
    assert bob.received() == [":irc.test 482 bob #tea :You're not channel operator"]


async def test_unknown_channel_mode_gets_err_unknownmode(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +Zm")
    assert alice.received() == [
        ":irc.test 472 alice Z :is an unknown mode char to me for #tea",
        ":alice!~alice@127.0.0.1 MODE #tea +m",
    ]


async def test_invite_only_channel_refuses_uninvited_users(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +i")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received() == [":irc.test 473 bob #tea :Cannot join channel (+i)"]


async def test_invite_exception_lets_matching_users_into_invite_only_channel(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +iI bob!*@*")
    bob, carol = await connect(engine, "bob"), await connect(engine, "carol")
    await bob.send("JOIN #tea")
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"
    await carol.send("JOIN #tea")
    assert carol.received() == [":irc.test 473 carol #tea :Cannot join channel (+i)"]


async def test_no_ctcp_mode_refuses_ctcp_but_allows_action(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +C")
    alice.clear()
    bob.clear()
    await bob.send("PRIVMSG #tea :\x01VERSION\x01")
    assert bob.received() == [":irc.test 404 bob #tea :Cannot send CTCP (+C)"]
    await bob.send("PRIVMSG #tea :\x01ACTION waves\x01")
    assert alice.received() == [
        ":bob!~bob@127.0.0.1 PRIVMSG #tea :\x01ACTION waves\x01"
    ]


async def test_secret_channel_is_hidden_from_whois_of_non_members(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("JOIN #public")
    await alice.send("MODE #tea +s")
    bob = await connect(engine, "bob")
    await bob.send("WHOIS alice")
    assert ":irc.test 319 bob alice :@#public" in bob.received()


# Key (+k)


async def test_key_is_required_to_join(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +k green")
    assert bob.received() == [":alice!~alice@127.0.0.1 MODE #tea +k green"]
    carol = await connect(engine, "carol")
    await carol.send("JOIN #tea")
    assert carol.received() == [":irc.test 475 carol #tea :Cannot join channel (+k)"]
    await carol.send("JOIN #tea green")
    assert carol.received()[0] == ":carol!~carol@127.0.0.1 JOIN #tea"


async def test_removing_the_key_shows_a_star(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +k green")
    alice.clear()
    await alice.send("MODE #tea -k")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea -k *"]
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"


async def test_removing_the_key_with_an_argument(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +k green")
    alice.clear()
    await alice.send("MODE #tea -k green")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea -k *"]


async def test_badly_formed_key_gets_err_invalidkey(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +k green,tea")
    assert alice.received() == [":irc.test 525 alice #tea :Key is not well-formed"]
    await alice.send("MODE #tea +k :green tea")
    assert alice.received() == [":irc.test 525 alice #tea :Key is not well-formed"]
    await alice.send("MODE #tea +k " + "k" * 33)
    assert alice.received() == [":irc.test 525 alice #tea :Key is not well-formed"]


# Limit (+l)


async def test_limit_refuses_joins_once_reached(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +l 2")
    assert bob.received() == [":alice!~alice@127.0.0.1 MODE #tea +l 2"]
    carol = await connect(engine, "carol")
    await carol.send("JOIN #tea")
    assert carol.received() == [":irc.test 471 carol #tea :Cannot join channel (+l)"]


async def test_removing_the_limit_lets_users_join(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +l 1")
    alice.clear()
    await alice.send("MODE #tea -l")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea -l"]
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"


async def test_bad_limit_gets_err_invalidmodeparam(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +l many")
    assert alice.received() == [":irc.test 696 alice #tea l many :Invalid limit"]
    await alice.send("MODE #tea +l 0")
    assert alice.received() == [":irc.test 696 alice #tea l 0 :Invalid limit"]
    await alice.send("MODE #tea +l -3")
    assert alice.received() == [":irc.test 696 alice #tea l -3 :Invalid limit"]


async def test_limit_with_leading_zeros_is_normalized(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +l 007")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +l 7"]


# Lists: bans (+b), exceptions (+e), invite exceptions (+I)


async def test_ban_refuses_matching_users(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b bob!*@*")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +b bob!*@*"]
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received() == [":irc.test 474 bob #tea :Cannot join channel (+b)"]


async def test_ban_mask_matching_ignores_case(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b BOB!*@*")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received() == [":irc.test 474 bob #tea :Cannot join channel (+b)"]


async def test_ban_mask_with_wildcards_matches_many_users(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b b?b*!~*@127.0.0.*")
    bob, bobby = await connect(engine, "bob"), await connect(engine, "bobby")
    carol = await connect(engine, "carol")
    for client in (bob, bobby):
        await client.send("JOIN #tea")
        assert client.received() == [
            f":irc.test 474 {client.user.nick} #tea :Cannot join channel (+b)"
        ]
    await carol.send("JOIN #tea")
    assert carol.received()[0] == ":carol!~carol@127.0.0.1 JOIN #tea"


async def test_partial_ban_masks_are_completed(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b bob")
    await alice.send("MODE #tea +b ~bob@127.0.0.1")
    await alice.send("MODE #tea +b carol!~carol")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 MODE #tea +b bob!*@*",
        ":alice!~alice@127.0.0.1 MODE #tea +b *!~bob@127.0.0.1",
        ":alice!~alice@127.0.0.1 MODE #tea +b carol!~carol@*",
    ]


async def test_ban_exception_lets_matching_users_join(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +be *!*@* bob!*@*")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 MODE #tea +be *!*@* bob!*@*",
    ]
    bob, carol = await connect(engine, "bob"), await connect(engine, "carol")
    await bob.send("JOIN #tea")
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"
    await carol.send("JOIN #tea")
    assert carol.received() == [":irc.test 474 carol #tea :Cannot join channel (+b)"]


async def test_ban_list_query_gets_banlist_and_endofbanlist(
    engine: Engine, clock: FrozenClock
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b bob!*@*")
    clock.advance(5)
    await alice.send("MODE #tea +b carol!*@*")
    bob = await connect(engine, "bob")
    await bob.send("MODE #tea +b")
    assert bob.received() == [
        ":irc.test 367 bob #tea bob!*@* alice!~alice@127.0.0.1 1700000000",
        ":irc.test 367 bob #tea carol!*@* alice!~alice@127.0.0.1 1700000005",
        ":irc.test 368 bob #tea :End of channel ban list",
    ]


async def test_ban_list_query_without_sign(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea b")
    assert alice.received() == [":irc.test 368 alice #tea :End of channel ban list"]


async def test_exception_list_query_gets_exceptlist_and_end(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +e bob!*@*")
    alice.clear()
    await alice.send("MODE #tea e")
    assert alice.received() == [
        ":irc.test 348 alice #tea bob!*@* alice!~alice@127.0.0.1 1700000000",
        ":irc.test 349 alice #tea :End of channel exception list",
    ]


async def test_invite_exception_list_query_gets_invexlist_and_end(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +I bob!*@*")
    alice.clear()
    await alice.send("MODE #tea I")
    assert alice.received() == [
        ":irc.test 346 alice #tea bob!*@* alice!~alice@127.0.0.1 1700000000",
        ":irc.test 347 alice #tea :End of Channel Invite Exception List",
    ]


async def test_removing_a_ban_ignores_case(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b bob!*@*")
    alice.clear()
    await alice.send("MODE #tea -b BOB!*@*")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea -b BOB!*@*"]
    await alice.send("MODE #tea +b")
    assert alice.received() == [":irc.test 368 alice #tea :End of channel ban list"]


async def test_adding_the_same_ban_twice_changes_nothing(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +b bob!*@*")
    alice.clear()
    await alice.send("MODE #tea +b Bob!*@*")
    assert alice.received() == []


async def test_removing_an_absent_ban_changes_nothing(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea -b bob!*@*")
    assert alice.received() == []


async def test_full_ban_list_gets_err_banlistfull() -> None:
    engine = make_engine(limits=Limits(list_entries=2))
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +bb a!*@* b!*@*")
    alice.clear()
    await alice.send("MODE #tea +b c!*@*")
    assert alice.received() == [":irc.test 478 alice #tea b :Channel list is full"]


# Prefixes: +o and +v


async def test_op_gives_and_takes_operator_status(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +o bob")
    assert bob.received() == [":alice!~alice@127.0.0.1 MODE #tea +o bob"]
    await bob.send("MODE #tea +m")
    assert bob.received() == [":bob!~bob@127.0.0.1 MODE #tea +m"]
    await bob.send("MODE #tea -o alice")
    alice.clear()
    await alice.send("MODE #tea -m")
    assert alice.received() == [":irc.test 482 alice #tea :You're not channel operator"]


async def test_voice_is_shown_in_names(engine: Engine) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +v bob")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +v bob"]
    await alice.send("NAMES #tea")
    assert alice.received()[0] == ":irc.test 353 alice = #tea :@alice +bob"


async def test_prefix_mode_uses_the_targets_nick_as_registered(
    engine: Engine,
) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +v BOB")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +v bob"]


async def test_op_and_voice_in_one_command(engine: Engine) -> None:
    alice, _bob, _carol = await joined(engine, "#tea", "alice", "bob", "carol")
    await alice.send("MODE #tea +ov-v bob carol alice")
    assert alice.received() == [":alice!~alice@127.0.0.1 MODE #tea +ov bob carol"]


async def test_op_for_user_not_on_channel_gets_err_usernotinchannel(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await connect(engine, "bob")
    await alice.send("MODE #tea +o bob")
    assert alice.received() == [
        ":irc.test 441 alice bob #tea :They aren't on that channel"
    ]


async def test_voice_for_unknown_nick_gets_err_nosuchnick(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +v nobody")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_irc_operator_can_change_modes_of_any_channel(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("OPER oper operpass")
    bob.clear()
    await bob.send("MODE #tea +m")
    assert alice.received() == [":bob!~bob@127.0.0.1 MODE #tea +m"]


# User modes


async def test_user_mode_query_gets_umodeis(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE alice")
    assert alice.received() == [":irc.test 221 alice +"]
    await alice.send("MODE alice +iw")
    alice.clear()
    await alice.send("MODE alice")
    assert alice.received() == [":irc.test 221 alice +iw"]


async def test_setting_user_modes_is_confirmed(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE alice +iwB")
    assert alice.received() == [":alice MODE alice +iwB"]
    await alice.send("MODE alice -w")
    assert alice.received() == [":alice MODE alice -w"]


async def test_setting_a_user_mode_already_set_changes_nothing(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE alice +i")
    alice.clear()
    await alice.send("MODE alice +i")
    assert alice.received() == []


async def test_users_cannot_make_themselves_operators(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE alice +o")
    assert alice.received() == []
    await alice.send("MODE alice")
    assert alice.received() == [":irc.test 221 alice +"]


async def test_operators_can_drop_operator_status(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("OPER oper operpass")
    alice.clear()
    await alice.send("MODE alice -o")
    assert alice.received() == [":alice MODE alice -o"]
    await alice.send("WALLOPS :still here?")
    assert alice.received() == [
        ":irc.test 481 alice :Permission Denied- You're not an IRC operator"
    ]


async def test_unknown_user_mode_gets_err_umodeunknownflag(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE alice +iZ")
    assert alice.received() == [
        ":irc.test 501 alice :Unknown MODE flag",
        ":alice MODE alice +i",
    ]


async def test_changing_another_users_modes_gets_err_usersdontmatch(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await connect(engine, "bob")
    await alice.send("MODE bob +i")
    assert alice.received() == [":irc.test 502 alice :Cant change mode for other users"]
    await alice.send("MODE bob")
    assert alice.received() == [":irc.test 502 alice :Cant change mode for other users"]


async def test_user_mode_for_unknown_nick_gets_err_nosuchnick(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE nobody")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_user_mode_target_is_case_insensitive(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE ALICE +i")
    assert alice.received() == [":alice MODE alice +i"]


async def test_mode_without_parameters_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("MODE")
    assert alice.received() == [":irc.test 461 alice MODE :Not enough parameters"]
