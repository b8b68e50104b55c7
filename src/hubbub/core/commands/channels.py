"""Channel membership and information: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK.

https://modern.ircdocs.horse/#channel-operations
"""

from __future__ import annotations

from hubbub.core.channel import Channel, mask_matches
from hubbub.core.commands.history import replay_on_join
from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError
from hubbub.core.events import (
    TopicChanged,
    UserInvited,
    UserJoined,
    UserKicked,
    UserParted,
)
from hubbub.core.replies import reply_names, reply_topic
from hubbub.core.services.chanserv import (
    confirm_account_before_join,
    op_on_join,
    persist_channel,
)
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold, is_valid_channel
from hubbub.protocol.message import Message


async def _join_one(ctx: Context, name: str, key: str | None) -> None:
    user = ctx.user
    if not is_valid_channel(name, ctx.config.limits.channel_length):
        raise IrcError(n.ERR_NOSUCHCHANNEL, name)
    confirmed = await confirm_account_before_join(ctx, name)
    if user.quitting:  # gone while ChanServ looked their account up
        return
    channel = ctx.state.find_channel(name)
    if channel is not None and channel.has_member(user):
        return
    if len(user.channels) >= ctx.config.limits.channels_per_client:
        raise IrcError(n.ERR_TOOMANYCHANNELS, name)
    if channel is not None:
        channel.check_can_join(user, key)
    recorded = ctx.apply(UserJoined(user.nick, name, ctx.now()))
    joined = ctx.state.channels[casefold(name)]
    if confirmed:
        op_on_join(ctx, joined, user)
    reply_topic(ctx, joined, always=False)
    reply_names(ctx, joined)
    if recorded:
        await replay_on_join(ctx, joined, recorded[0].msgid, recorded[0].at)


@command("JOIN", min_params=1)
async def handle_join(ctx: Context, msg: Message) -> None:
    """Join channels (`JOIN #a,#b key`); `JOIN 0` leaves them all."""
    if msg.params[0] == "0":
        for channel in list(ctx.user.channels.values()):
            ctx.apply(UserParted(ctx.user.nick, channel.name, ctx.user.nick))
        return
    names = msg.params[0].split(",")
    keys = msg.param(1).split(",") if len(msg.params) > 1 else []
    for index, name in enumerate(names):
        if not name:
            continue
        key = keys[index] if index < len(keys) and keys[index] else None
        try:
            await _join_one(ctx, name, key)
        except IrcError as error:
            ctx.reply(error.numeric, *error.params, text=error.text)


@command("PART", min_params=1)
async def handle_part(ctx: Context, msg: Message) -> None:
    """Leave channels, with an optional reason."""
    reason = msg.params[1] if len(msg.params) > 1 else None
    for name in msg.params[0].split(","):
        try:
            channel = ctx.state.require_channel(name)
            channel.check_member(ctx.user)
        except IrcError as error:
            ctx.reply(error.numeric, *error.params, text=error.text)
            continue
        ctx.apply(UserParted(ctx.user.nick, channel.name, reason))


@command("TOPIC", min_params=1)
async def handle_topic(ctx: Context, msg: Message) -> None:
    """Show or set a channel topic."""
    channel = ctx.state.require_channel(msg.params[0])
    if len(msg.params) == 1:
        if channel.is_secret and not channel.has_member(ctx.user):
            raise IrcError(n.ERR_NOTONCHANNEL, channel.name)
        reply_topic(ctx, channel, always=True)
        return
    channel.check_can_set_topic(ctx.user)
    topic = msg.params[1][: ctx.config.limits.topic_length]
    ctx.apply(TopicChanged(channel.name, topic, ctx.user.mask, ctx.now()))
    await persist_channel(ctx, channel)


def _visible(ctx: Context, channel: Channel) -> bool:
    return not channel.is_secret or channel.has_member(ctx.user) or ctx.user.is_oper


@command("NAMES")
async def handle_names(ctx: Context, msg: Message) -> None:
    """List the members of channels."""
    if not msg.params:
        for channel in list(ctx.state.channels.values()):
            if _visible(ctx, channel):
                reply_names(ctx, channel)
        return
    # Several channels end with one 366 naming the whole list (TARGMAX NAMES).
    names = msg.params[0].split(",")
    single = len(names) == 1
    for name in names:
        found = ctx.state.find_channel(name)
        if found is not None and _visible(ctx, found):
            reply_names(ctx, found, end=single)
        elif single:
            ctx.reply(n.RPL_ENDOFNAMES, name)
    if not single:
        ctx.reply(n.RPL_ENDOFNAMES, msg.params[0])


