"""`ServerState`: lookups, bookkeeping and `apply(event)`, the only writer."""

from __future__ import annotations

import pytest

from hubbub.core.errors import IrcError
from hubbub.core.events import (
    AwayChanged,
    ChannelModeChanged,
    MessageSent,
    NickChanged,
    RealnameChanged,
    TopicChanged,
    UserInvited,
    UserJoined,
    UserKicked,
    UserModeChanged,
    UserParted,
    UserQuit,
    UserRegistered,
    WallopsSent,
)
from hubbub.core.outbox import Outbox
from hubbub.core.state import ServerState, WhowasEntry
from hubbub.core.user import SessionId, User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold
from hubbub.protocol.modes import ModeChange
from tests.fakes import FakeWriter

OP_MASK = "alice!~alice@127.0.0.1"


def new_session(state: ServerState) -> User:
    """A connection that has not registered yet."""
    outbox = Outbox(FakeWriter(), 1 << 20, lambda _outbox: None)
    user = User(
        SessionId(len(state.sessions) + 1), outbox, "127.0.0.1", "127.0.0.1", 0.0
    )
    state.add_session(user)
    return user


def register(state: ServerState, nick: str) -> User:
    """A user registered under `nick`."""
    user = new_session(state)
    user.username, user.realname = "~" + nick, nick.capitalize()
    state.claim_nick(user, nick)
    state.apply(UserRegistered(nick))
    return user


def mode(state: ServerState, *changes: ModeChange) -> None:
    """Apply channel mode changes to #tea, set by alice."""
    state.apply(ChannelModeChanged("#tea", OP_MASK, changes, 10.0))


@pytest.fixture
def state() -> ServerState:
    """An empty state remembering three WHOWAS entries per nick."""
    return ServerState(whowas_entries=3)


# Lookups and bookkeeping


def test_registration_marks_the_user_and_counts_the_peak(state: ServerState) -> None:
    alice = register(state, "alice")
    register(state, "bob")
    assert alice.registered
    assert state.registered_users() == [alice, state.users[casefold("bob")]]
    assert state.max_registered == 2


def test_find_user_ignores_case(state: ServerState) -> None:
    alice = register(state, "Alice[m]")
    assert state.find_user("ALICE{M}") is alice
    assert state.find_user("bob") is None


def test_require_user_refuses_unregistered_connections(state: ServerState) -> None:
    half = new_session(state)
    state.claim_nick(half, "bob")
    assert state.find_user("bob") is half
    with pytest.raises(IrcError) as error:
        state.require_user("bob")
    assert error.value.numeric == n.ERR_NOSUCHNICK
    assert error.value.params == ("bob",)


def test_require_channel_raises_err_nosuchchannel(state: ServerState) -> None:
    with pytest.raises(IrcError) as error:
        state.require_channel("#nowhere")
    assert error.value.numeric == n.ERR_NOSUCHCHANNEL
    assert error.value.params == ("#nowhere",)


def test_claiming_a_second_nick_frees_the_first(state: ServerState) -> None:
    user = new_session(state)
    state.claim_nick(user, "alice")
    state.claim_nick(user, "alicia")
    assert state.find_user("alice") is None
    assert state.find_user("alicia") is user


def test_remove_session_forgets_nick_and_monitoring(state: ServerState) -> None:
    alice = register(state, "alice")
    state.watch(alice, casefold("bob"))
    state.remove_session(alice)
    assert state.sessions == {}
    assert state.users == {}
    assert state.watchers == {}
    assert alice.monitoring == set()


def test_watch_and_unwatch(state: ServerState) -> None:
    alice, carol = register(state, "alice"), register(state, "carol")
    state.watch(alice, casefold("bob"))
    state.watch(carol, casefold("bob"))
    assert state.watchers[casefold("bob")] == {alice, carol}
    state.unwatch(alice, casefold("bob"))
    assert state.watchers[casefold("bob")] == {carol}
    state.unwatch(carol, casefold("bob"))
    assert state.watchers == {}


# Channels


