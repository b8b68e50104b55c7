"""Replies shared by several commands: welcome, LUSERS, MOTD, topic, NAMES."""

from __future__ import annotations

import time

from hubbub import __version__
from hubbub.core.channel import Channel
from hubbub.core.context import Context
from hubbub.protocol import numerics as n
from hubbub.protocol.modes import (
    CHANMODES_FLAGS,
    CHANMODES_LIST,
    PREFIX_MODES,
    USER_MODES,
)

VERSION = f"hubbub-{__version__}"


def reply_welcome(ctx: Context) -> None:
    """001-005, then LUSERS and the MOTD (Modern, "Connection Registration")."""
    user, config = ctx.user, ctx.config
    created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ctx.engine.created_at))
    ctx.reply(
        n.RPL_WELCOME,
        text=f"Welcome to the {config.network_name} IRC Network {user.mask}",
    )
    ctx.reply(
        n.RPL_YOURHOST,
        text=f"Your host is {ctx.server_name}, running version {VERSION}",
    )
    ctx.reply(n.RPL_CREATED, text=f"This server was created {created}")
    ctx.reply(
        n.RPL_MYINFO,
        ctx.server_name,
        VERSION,
        USER_MODES,
        CHANMODES_LIST + "klo" + CHANMODES_FLAGS + "v",
        CHANMODES_LIST + "kl" + PREFIX_MODES,
    )
    for tokens in ctx.engine.isupport:
        ctx.reply(n.RPL_ISUPPORT, *tokens)
    reply_lusers(ctx)
    reply_motd(ctx)


def reply_lusers(ctx: Context) -> None:
    """251-255, 265, 266."""
    state = ctx.state
    invisible, opers = state.invisible_count, state.oper_count
    total, most = state.registered_count, state.max_registered
    unknown = len(state.sessions) - total
    visible = total - invisible
    ctx.reply(
        n.RPL_LUSERCLIENT,
        text=f"There are {visible} users and {invisible} invisible on 1 servers",
    )
    ctx.reply(n.RPL_LUSEROP, str(opers))
    ctx.reply(n.RPL_LUSERUNKNOWN, str(max(unknown, 0)))
    ctx.reply(n.RPL_LUSERCHANNELS, str(len(state.channels)))
    ctx.reply(n.RPL_LUSERME, text=f"I have {total} clients and 0 servers")
    ctx.reply(
        n.RPL_LOCALUSERS,
        str(total),
        str(most),
        text=f"Current local users {total}, max {most}",
    )
    ctx.reply(
        n.RPL_GLOBALUSERS,
        str(total),
        str(most),
        text=f"Current global users {total}, max {most}",
    )


def reply_motd(ctx: Context) -> None:
    """375/372/376, or 422 when there is no MOTD."""
    lines = ctx.engine.motd
    if lines is None:
        ctx.reply(n.ERR_NOMOTD)
        return
    ctx.reply(n.RPL_MOTDSTART, text=f"- {ctx.server_name} Message of the day - ")
    for text in lines:
        ctx.reply(n.RPL_MOTD, text=f"- {text}")
    ctx.reply(n.RPL_ENDOFMOTD)


def reply_topic(ctx: Context, channel: Channel, *, always: bool) -> None:
    """332 and 333, or 331 when unset (only if `always`, as for TOPIC queries)."""
    if channel.topic:
        ctx.reply(n.RPL_TOPIC, channel.name, text=channel.topic)
        ctx.reply(
            n.RPL_TOPICWHOTIME,
            channel.name,
            channel.topic_by,
            str(int(channel.topic_at)),
        )
    elif always:
        ctx.reply(n.RPL_NOTOPIC, channel.name)


def reply_names(ctx: Context, channel: Channel, *, end: bool = True) -> None:
    """353 lines (split to fit 512 bytes), then 366 unless `end` is False."""
    user = ctx.user
    multi = user.has_cap("multi-prefix")
    full = user.has_cap("userhost-in-names")
    is_member = channel.has_member(user)
    symbol = "@" if "s" in channel.modes else ("*" if "p" in channel.modes else "=")
    names = [
        channel.prefix(member, multi=multi) + (member.mask if full else member.nick)
        for member in channel.members
        if is_member or "i" not in member.modes
    ]
    budget = 400 - len(ctx.server_name) - len(user.nick) - len(channel.name)
    chunk: list[str] = []
    size = 0
    for name in names:
        if chunk and size + len(name) + 1 > budget:
            ctx.reply(n.RPL_NAMREPLY, symbol, channel.name, text=" ".join(chunk))
            chunk, size = [], 0
        chunk.append(name)
        size += len(name) + 1
    if chunk:
        ctx.reply(n.RPL_NAMREPLY, symbol, channel.name, text=" ".join(chunk))
    if end:
        ctx.reply(n.RPL_ENDOFNAMES, channel.name)
