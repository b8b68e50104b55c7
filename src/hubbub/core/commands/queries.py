"""Questions about users: WHO (and WHOX), WHOIS, WHOWAS, ISON, USERHOST, MONITOR.

https://modern.ircdocs.horse/#user-based-queries
https://ircv3.net/specs/extensions/monitor
"""

from __future__ import annotations

from hubbub.core.channel import Channel, mask_matches
from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError
from hubbub.core.user import User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import CHANTYPES, casefold, is_valid_nick
from hubbub.protocol.message import Message

# WHOX fields in the order they are always sent (https://ircv3.net/specs/extensions/whox).
_WHOX_ORDER = "tcuihsnfdlaor"


def _shares_channel(a: User, b: User) -> bool:
    return any(key in b.channels for key in a.channels)


def _who_flags(ctx: Context, user: User, channel: Channel | None) -> str:
    flags = "G" if user.away is not None else "H"
    if user.is_oper:
        flags += "*"
    if channel is not None:
        flags += channel.prefix(user, multi=ctx.user.has_cap("multi-prefix"))
    if user.is_bot:
        flags += "B"
    return flags


def _who_reply(
    ctx: Context, user: User, channel: Channel | None, whox: tuple[str, str] | None
) -> None:
    channel_name = channel.name if channel is not None else "*"
    flags = _who_flags(ctx, user, channel)
    if whox is None:
        ctx.reply(
            n.RPL_WHOREPLY,
            channel_name,
            user.username,
            user.host,
            ctx.server_name,
            user.nick,
            flags,
            text=f"0 {user.realname}",
        )
        return
    fields, token = whox
    values = {
        "t": token or "0",
        "c": channel_name,
        "u": user.username,
        "i": user.ip,
        "h": user.host,
        "s": ctx.server_name,
        "n": user.nick,
        "f": flags,
        "d": "0",
        "l": str(int(max(0.0, ctx.now() - user.last_active))),
        "a": user.account or "0",
        "o": "n/a",
        "r": user.realname,
    }
    params = [values[letter] for letter in _WHOX_ORDER if letter in fields]
    if "r" in fields:
        ctx.reply(n.RPL_WHOSPCRPL, *params[:-1], text=params[-1])
    else:
        ctx.reply(n.RPL_WHOSPCRPL, *params)


def _parse_whox(argument: str) -> tuple[str, str] | None:
    if not argument.startswith("%"):
        return None
    fields, _, token = argument[1:].partition(",")
    return fields, token


@command("WHO", min_params=1)
async def handle_who(ctx: Context, msg: Message) -> None:
    """List users matching a channel, a nick or a mask (with WHOX fields)."""
    mask = msg.params[0]
    whox = _parse_whox(msg.param(1))
    me = ctx.user
    if mask[:1] in CHANTYPES:
        channel = ctx.state.find_channel(mask)
        if channel is not None and (
            not channel.is_secret or channel.has_member(me) or me.is_oper
        ):
            for member in list(channel.members):
                if "i" not in member.modes or channel.has_member(me) or me.is_oper:
                    _who_reply(ctx, member, channel, whox)
    else:
        exact = ctx.state.find_user(mask)
        if exact is not None and exact.registered:
            _who_reply(ctx, exact, None, whox)
        else:
            for user in ctx.state.registered_users():
                visible = (
                    "i" not in user.modes or user is me or _shares_channel(me, user)
                )
                if visible and (mask in ("*", "0") or mask_matches(mask, user.nick)):
                    _who_reply(ctx, user, None, whox)
    ctx.reply(n.RPL_ENDOFWHO, mask)


def _whois_channels(ctx: Context, user: User) -> str:
    me = ctx.user
    names = [
        channel.prefix(user, multi=me.has_cap("multi-prefix")) + channel.name
        for channel in user.channels.values()
        if not channel.is_secret or channel.has_member(me) or me.is_oper
    ]
    return " ".join(names)


def _whois(ctx: Context, user: User) -> None:
    ctx.reply(
        n.RPL_WHOISUSER, user.nick, user.username, user.host, "*", text=user.realname
    )
    channels = _whois_channels(ctx, user)
    if channels:
        ctx.reply(n.RPL_WHOISCHANNELS, user.nick, text=channels)
    ctx.reply(
        n.RPL_WHOISSERVER,
        user.nick,
        ctx.server_name,
        text=ctx.config.server_description,
    )
    if user.is_oper:
        ctx.reply(n.RPL_WHOISOPERATOR, user.nick)
    if user.account is not None:
        ctx.reply(n.RPL_WHOISACCOUNT, user.nick, user.account)
    if user.is_bot:
        ctx.reply(
            n.RPL_WHOISBOT, user.nick, text=f"is a bot on {ctx.config.network_name}"
        )
    if user.secure:
        ctx.reply(n.RPL_WHOISSECURE, user.nick)
    if user.certfp is not None and (user is ctx.user or ctx.user.is_oper):
        ctx.reply(
            n.RPL_WHOISCERTFP,
            user.nick,
            text=f"has client certificate fingerprint {user.certfp}",
        )
    if user is ctx.user or ctx.user.is_oper:
        ctx.reply(n.RPL_WHOISACTUALLY, user.nick, user.ip, text="actually using host")
    if user.away is not None:
        ctx.reply(n.RPL_AWAY, user.nick, text=user.away)
    idle = int(max(0.0, ctx.now() - user.last_active))
    ctx.reply(n.RPL_WHOISIDLE, user.nick, str(idle), str(int(user.connected_at)))