def test_join_creates_the_channel_with_the_joiner_as_op(state: ServerState) -> None:
    alice = register(state, "alice")
    state.apply(UserJoined("alice", "#Tea", 5.0))
    channel = state.require_channel("#TEA")
    assert channel.name == "#Tea"
    assert channel.created_at == 5.0
    assert channel.members == {alice: "o"}
    assert alice.channels == {casefold("#tea"): channel}


def test_later_joiners_have_no_status(state: ServerState) -> None:
    register(state, "alice")
    bob = register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserJoined("bob", "#tea", 6.0))
    channel = state.require_channel("#tea")
    assert channel.members[bob] == ""
    assert channel.created_at == 5.0


def test_joining_uses_up_an_invitation(state: ServerState) -> None:
    register(state, "alice")
    register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserInvited("alice", "bob", "#tea"))
    channel = state.require_channel("#tea")
    assert channel.invited == {casefold("bob")}
    state.apply(UserJoined("bob", "#tea", 6.0))
    assert channel.invited == set()


def test_invitation_to_a_missing_channel_is_not_stored(state: ServerState) -> None:
    register(state, "alice")
    register(state, "bob")
    state.apply(UserInvited("alice", "bob", "#nowhere"))
    assert state.channels == {}


def test_part_removes_the_member_and_the_last_part_the_channel(
    state: ServerState,
) -> None:
    alice, bob = register(state, "alice"), register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserJoined("bob", "#tea", 6.0))
    state.apply(UserParted("bob", "#tea", "bye"))
    channel = state.require_channel("#tea")
    assert channel.members == {alice: "o"}
    assert bob.channels == {}
    state.apply(UserParted("alice", "#TEA", None))
    assert state.channels == {}
    assert alice.channels == {}


def test_kick_removes_the_target(state: ServerState) -> None:
    alice, bob = register(state, "alice"), register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserJoined("bob", "#tea", 6.0))
    state.apply(UserKicked(OP_MASK, "#tea", "bob", "out"))
    assert state.require_channel("#tea").members == {alice: "o"}
    assert bob.channels == {}


def test_topic_change_records_text_setter_and_time(state: ServerState) -> None:
    register(state, "alice")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(TopicChanged("#tea", "Oolong only", OP_MASK, 7.0))
    channel = state.require_channel("#tea")
    assert (channel.topic, channel.topic_by, channel.topic_at) == (
        "Oolong only",
        OP_MASK,
        7.0,
    )


# Channel modes


def test_flag_modes_are_added_and_removed(state: ServerState) -> None:
    register(state, "alice")
    state.apply(UserJoined("alice", "#tea", 5.0))
    mode(state, ModeChange(True, "m"), ModeChange(False, "t"))
    assert state.require_channel("#tea").modes == {"n", "m"}


def test_key_and_limit_are_set_and_cleared(state: ServerState) -> None:
    register(state, "alice")
    state.apply(UserJoined("alice", "#tea", 5.0))
    mode(state, ModeChange(True, "k", "green"), ModeChange(True, "l", "3"))
    channel = state.require_channel("#tea")
    assert (channel.password, channel.limit) == ("green", 3)
    mode(state, ModeChange(False, "k", "*"), ModeChange(False, "l"))
    assert (channel.password, channel.limit) == (None, None)


def test_prefix_modes_are_kept_highest_first(state: ServerState) -> None:
    register(state, "alice")
    bob = register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserJoined("bob", "#tea", 6.0))
    mode(state, ModeChange(True, "v", "bob"), ModeChange(True, "o", "BOB"))
    channel = state.require_channel("#tea")
    assert channel.members[bob] == "ov"
    mode(state, ModeChange(False, "o", "bob"))
    assert channel.members[bob] == "v"


def test_list_entries_are_normalized_and_deduplicated_ignoring_case(
    state: ServerState,
) -> None:
    register(state, "alice")
    state.apply(UserJoined("alice", "#tea", 5.0))
    mode(state, ModeChange(True, "b", "bob"))
    mode(state, ModeChange(True, "b", "BOB!*@*"))
    bans = state.require_channel("#tea").lists["b"]
    assert [(entry.mask, entry.set_by, entry.set_at) for entry in bans] == [
        ("BOB!*@*", OP_MASK, 10.0)
    ]
    mode(state, ModeChange(False, "b", "bob!*@*"))
    assert bans == []


