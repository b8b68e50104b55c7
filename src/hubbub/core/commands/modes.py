"""MODE for channels (flags, key, limit, lists, prefixes) and for users.

https://modern.ircdocs.horse/#mode-message
"""

from __future__ import annotations

from hubbub.core.channel import Channel, normalize_mask
from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError
from hubbub.core.events import ChannelModeChanged, UserModeChanged
from hubbub.core.services.chanserv import persist_channel
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import CHANTYPES, casefold
from hubbub.protocol.message import Message
from hubbub.protocol.modes import PREFIX_MODES, ModeChange, parse_mode_string

# Numerics for listing each list mode: (entry, end of list).
_LIST_REPLIES = {
    "b": (n.RPL_BANLIST, n.RPL_ENDOFBANLIST),
    "e": (n.RPL_EXCEPTLIST, n.RPL_ENDOFEXCEPTLIST),
    "I": (n.RPL_INVEXLIST, n.RPL_ENDOFINVEXLIST),
}
ERR_BANLISTFULL_CODE = "478"


def _reply_list(ctx: Context, channel: Channel, letter: str) -> None:
    entry_numeric, end_numeric = _LIST_REPLIES[letter]
    for entry in channel.lists[letter]:
        ctx.reply(
            entry_numeric,
            channel.name,
            entry.mask,
            entry.set_by,
            str(int(entry.set_at)),
        )
    ctx.reply(end_numeric, channel.name)


def _effective(ctx: Context, channel: Channel, change: ModeChange) -> ModeChange | None:
    """Validate one change; return it as applied, or None when it changes nothing.

    Raises:
        IrcError: ERR_NOSUCHNICK, ERR_USERNOTINCHANNEL, ERR_INVALIDMODEPARAM,
            ERR_INVALIDKEY or ERR_BANLISTFULL for a change that cannot be made.
    """
    letter, argument = change.letter, change.argument
    if letter in PREFIX_MODES:
        assert argument is not None
        target = ctx.state.require_user(argument)
        if not channel.has_member(target):
            raise IrcError(n.ERR_USERNOTINCHANNEL, target.nick, channel.name)
        has = letter in channel.members[target]
        return (
            ModeChange(change.adding, letter, target.nick)
            if has != change.adding
            else None
        )
    if letter in channel.lists:
        assert argument is not None
        mask = normalize_mask(argument)
        present = any(casefold(e.mask) == casefold(mask) for e in channel.lists[letter])
        if present == change.adding:
            return None
        if (
            change.adding
            and len(channel.lists[letter]) >= ctx.config.limits.list_entries
        ):
            raise IrcError(
                n.Numeric(ERR_BANLISTFULL_CODE, "Channel list is full"),
                channel.name,
                letter,
            )
        return ModeChange(change.adding, letter, mask)
    if letter == "k":
        if not change.adding:
            return ModeChange(False, "k", "*") if channel.password is not None else None
        if not argument or " " in argument or "," in argument or len(argument) > 32:
            raise IrcError(n.ERR_INVALIDKEY, channel.name)
        return change
    if letter == "l":
        if not change.adding:
            return change if channel.limit is not None else None
        if not argument or not argument.isdigit() or int(argument) <= 0:
            raise IrcError(
                n.ERR_INVALIDMODEPARAM,
                channel.name,
                "l",
                argument or "*",
                text="Invalid limit",
            )
        return ModeChange(True, "l", str(int(argument)))
    return change if (letter in channel.modes) != change.adding else None


async def _channel_mode(ctx: Context, msg: Message, channel: Channel) -> None:
    user = ctx.user
    if len(msg.params) == 1:
        ctx.reply(
            n.RPL_CHANNELMODEIS,
            channel.name,
            *channel.mode_string(with_secrets=channel.has_member(user)),
        )
        ctx.reply(n.RPL_CREATIONTIME, channel.name, str(int(channel.created_at)))
        return
    changes, unknown = parse_mode_string(
        msg.params[1], list(msg.params[2:]), channel=True
    )
    for letter in unknown:
        ctx.reply(
            n.ERR_UNKNOWNMODE,
            letter,
            text=f"is an unknown mode char to me for {channel.name}",
        )
    queries = [c for c in changes if c.letter in channel.lists and c.argument is None]
    for letter in dict.fromkeys(c.letter for c in queries):
        _reply_list(ctx, channel, letter)
    changes = [c for c in changes if c not in queries]
    if not changes:
        return
    if not channel.is_op(user) and not user.is_oper:
        raise IrcError(n.ERR_CHANOPRIVSNEEDED, channel.name)
    applied: list[ModeChange] = []
    for change in changes:
        try:
            effective = _effective(ctx, channel, change)
        except IrcError as error:
            ctx.reply(error.numeric, *error.params, text=error.text)
            continue
        if effective is not None and effective not in applied:
            applied.append(effective)
    if applied:
        ctx.apply(
            ChannelModeChanged(channel.name, user.mask, tuple(applied), ctx.now())
        )
        await persist_channel(ctx, channel)


_SETTABLE_USER_MODES = {"i", "w", "B"}


def _user_mode(ctx: Context, msg: Message) -> None:
    user = ctx.user
    target = ctx.state.find_user(msg.params[0])
    if target is None:
        raise IrcError(n.ERR_NOSUCHNICK, msg.params[0])
    if target is not user:
        raise IrcError(n.ERR_USERSDONTMATCH)
    if len(msg.params) == 1:
        ctx.reply(n.RPL_UMODEIS, "+" + "".join(sorted(user.modes)))
        return
    changes, unknown = parse_mode_string(msg.params[1], [], channel=False)
    if unknown:
        ctx.reply(n.ERR_UMODEUNKNOWNFLAG)
    applied = [
        change
        for change in dict.fromkeys(changes)
        if (
            change.letter in _SETTABLE_USER_MODES
            or (change.letter == "o" and not change.adding)
        )
        and (change.letter in user.modes) != change.adding
    ]
    if applied:
        ctx.apply(UserModeChanged(user.nick, user.nick, tuple(applied)))


@command("MODE", min_params=1)
async def handle_mode(ctx: Context, msg: Message) -> None:
    """Show or change channel modes or your own user modes."""
    target = msg.params[0]
    if target[:1] in CHANTYPES:
        await _channel_mode(ctx, msg, ctx.state.require_channel(target))
    else:
        _user_mode(ctx, msg)