@command("WHOIS", min_params=1)
async def handle_whois(ctx: Context, msg: Message) -> None:
    """Everything public about a user (`WHOIS [server] nick`)."""
    nicks = msg.params[-1] if len(msg.params) > 1 else msg.params[0]
    for nick in nicks.split(",")[:1]:
        user = ctx.state.find_user(nick)
        if user is None or not user.registered:
            ctx.reply(n.ERR_NOSUCHNICK, nick)
        else:
            _whois(ctx, user)
        ctx.reply(n.RPL_ENDOFWHOIS, nick)


@command("WHOWAS", min_params=1)
async def handle_whowas(ctx: Context, msg: Message) -> None:
    """What is remembered about nicks that are gone."""
    count_text = msg.param(1, "0")
    try:
        count = int(count_text)
    except ValueError:
        count = 0
    for nick in msg.params[0].split(",")[:1]:
        entries = list(ctx.state.whowas.get(casefold(nick), ()))
        if count > 0:
            entries = entries[:count]
        if not entries:
            ctx.reply(n.ERR_WASNOSUCHNICK, nick)
        for entry in entries:
            ctx.reply(
                n.RPL_WHOWASUSER,
                entry.nick,
                entry.username,
                entry.host,
                "*",
                text=entry.realname,
            )
        ctx.reply(n.RPL_ENDOFWHOWAS, nick)


@command("ISON", min_params=1)
async def handle_ison(ctx: Context, msg: Message) -> None:
    """Which of these nicks are online."""
    online = []
    for word in " ".join(msg.params).split():
        user = ctx.state.find_user(word)
        if user is not None and user.registered:
            online.append(user.nick)
    ctx.reply(n.RPL_ISON, text=" ".join(online))


@command("USERHOST", min_params=1)
async def handle_userhost(ctx: Context, msg: Message) -> None:
    """`nick[*]=+user@host` for up to five nicks."""
    replies = []
    for nick in msg.params[:5]:
        user = ctx.state.find_user(nick)
        if user is None or not user.registered:
            continue
        oper = "*" if user.is_oper else ""
        away = "-" if user.away is not None else "+"
        replies.append(f"{user.nick}{oper}={away}{user.username}@{user.host}")
    ctx.reply(n.RPL_USERHOST, text=" ".join(replies))


# MONITOR


def _monitor_add(ctx: Context, targets: list[str]) -> None:
    me = ctx.user
    limit = ctx.config.limits.monitor_entries
    online: list[str] = []
    offline: list[str] = []
    for index, nick in enumerate(targets):
        if not is_valid_nick(nick, ctx.config.limits.nick_length):
            continue
        if len(me.monitoring) >= limit and casefold(nick) not in me.monitoring:
            ctx.reply(n.ERR_MONLISTFULL, str(limit), ",".join(targets[index:]))
            break
        ctx.state.watch(me, casefold(nick))
        user = ctx.state.find_user(nick)
        if user is not None and user.registered:
            online.append(user.mask)
        else:
            offline.append(nick)
    if online:
        ctx.reply(n.RPL_MONONLINE, text=",".join(online))
    if offline:
        ctx.reply(n.RPL_MONOFFLINE, text=",".join(offline))


def _monitor_status(ctx: Context) -> None:
    online: list[str] = []
    offline: list[str] = []
    for key in sorted(ctx.user.monitoring):
        user = ctx.state.users.get(key)
        if user is not None and user.registered:
            online.append(user.mask)
        else:
            offline.append(key)
    if online:
        ctx.reply(n.RPL_MONONLINE, text=",".join(online))
    if offline:
        ctx.reply(n.RPL_MONOFFLINE, text=",".join(offline))


@command("MONITOR", min_params=1)
async def handle_monitor(ctx: Context, msg: Message) -> None:
    """Watch nicks come online and go offline (MONITOR + - C L S)."""
    action = msg.params[0]
    targets = [t for t in msg.param(1).split(",") if t]
    if action == "+":
        _monitor_add(ctx, targets)
    elif action == "-":
        for nick in targets:
            ctx.state.unwatch(ctx.user, casefold(nick))
    elif action.upper() == "C":
        for key in list(ctx.user.monitoring):
            ctx.state.unwatch(ctx.user, key)
    elif action.upper() == "L":
        if ctx.user.monitoring:
            ctx.reply(n.RPL_MONLIST, text=",".join(sorted(ctx.user.monitoring)))
        ctx.reply(n.RPL_ENDOFMONLIST)
    elif action.upper() == "S":
        _monitor_status(ctx)
    else:
        raise IrcError(
            n.ERR_UNKNOWNCOMMAND, "MONITOR", text="Unknown MONITOR subcommand"
        )
