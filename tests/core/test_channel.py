"""`Channel`: mask matching, membership, lists and the permission checks."""

from __future__ import annotations

import pytest

from hubbub.core.channel import (
    Channel,
    ListEntry,
    mask_matches,
    normalize_mask,
    sort_prefix_modes,
)
from hubbub.core.errors import IrcError
from hubbub.core.outbox import Outbox
from hubbub.core.user import SessionId, User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold
from tests.fakes import FakeWriter

_session_ids = iter(range(1, 1_000_000))


def make_user(nick: str, host: str = "127.0.0.1") -> User:
    """A registered user that belongs to no state."""
    outbox = Outbox(FakeWriter(), 1 << 20, lambda _outbox: None)
    user = User(SessionId(next(_session_ids)), outbox, host, host, 0.0)
    user.nick, user.username, user.registered = nick, "~" + nick, True
    return user


def make_channel(*members: tuple[User, str]) -> Channel:
    """A channel called #tea with `members` and their prefix modes."""
    channel = Channel("#tea", casefold("#tea"), created_at=0.0)
    for user, modes in members:
        channel.members[user] = modes
        user.channels[channel.key] = channel
    return channel


def add_entry(channel: Channel, letter: str, mask: str) -> None:
    """Put `mask` on list `letter`."""
    channel.lists[letter].append(ListEntry(mask, "alice!~alice@127.0.0.1", 0.0))


def raised(error: pytest.ExceptionInfo[IrcError]) -> tuple[str, tuple[str, ...]]:
    """The numeric code and parameters of a raised `IrcError`."""
    return error.value.numeric.code, error.value.params


# mask_matches and normalize_mask


@pytest.mark.parametrize(
    ("mask", "target"),
    [
        ("alice!~alice@127.0.0.1", "alice!~alice@127.0.0.1"),
        ("*!*@*", "alice!~alice@127.0.0.1"),
        ("*", "anything at all"),
        ("alice!*@*", "alice!~alice@127.0.0.1"),
        ("*!*@127.0.0.*", "bob!~bob@127.0.0.1"),
        ("a?ice!*@*", "alice!~alice@127.0.0.1"),
        ("ALICE!*@*", "alice!~alice@127.0.0.1"),
        ("alice!*@*", "ALICE!~alice@127.0.0.1"),
        ("nick[m]!*@*", "NICK{M}!~u@h"),
        ("nick\\!*@*", "nick|!~u@h"),
        ("nick~!*@*", "nick^!~u@h"),
        ("a*b", "ab"),
        ("a**b", "axxb"),
    ],
)
def test_mask_matches(mask: str, target: str) -> None:
    assert mask_matches(mask, target)


@pytest.mark.parametrize(
    ("mask", "target"),
    [
        ("alice!*@*", "alicia!~alicia@127.0.0.1"),
        ("alice", "alice!~alice@127.0.0.1"),
        ("*!*@127.0.0.1", "bob!~bob@127.0.0.10"),
        ("a.ice!*@*", "alice!~alice@h"),
        ("a?ice!*@*", "aice!~aice@h"),
        ("a+!*@*", "aa!~a@h"),
        ("(a)!*@*", "a!~a@h"),
        ("[ab]!*@*", "a!~a@h"),
    ],
)
def test_mask_does_not_match(mask: str, target: str) -> None:
    assert not mask_matches(mask, target)


@pytest.mark.parametrize(
    ("mask", "normalized"),
    [
        ("bob", "bob!*@*"),
        ("bob*", "bob*!*@*"),
        ("~bob@127.0.0.1", "*!~bob@127.0.0.1"),
        ("bob!~bob", "bob!~bob@*"),
        ("bob!~bob@127.0.0.1", "bob!~bob@127.0.0.1"),
        ("*!*@*", "*!*@*"),
    ],
)
def test_normalize_mask_completes_partial_masks(mask: str, normalized: str) -> None:
    assert normalize_mask(mask) == normalized