# Users


def test_nick_change_rekeys_the_user_and_keeps_memberships(
    state: ServerState,
) -> None:
    alice = register(state, "alice")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(NickChanged("alice", "alicia", OP_MASK, 8.0))
    assert alice.nick == "alicia"
    assert state.find_user("alice") is None
    assert state.find_user("alicia") is alice
    assert state.require_channel("#tea").members == {alice: "o"}
    assert list(state.whowas[casefold("alice")]) == [
        WhowasEntry("alice", "~alice", "127.0.0.1", "Alice", 8.0)
    ]


def test_quit_removes_the_user_everywhere_and_remembers_them(
    state: ServerState,
) -> None:
    register(state, "alice")
    bob = register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserJoined("bob", "#tea", 5.0))
    state.apply(UserJoined("alice", "#coffee", 5.0))
    state.apply(UserQuit("alice", OP_MASK, "bye", 9.0))
    assert state.find_user("alice") is None
    assert list(state.channels) == [casefold("#tea")]
    assert state.require_channel("#tea").members == {bob: ""}
    assert list(state.whowas[casefold("alice")]) == [
        WhowasEntry("alice", "~alice", "127.0.0.1", "Alice", 9.0)
    ]


def test_whowas_keeps_the_newest_entries_first(state: ServerState) -> None:
    for at in (1.0, 2.0, 3.0, 4.0):
        register(state, "bob")
        state.apply(UserQuit("bob", "bob!~bob@127.0.0.1", "bye", at))
    entries = state.whowas[casefold("bob")]
    assert [entry.at for entry in entries] == [4.0, 3.0, 2.0]


def test_user_modes_are_added_and_removed(state: ServerState) -> None:
    alice = register(state, "alice")
    state.apply(
        UserModeChanged(
            "alice", "alice", (ModeChange(True, "i"), ModeChange(True, "w"))
        )
    )
    assert alice.modes == {"i", "w"}
    state.apply(UserModeChanged("alice", "alice", (ModeChange(False, "w"),)))
    assert alice.modes == {"i"}


def test_dropping_oper_status_forgets_the_operator_name(state: ServerState) -> None:
    alice = register(state, "alice")
    alice.oper_name = "oper"
    state.apply(UserModeChanged("alice", "alice", (ModeChange(True, "o"),)))
    assert "o" in alice.modes
    state.apply(UserModeChanged("alice", "alice", (ModeChange(False, "o"),)))
    assert "o" not in alice.modes
    assert alice.oper_name is None


def test_away_is_set_and_cleared(state: ServerState) -> None:
    alice = register(state, "alice")
    state.apply(AwayChanged("alice", "lunch"))
    assert alice.away == "lunch"
    state.apply(AwayChanged("ALICE", None))
    assert alice.away is None


def test_realname_change(state: ServerState) -> None:
    alice = register(state, "alice")
    state.apply(RealnameChanged("alice", "Alice Liddell"))
    assert alice.realname == "Alice Liddell"


def test_messages_and_wallops_change_nothing(state: ServerState) -> None:
    alice = register(state, "alice")
    state.apply(UserJoined("alice", "#tea", 5.0))
    before = (dict(state.users), dict(state.channels), set(alice.modes))
    state.apply(MessageSent("alice", "PRIVMSG", "#tea", "hi", "m1", 6.0))
    state.apply(WallopsSent(OP_MASK, "hello"))
    assert (dict(state.users), dict(state.channels), set(alice.modes)) == before


def test_nick_change_leaves_no_invitation_under_the_old_nick(
    state: ServerState,
) -> None:
    register(state, "alice")
    register(state, "bob")
    state.apply(UserJoined("alice", "#tea", 5.0))
    state.apply(UserInvited("alice", "bob", "#tea"))
    state.apply(NickChanged("bob", "robert", "bob!~bob@127.0.0.1", 6.0))
    assert casefold("bob") not in state.require_channel("#tea").invited
