"""Channel operations: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK.

https://modern.ircdocs.horse/#channel-operations
"""

from __future__ import annotations

from hubbub.config import Limits
from hubbub.core.engine import Engine
from tests.fakes import FrozenClock, connect, joined, make_engine

# JOIN


async def test_first_joiner_creates_the_channel_and_is_op(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 JOIN #tea",
        ":irc.test 353 alice = #tea :@alice",
        ":irc.test 366 alice #tea :End of /NAMES list",
    ]


async def test_join_is_seen_by_members_and_later_joiners_are_not_op(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert alice.received() == [":bob!~bob@127.0.0.1 JOIN #tea"]
    assert bob.received() == [
        ":bob!~bob@127.0.0.1 JOIN #tea",
        ":irc.test 353 bob = #tea :@alice bob",
        ":irc.test 366 bob #tea :End of /NAMES list",
    ]


async def test_join_sends_the_topic_before_names(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("TOPIC #tea :Oolong only")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received() == [
        ":bob!~bob@127.0.0.1 JOIN #tea",
        ":irc.test 332 bob #tea :Oolong only",
        ":irc.test 333 bob #tea alice!~alice@127.0.0.1 1700000000",
        ":irc.test 353 bob = #tea :@alice bob",
        ":irc.test 366 bob #tea :End of /NAMES list",
    ]


async def test_join_a_list_of_channels(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea,#coffee")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 JOIN #tea",
        ":irc.test 353 alice = #tea :@alice",
        ":irc.test 366 alice #tea :End of /NAMES list",
        ":alice!~alice@127.0.0.1 JOIN #coffee",
        ":irc.test 353 alice = #coffee :@alice",
        ":irc.test 366 alice #coffee :End of /NAMES list",
    ]


async def test_join_uses_the_channel_name_as_first_created(engine: Engine) -> None:
    (alice,) = await joined(engine, "#Tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #TEA")
    assert alice.received() == [":bob!~bob@127.0.0.1 JOIN #Tea"]


async def test_join_with_keys_matches_keys_to_channels_by_position(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("JOIN #coffee")
    await alice.send("MODE #tea +k green")
    await alice.send("MODE #coffee +k black")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea,#coffee green,black")
    joins = [line for line in bob.received() if " JOIN " in line]
    assert joins == [
        ":bob!~bob@127.0.0.1 JOIN #tea",
        ":bob!~bob@127.0.0.1 JOIN #coffee",
    ]


async def test_join_with_wrong_key_gets_err_badchannelkey(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +k green")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea black")
    assert bob.received() == [":irc.test 475 bob #tea :Cannot join channel (+k)"]
    await bob.send("JOIN #tea")
    assert bob.received() == [":irc.test 475 bob #tea :Cannot join channel (+k)"]


async def test_join_continues_after_a_failed_channel(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +i")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea,#coffee")
    lines = bob.received()
    assert lines[0] == ":irc.test 473 bob #tea :Cannot join channel (+i)"
    assert lines[1] == ":bob!~bob@127.0.0.1 JOIN #coffee"


async def test_join_when_already_a_member_does_nothing(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("JOIN #tea")
    assert bob.received() == []
    assert alice.received() == []


async def test_join_0_parts_every_channel(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("JOIN #coffee")
    alice.clear()
    await alice.send("JOIN 0")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 PART #tea :alice",
        ":alice!~alice@127.0.0.1 PART #coffee :alice",
    ]
    assert bob.received() == [":alice!~alice@127.0.0.1 PART #tea :alice"]
    await alice.send("WHOIS alice")
    assert not any(" 319 " in line for line in alice.received())


async def test_join_invalid_channel_name_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN tea")
    assert alice.received() == [":irc.test 403 alice tea :No such channel"]
    await alice.send("JOIN #")
    assert alice.received() == [":irc.test 403 alice # :No such channel"]


async def test_join_channel_name_with_control_g_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #te\x07a")
    assert alice.received() == [":irc.test 403 alice #te\x07a :No such channel"]


async def test_join_channel_name_longer_than_channellen_is_refused(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    name = "#" + "t" * 64
    await alice.send(f"JOIN {name}")
    assert alice.received() == [f":irc.test 403 alice {name} :No such channel"]


async def test_join_ampersand_channel(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN &local")
    assert alice.received()[0] == ":alice!~alice@127.0.0.1 JOIN &local"


async def test_join_beyond_chanlimit_gets_err_toomanychannels() -> None:
    engine = make_engine(limits=Limits(channels_per_client=2))
    alice = await connect(engine, "alice")
    await alice.send("JOIN #a,#b")
    alice.clear()
    await alice.send("JOIN #c")
    assert alice.received() == [
        ":irc.test 405 alice #c :You have joined too many channels"
    ]


async def test_join_without_parameters_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN")
    assert alice.received() == [":irc.test 461 alice JOIN :Not enough parameters"]


async def test_extended_join_adds_account_and_realname(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("extended-join",))
    await alice.send("JOIN #tea")
    alice.clear()
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert alice.received() == [":bob!~bob@127.0.0.1 JOIN #tea * :Bob Realname"]
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"


# PART


async def test_part_with_reason_is_seen_by_members(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("PART #tea :time for coffee")
    expected = [":bob!~bob@127.0.0.1 PART #tea :time for coffee"]
    assert alice.received() == expected
    assert bob.received() == expected


async def test_part_without_reason(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("PART #tea")
    assert alice.received() == [":bob!~bob@127.0.0.1 PART #tea"]


async def test_part_a_list_of_channels(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea,#coffee")
    alice.clear()
    await alice.send("PART #tea,#coffee :bye")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 PART #tea :bye",
        ":alice!~alice@127.0.0.1 PART #coffee :bye",
    ]


async def test_part_channel_you_are_not_on_gets_err_notonchannel(
    engine: Engine,
) -> None:
    await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("PART #tea")
    assert bob.received() == [":irc.test 442 bob #tea :You're not on that channel"]


async def test_part_unknown_channel_gets_err_nosuchchannel(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("PART #nowhere")
    assert alice.received() == [":irc.test 403 alice #nowhere :No such channel"]


async def test_empty_channel_disappears_and_next_joiner_is_op(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("PART #tea")
    await bob.send("PART #tea")
    bob.clear()
    await bob.send("JOIN #tea")
    assert bob.received()[1] == ":irc.test 353 bob = #tea :@bob"


async def test_empty_channel_forgets_its_topic_and_modes(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("TOPIC #tea :Oolong only")
    await alice.send("MODE #tea +k green")
    await alice.send("PART #tea")
    alice.clear()
    await alice.send("JOIN #tea")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 JOIN #tea",
        ":irc.test 353 alice = #tea :@alice",
        ":irc.test 366 alice #tea :End of /NAMES list",
    ]


# TOPIC


async def test_topic_change_is_broadcast_to_members(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("TOPIC #tea :Oolong only")
    assert bob.received() == [":alice!~alice@127.0.0.1 TOPIC #tea :Oolong only"]
    assert alice.received() == [":alice!~alice@127.0.0.1 TOPIC #tea :Oolong only"]


async def test_topic_query_without_topic_gets_rpl_notopic(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("TOPIC #tea")
    assert alice.received() == [":irc.test 331 alice #tea :No topic is set"]


async def test_topic_query_gets_rpl_topic_and_topicwhotime(
    engine: Engine, clock: FrozenClock
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    clock.advance(60)
    await alice.send("TOPIC #tea :Oolong only")
    bob.clear()
    await bob.send("TOPIC #tea")
    assert bob.received() == [
        ":irc.test 332 bob #tea :Oolong only",
        ":irc.test 333 bob #tea alice!~alice@127.0.0.1 1700000060",
    ]


async def test_topic_can_be_cleared(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("TOPIC #tea :Oolong only")
    bob.clear()
    await alice.send("TOPIC #tea :")
    assert bob.received() == [":alice!~alice@127.0.0.1 TOPIC #tea :"]
    await bob.send("TOPIC #tea")
    assert bob.received() == [":irc.test 331 bob #tea :No topic is set"]


async def test_topic_by_non_op_on_t_channel_gets_err_chanoprivsneeded(
    engine: Engine,
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("TOPIC #tea :Coffee!")
    assert bob.received() == [":irc.test 482 bob #tea :You're not channel operator"]
    assert alice.received() == []


async def test_topic_by_non_op_is_allowed_without_t(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea -t")
    alice.clear()
    await bob.send("TOPIC #tea :Coffee!")
    assert alice.received() == [":bob!~bob@127.0.0.1 TOPIC #tea :Coffee!"]


async def test_topic_set_by_non_member_gets_err_notonchannel(engine: Engine) -> None:
    await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("TOPIC #tea :Coffee!")
    assert bob.received() == [":irc.test 442 bob #tea :You're not on that channel"]


async def test_topic_of_unknown_channel_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("TOPIC #nowhere")
    assert alice.received() == [":irc.test 403 alice #nowhere :No such channel"]


async def test_topic_of_secret_channel_is_hidden_from_non_members(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +s")
    await alice.send("TOPIC #tea :hidden")
    bob = await connect(engine, "bob")
    await bob.send("TOPIC #tea")
    assert bob.received() == [":irc.test 442 bob #tea :You're not on that channel"]


async def test_topic_is_truncated_to_topiclen() -> None:
    engine = make_engine(limits=Limits(topic_length=10))
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("TOPIC #tea :0123456789abcdef")
    assert alice.received() == [":alice!~alice@127.0.0.1 TOPIC #tea :0123456789"]


# NAMES


async def test_names_lists_members_with_prefixes(engine: Engine) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("NAMES #tea")
    assert alice.received() == [
        ":irc.test 353 alice = #tea :@alice bob",
        ":irc.test 366 alice #tea :End of /NAMES list",
    ]


async def test_names_with_multi_prefix_shows_every_prefix(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("multi-prefix",))
    await alice.send("JOIN #tea")
    await alice.send("MODE #tea +v alice")
    alice.clear()
    await alice.send("NAMES #tea")
    assert alice.received() == [
        ":irc.test 353 alice = #tea :@+alice",
        ":irc.test 366 alice #tea :End of /NAMES list",
    ]


async def test_names_without_multi_prefix_shows_the_highest_prefix(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +v alice")
    alice.clear()
    await alice.send("NAMES #tea")
    assert alice.received()[0] == ":irc.test 353 alice = #tea :@alice"


async def test_names_with_userhost_in_names_shows_masks(engine: Engine) -> None:
    alice = await connect(engine, "alice", caps=("userhost-in-names",))
    await alice.send("JOIN #tea")
    assert alice.received()[1] == ":irc.test 353 alice = #tea :@alice!~alice@127.0.0.1"


async def test_names_of_secret_channel_uses_at_symbol(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +s")
    alice.clear()
    await alice.send("NAMES #tea")
    assert alice.received()[0] == ":irc.test 353 alice @ #tea :@alice"


async def test_names_of_private_channel_uses_star_symbol(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +p")
    alice.clear()
    await alice.send("NAMES #tea")
    assert alice.received()[0] == ":irc.test 353 alice * #tea :@alice"


async def test_names_of_secret_channel_is_hidden_from_non_members(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +s")
    bob = await connect(engine, "bob")
    await bob.send("NAMES #tea")
    assert bob.received() == [":irc.test 366 bob #tea :End of /NAMES list"]


async def test_names_hides_invisible_users_from_non_members(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("MODE bob +i")
    carol = await connect(engine, "carol")
    await carol.send("NAMES #tea")
    assert carol.received() == [
        ":irc.test 353 carol = #tea :@alice",
        ":irc.test 366 carol #tea :End of /NAMES list",
    ]
    await alice.send("NAMES #tea")
    assert alice.received()[0] == ":irc.test 353 alice = #tea :@alice bob"


async def test_names_of_several_channels_ends_with_one_endofnames(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea,#coffee")
    alice.clear()
    await alice.send("NAMES #tea,#nowhere,#coffee")
    assert alice.received() == [
        ":irc.test 353 alice = #tea :@alice",
        ":irc.test 353 alice = #coffee :@alice",
        ":irc.test 366 alice #tea,#nowhere,#coffee :End of /NAMES list",
    ]


async def test_names_of_unknown_channel_gets_only_endofnames(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("NAMES #nowhere")
    assert alice.received() == [":irc.test 366 alice #nowhere :End of /NAMES list"]


async def test_names_splits_long_member_lists(engine: Engine) -> None:
    nicks = [f"user{index:02d}_with_a_long_nick" for index in range(30)]
    clients = await joined(engine, "#tea", *nicks)
    await clients[0].send("NAMES #tea")
    lines = clients[0].received()
    names_lines = [line for line in lines if " 353 " in line]
    assert len(names_lines) > 1
    assert all(len(line.encode()) + 2 <= 512 for line in names_lines)
    listed = " ".join(line.split(" :", 1)[1] for line in names_lines).split()
    assert [name.lstrip("@") for name in listed] == nicks
    assert lines[-1] == f":irc.test 366 {nicks[0]} #tea :End of /NAMES list"


# LIST


async def test_list_shows_channels_with_member_count_and_topic(
    engine: Engine,
) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("TOPIC #tea :Oolong only")
    await alice.send("JOIN #coffee")
    carol = await connect(engine, "carol")
    await carol.send("LIST")
    assert carol.received() == [
        ":irc.test 321 carol Channel :Users  Name",
        ":irc.test 322 carol #tea 2 :Oolong only",
        ":irc.test 322 carol #coffee 1 :",
        ":irc.test 323 carol :End of /LIST",
    ]


async def test_list_with_channel_names(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea,#coffee,#juice")
    alice.clear()
    await alice.send("LIST #juice,#tea")
    assert alice.received() == [
        ":irc.test 321 alice Channel :Users  Name",
        ":irc.test 322 alice #tea 1 :",
        ":irc.test 322 alice #juice 1 :",
        ":irc.test 323 alice :End of /LIST",
    ]


async def test_list_with_a_wildcard_pattern(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea,#coffee,#teapot")
    alice.clear()
    await alice.send("LIST #TEA*")
    assert alice.received() == [
        ":irc.test 321 alice Channel :Users  Name",
        ":irc.test 322 alice #tea 1 :",
        ":irc.test 322 alice #teapot 1 :",
        ":irc.test 323 alice :End of /LIST",
    ]


async def test_list_elist_more_than_n_users(engine: Engine) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("JOIN #coffee")
    alice.clear()
    await alice.send("LIST >1")
    assert alice.received() == [
        ":irc.test 321 alice Channel :Users  Name",
        ":irc.test 322 alice #tea 2 :",
        ":irc.test 323 alice :End of /LIST",
    ]


async def test_list_elist_fewer_than_n_users(engine: Engine) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("JOIN #coffee")
    alice.clear()
    await alice.send("LIST <2")
    assert alice.received() == [
        ":irc.test 321 alice Channel :Users  Name",
        ":irc.test 322 alice #coffee 1 :",
        ":irc.test 323 alice :End of /LIST",
    ]


async def test_list_elist_excludes_channels_matching_a_negated_mask(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea,#teapot,#coffee")
    alice.clear()
    await alice.send("LIST !#tea*")
    assert alice.received() == [
        ":irc.test 321 alice Channel :Users  Name",
        ":irc.test 322 alice #coffee 1 :",
        ":irc.test 323 alice :End of /LIST",
    ]


async def test_list_elist_by_creation_time(engine: Engine, clock: FrozenClock) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #old")
    clock.advance(600)
    await alice.send("JOIN #new")
    clock.advance(60)
    alice.clear()
    await alice.send("LIST C>5")
    assert alice.received()[1:-1] == [":irc.test 322 alice #old 1 :"]
    await alice.send("LIST C<5")
    assert alice.received()[1:-1] == [":irc.test 322 alice #new 1 :"]


async def test_list_elist_by_topic_time(engine: Engine, clock: FrozenClock) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #old,#new,#bare")
    await alice.send("TOPIC #old :set long ago")
    clock.advance(600)
    await alice.send("TOPIC #new :set just now")
    clock.advance(60)
    alice.clear()
    await alice.send("LIST T>5")
    assert alice.received()[1:-1] == [":irc.test 322 alice #old 1 :set long ago"]
    await alice.send("LIST T<5")
    assert alice.received()[1:-1] == [":irc.test 322 alice #new 1 :set just now"]


async def test_list_hides_secret_channels_from_non_members(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +s")
    alice.clear()
    bob = await connect(engine, "bob")
    await bob.send("LIST")
    assert bob.received() == [
        ":irc.test 321 bob Channel :Users  Name",
        ":irc.test 323 bob :End of /LIST",
    ]
    await alice.send("LIST")
    assert alice.received()[1] == ":irc.test 322 alice #tea 1 :"


# INVITE


async def test_invite_gets_rpl_inviting_and_the_target_gets_invite(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await alice.send("INVITE bob #tea")
    assert alice.received() == [":irc.test 341 alice bob #tea"]
    assert bob.received() == [":alice!~alice@127.0.0.1 INVITE bob #tea"]


async def test_invite_lets_the_target_into_an_invite_only_channel(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +i")
    bob = await connect(engine, "bob")
    await bob.send("JOIN #tea")
    assert bob.received() == [":irc.test 473 bob #tea :Cannot join channel (+i)"]
    await alice.send("INVITE bob #tea")
    bob.clear()
    await bob.send("JOIN #tea")
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"


async def test_invitation_overrides_the_member_limit(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +l 1")
    bob = await connect(engine, "bob")
    await alice.send("INVITE bob #tea")
    bob.clear()
    await bob.send("JOIN #tea")
    assert bob.received()[0] == ":bob!~bob@127.0.0.1 JOIN #tea"


async def test_invitation_is_used_up_by_joining(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +i")
    bob = await connect(engine, "bob")
    await alice.send("INVITE bob #tea")
    await bob.send("JOIN #tea")
    await bob.send("PART #tea")
    bob.clear()
    await bob.send("JOIN #tea")
    assert bob.received() == [":irc.test 473 bob #tea :Cannot join channel (+i)"]


async def test_invitation_does_not_pass_to_the_next_holder_of_the_nick(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("MODE #tea +i")
    bob = await connect(engine, "bob")
    await alice.send("INVITE bob #tea")
    await bob.send("NICK robert")
    mallory = await connect(engine, "mallory")
    await mallory.send("NICK bob")
    mallory.clear()
    await mallory.send("JOIN #tea")
    assert mallory.received() == [":irc.test 473 bob #tea :Cannot join channel (+i)"]


async def test_invite_user_already_on_channel_gets_err_useronchannel(
    engine: Engine,
) -> None:
    alice, _bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("INVITE bob #tea")
    assert alice.received() == [":irc.test 443 alice bob #tea :is already on channel"]


async def test_invite_by_non_member_gets_err_notonchannel(engine: Engine) -> None:
    await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await connect(engine, "carol")
    await bob.send("INVITE carol #tea")
    assert bob.received() == [":irc.test 442 bob #tea :You're not on that channel"]


async def test_invite_to_invite_only_channel_by_non_op_gets_err_chanoprivsneeded(
    engine: Engine,
) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("MODE #tea +i")
    await connect(engine, "carol")
    bob.clear()
    await bob.send("INVITE carol #tea")
    assert bob.received() == [":irc.test 482 bob #tea :You're not channel operator"]


async def test_invite_by_non_op_without_i_is_allowed(engine: Engine) -> None:
    _alice, bob = await joined(engine, "#tea", "alice", "bob")
    carol = await connect(engine, "carol")
    await bob.send("INVITE carol #tea")
    assert bob.received() == [":irc.test 341 bob carol #tea"]
    assert carol.received() == [":bob!~bob@127.0.0.1 INVITE carol #tea"]


async def test_invite_unknown_nick_gets_err_nosuchnick(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("INVITE nobody #tea")
    assert alice.received() == [":irc.test 401 alice nobody :No such nick/channel"]


async def test_invite_away_user_also_gets_rpl_away(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("AWAY :napping")
    await alice.send("INVITE bob #tea")
    assert alice.received() == [
        ":irc.test 341 alice bob #tea",
        ":irc.test 301 alice bob :napping",
    ]


async def test_invite_notify_tells_other_members_with_the_cap(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("JOIN #tea")
    watcher = await connect(engine, "watcher", caps=("invite-notify",))
    await watcher.send("JOIN #tea")
    plain = await connect(engine, "plain")
    await plain.send("JOIN #tea")
    await connect(engine, "bob")
    watcher.clear()
    plain.clear()
    await alice.send("INVITE bob #tea")
    assert watcher.received() == [":alice!~alice@127.0.0.1 INVITE bob #tea"]
    assert plain.received() == []


async def test_invite_with_one_parameter_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("INVITE bob")
    assert alice.received() == [":irc.test 461 alice INVITE :Not enough parameters"]


async def test_invite_without_parameters_lists_your_invitations(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await alice.send("INVITE bob #tea")
    bob.clear()
    await bob.send("INVITE")
    assert bob.received() == [
        ":irc.test 336 bob #tea",
        ":irc.test 337 bob :End of /INVITE list",
    ]


# KICK


async def test_kick_is_seen_by_members_and_removes_the_target(engine: Engine) -> None:
    alice, bob, carol = await joined(engine, "#tea", "alice", "bob", "carol")
    await alice.send("KICK #tea bob :too much coffee")
    expected = [":alice!~alice@127.0.0.1 KICK #tea bob :too much coffee"]
    assert alice.received() == expected
    assert bob.received() == expected
    assert carol.received() == expected
    await alice.send("NAMES #tea")
    assert alice.received()[0] == ":irc.test 353 alice = #tea :@alice carol"


async def test_kick_without_reason_uses_the_kickers_nick(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("KICK #tea bob")
    assert bob.received() == [":alice!~alice@127.0.0.1 KICK #tea bob :alice"]


async def test_kick_several_users(engine: Engine) -> None:
    alice, _bob, _carol = await joined(engine, "#tea", "alice", "bob", "carol")
    await alice.send("KICK #tea bob,carol :out")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 KICK #tea bob :out",
        ":alice!~alice@127.0.0.1 KICK #tea carol :out",
    ]


async def test_kick_pairs_channels_with_nicks(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    carol = await connect(engine, "carol")
    await alice.send("JOIN #coffee")
    await carol.send("JOIN #coffee")
    alice.clear()
    await alice.send("KICK #tea,#coffee bob,carol :out")
    assert alice.received() == [
        ":alice!~alice@127.0.0.1 KICK #tea bob :out",
        ":alice!~alice@127.0.0.1 KICK #coffee carol :out",
    ]
    assert bob.received() == [":alice!~alice@127.0.0.1 KICK #tea bob :out"]


async def test_kick_with_unpaired_channels_and_nicks_gets_err_needmoreparams(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("KICK #tea,#coffee bob,carol,dave")
    assert alice.received() == [":irc.test 461 alice KICK :Not enough parameters"]


async def test_kick_by_non_op_gets_err_chanoprivsneeded(engine: Engine) -> None:
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await bob.send("KICK #tea alice")
    assert bob.received() == [":irc.test 482 bob #tea :You're not channel operator"]
    assert alice.received() == []


async def test_kick_user_not_on_channel_gets_err_usernotinchannel(
    engine: Engine,
) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await connect(engine, "bob")
    await alice.send("KICK #tea bob")
    assert alice.received() == [
        ":irc.test 441 alice bob #tea :They aren't on that channel"
    ]


async def test_kick_by_non_member_gets_err_notonchannel(engine: Engine) -> None:
    await joined(engine, "#tea", "alice")
    bob = await connect(engine, "bob")
    await bob.send("KICK #tea alice")
    assert bob.received() == [":irc.test 442 bob #tea :You're not on that channel"]


async def test_kick_on_unknown_channel_gets_err_nosuchchannel(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("KICK #nowhere bob")
    assert alice.received() == [":irc.test 403 alice #nowhere :No such channel"]


async def test_kick_the_last_member_removes_the_channel(engine: Engine) -> None:
    (alice,) = await joined(engine, "#tea", "alice")
    await alice.send("KICK #tea alice")
    alice.clear()
    await alice.send("LIST")
    assert alice.received() == [
        ":irc.test 321 alice Channel :Users  Name",
        ":irc.test 323 alice :End of /LIST",
    ]


async def test_kick_reason_is_truncated_to_kicklen() -> None:
    engine = make_engine(limits=Limits(kick_length=5))
    alice, bob = await joined(engine, "#tea", "alice", "bob")
    await alice.send("KICK #tea bob :goodbye forever")
    assert bob.received() == [":alice!~alice@127.0.0.1 KICK #tea bob :goodb"]