def test_sort_prefix_modes_puts_the_highest_first() -> None:
    assert sort_prefix_modes("vo") == "ov"
    assert sort_prefix_modes("v") == "v"
    assert sort_prefix_modes("") == ""


# Membership


def test_new_channel_has_n_and_t() -> None:
    assert make_channel().modes == {"n", "t"}


def test_membership_and_status_queries() -> None:
    op, voiced, plain, outsider = (
        make_user("op"),
        make_user("voiced"),
        make_user("plain"),
        make_user("outsider"),
    )
    channel = make_channel((op, "o"), (voiced, "v"), (plain, ""))
    assert channel.has_member(plain)
    assert not channel.has_member(outsider)
    assert channel.is_op(op)
    assert not channel.is_op(voiced)
    assert channel.is_voiced(op)
    assert channel.is_voiced(voiced)
    assert not channel.is_voiced(plain)
    assert not channel.is_voiced(outsider)


def test_prefix_shows_every_symbol_with_multi_prefix_or_the_highest() -> None:
    both, voiced, plain = make_user("both"), make_user("voiced"), make_user("plain")
    channel = make_channel((both, "ov"), (voiced, "v"), (plain, ""))
    assert channel.prefix(both, multi=True) == "@+"
    assert channel.prefix(both, multi=False) == "@"
    assert channel.prefix(voiced, multi=False) == "+"
    assert channel.prefix(plain, multi=True) == ""


def test_secret_and_private_channels_are_secret() -> None:
    public, private, secret = make_channel(), make_channel(), make_channel()
    private.modes.add("p")
    secret.modes.add("s")
    assert not public.is_secret
    assert private.is_secret
    assert secret.is_secret


def test_mode_string_hides_the_key_unless_asked() -> None:
    channel = make_channel()
    channel.password, channel.limit = "green", 5
    assert channel.mode_string(with_secrets=True) == ["+ntkl", "green", "5"]
    assert channel.mode_string(with_secrets=False) == ["+ntkl", "*", "5"]


# Lists


def test_ban_matches_the_users_mask_ignoring_case() -> None:
    bob = make_user("Bob")
    channel = make_channel()
    add_entry(channel, "b", "bob!*@*")
    assert channel.is_listed("b", bob)
    assert channel.is_banned(bob)


def test_ban_exception_cancels_a_ban() -> None:
    bob, carol = make_user("bob"), make_user("carol")
    channel = make_channel()
    add_entry(channel, "b", "*!*@*")
    add_entry(channel, "e", "bob!*@*")
    assert not channel.is_banned(bob)
    assert channel.is_banned(carol)


# Permission checks


def test_check_member_raises_err_notonchannel() -> None:
    channel = make_channel()
    with pytest.raises(IrcError) as error:
        channel.check_member(make_user("bob"))
    assert raised(error) == (n.ERR_NOTONCHANNEL.code, ("#tea",))


def test_check_op_raises_err_chanoprivsneeded_for_members() -> None:
    bob = make_user("bob")
    channel = make_channel((bob, "v"))
    with pytest.raises(IrcError) as error:
        channel.check_op(bob)
    assert raised(error) == (n.ERR_CHANOPRIVSNEEDED.code, ("#tea",))


def test_check_op_raises_err_notonchannel_for_non_members() -> None:
    with pytest.raises(IrcError) as error:
        make_channel().check_op(make_user("bob"))
    assert raised(error) == (n.ERR_NOTONCHANNEL.code, ("#tea",))


def test_check_op_passes_for_ops() -> None:
    alice = make_user("alice")
    make_channel((alice, "o")).check_op(alice)


def test_check_can_join_an_open_channel_passes() -> None:
    make_channel().check_can_join(make_user("bob"), None)


def test_check_can_join_with_wrong_key_raises_err_badchannelkey() -> None:
    channel = make_channel()
    channel.password = "green"
    with pytest.raises(IrcError) as error:
        channel.check_can_join(make_user("bob"), "black")
    assert raised(error) == (n.ERR_BADCHANNELKEY.code, ("#tea",))
    channel.check_can_join(make_user("carol"), "green")