def _compare(op: str, value: float, limit: float) -> bool:
    return value > limit if op == ">" else value < limit


def _list_filter(ctx: Context, patterns: list[str], channel: Channel) -> bool:
    """ELIST=CMNTU: `>n`/`<n` members, `C>n`/`T<n` minutes ago, masks and `!masks`."""
    positive: list[str] = []
    for pattern in patterns:
        kind, op, number = pattern[:1], pattern[1:2], pattern[2:]
        if kind in "<>" and pattern[1:].isdigit():
            if not _compare(kind, len(channel.members), int(pattern[1:])):
                return False
        elif kind in "CT" and op in "<>" and number.isdigit():
            stamp = channel.created_at if kind == "C" else channel.topic_at
            minutes_ago = (ctx.now() - stamp) / 60
            if (kind == "T" and not channel.topic) or not _compare(
                op, minutes_ago, int(number)
            ):
                return False
        elif kind == "!":
            if mask_matches(pattern[1:], channel.name):
                return False
        else:
            positive.append(pattern)
    return not positive or any(mask_matches(p, channel.name) for p in positive)


@command("LIST")
async def handle_list(ctx: Context, msg: Message) -> None:
    """List channels, filtered by masks, member counts or ages (ELIST=CMNTU)."""
    patterns = [p for p in msg.param(0).split(",") if p]
    ctx.reply(n.RPL_LISTSTART, "Channel", text="Users  Name")
    for channel in list(ctx.state.channels.values()):
        if _visible(ctx, channel) and _list_filter(ctx, patterns, channel):
            ctx.reply(
                n.RPL_LIST, channel.name, str(len(channel.members)), text=channel.topic
            )
    ctx.reply(n.RPL_LISTEND)


@command("INVITE")
async def handle_invite(ctx: Context, msg: Message) -> None:
    """Invite a user to a channel; with no parameters, list your invitations."""
    user = ctx.user
    if not msg.params:
        for invited_to in ctx.state.channels.values():
            if user.key in invited_to.invited:
                ctx.reply(n.RPL_INVITELIST, invited_to.name)
        ctx.reply(n.RPL_ENDOFINVITELIST)
        return
    if len(msg.params) < 2:
        raise IrcError(n.ERR_NEEDMOREPARAMS, "INVITE")
    nick, name = msg.params[0], msg.params[1]
    target = ctx.state.require_user(nick)
    channel = ctx.state.find_channel(name)
    if channel is not None:
        channel.check_member(user)
        if "i" in channel.modes and not channel.is_op(user):
            raise IrcError(n.ERR_CHANOPRIVSNEEDED, channel.name)
        if channel.has_member(target):
            raise IrcError(n.ERR_USERONCHANNEL, target.nick, channel.name)
        name = channel.name
    ctx.reply(n.RPL_INVITING, target.nick, name)
    if target.away is not None:
        ctx.reply(n.RPL_AWAY, target.nick, text=target.away)
    ctx.apply(UserInvited(user.nick, target.nick, name))


@command("KICK", min_params=2)
async def handle_kick(ctx: Context, msg: Message) -> None:
    """Remove users from channels: KICK #chan nick[,nick] or #a,#b nick1,nick2."""
    channel_names = msg.params[0].split(",")
    nicks = msg.params[1].split(",")
    reason = (msg.param(2) or ctx.user.nick)[: ctx.config.limits.kick_length]
    if len(channel_names) == 1:
        pairs = [(channel_names[0], nick) for nick in nicks]
    elif len(channel_names) == len(nicks):
        pairs = list(zip(channel_names, nicks, strict=True))
    else:
        raise IrcError(n.ERR_NEEDMOREPARAMS, "KICK")
    for channel_name, nick in pairs:
        try:
            _kick_one(ctx, channel_name, nick, reason)
        except IrcError as error:
            ctx.reply(error.numeric, *error.params, text=error.text)


def _kick_one(ctx: Context, channel_name: str, nick: str, reason: str) -> None:
    channel = ctx.state.require_channel(channel_name)
    channel.check_op(ctx.user)
    target = ctx.state.find_user(nick)
    if target is None or not channel.has_member(target):
        raise IrcError(n.ERR_USERNOTINCHANNEL, nick, channel.name)
    ctx.apply(UserKicked(ctx.user.mask, channel.name, target.nick, reason))