def test_check_can_join_a_full_channel_raises_err_channelisfull() -> None:
    channel = make_channel((make_user("alice"), "o"))
    channel.limit = 1
    with pytest.raises(IrcError) as error:
        channel.check_can_join(make_user("bob"), None)
    assert raised(error) == (n.ERR_CHANNELISFULL.code, ("#tea",))


def test_check_can_join_invite_only_raises_err_inviteonlychan() -> None:
    channel = make_channel()
    channel.modes.add("i")
    with pytest.raises(IrcError) as error:
        channel.check_can_join(make_user("bob"), None)
    assert raised(error) == (n.ERR_INVITEONLYCHAN.code, ("#tea",))


def test_check_can_join_invite_only_passes_when_invited_or_excepted() -> None:
    channel = make_channel()
    channel.modes.add("i")
    channel.invited.add(casefold("Bob"))
    add_entry(channel, "I", "carol!*@*")
    channel.check_can_join(make_user("bob"), None)
    channel.check_can_join(make_user("carol"), None)


def test_check_can_join_banned_raises_err_bannedfromchan() -> None:
    channel = make_channel()
    add_entry(channel, "b", "bob!*@*")
    with pytest.raises(IrcError) as error:
        channel.check_can_join(make_user("bob"), None)
    assert raised(error) == (n.ERR_BANNEDFROMCHAN.code, ("#tea",))


def test_check_can_join_banned_but_invited_passes() -> None:
    channel = make_channel()
    add_entry(channel, "b", "bob!*@*")
    channel.invited.add(casefold("bob"))
    channel.check_can_join(make_user("bob"), None)


def test_check_can_speak_as_member_of_plain_channel_passes() -> None:
    bob = make_user("bob")
    make_channel((bob, "")).check_can_speak(bob)


def test_check_can_speak_as_non_member_of_n_channel_raises() -> None:
    with pytest.raises(IrcError) as error:
        make_channel().check_can_speak(make_user("bob"))
    assert raised(error) == (n.ERR_CANNOTSENDTOCHAN.code, ("#tea",))
    assert error.value.text == "Cannot send to channel (+n)"


def test_check_can_speak_in_moderated_channel_needs_voice() -> None:
    plain, voiced, op = make_user("plain"), make_user("voiced"), make_user("op")
    channel = make_channel((plain, ""), (voiced, "v"), (op, "o"))
    channel.modes.add("m")
    with pytest.raises(IrcError) as error:
        channel.check_can_speak(plain)
    assert error.value.text == "Cannot send to channel (+m)"
    channel.check_can_speak(voiced)
    channel.check_can_speak(op)


def test_check_can_speak_when_banned_raises_unless_voiced() -> None:
    plain, voiced = make_user("plain"), make_user("voiced")
    channel = make_channel((plain, ""), (voiced, "v"))
    add_entry(channel, "b", "*!*@*")
    with pytest.raises(IrcError) as error:
        channel.check_can_speak(plain)
    assert error.value.text == "Cannot send to channel (+b)"
    channel.check_can_speak(voiced)


def test_check_can_set_topic_on_t_channel_needs_op() -> None:
    plain, op = make_user("plain"), make_user("op")
    channel = make_channel((plain, ""), (op, "o"))
    with pytest.raises(IrcError) as error:
        channel.check_can_set_topic(plain)
    assert raised(error) == (n.ERR_CHANOPRIVSNEEDED.code, ("#tea",))
    channel.check_can_set_topic(op)
    channel.modes.discard("t")
    channel.check_can_set_topic(plain)


def test_check_can_set_topic_as_non_member_raises_err_notonchannel() -> None:
    channel = make_channel()
    channel.modes.discard("t")
    with pytest.raises(IrcError) as error:
        channel.check_can_set_topic(make_user("bob"))
    assert raised(error) == (n.ERR_NOTONCHANNEL.code, ("#tea",))
