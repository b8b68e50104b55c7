"""ChanServ: REGISTER, DROP, OP, DEOP, INFO, SET HISTORY, HELP.

A registered channel keeps its topic, modes and operators across restarts and
across emptying: its registration lives in the account store and on the
`Channel` (`Channel.registration`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from hubbub.core.accounts import current_account
from hubbub.core.channel import Channel
from hubbub.core.context import Context
from hubbub.core.errors import StoreUnavailableError
from hubbub.core.events import ChannelModeChanged, ChannelRegistered
from hubbub.core.ports import RegisteredChannel
from hubbub.core.services.names import service_mask
from hubbub.core.services.reply import notice, run_command
from hubbub.core.user import User
from hubbub.protocol.casemap import casefold
from hubbub.protocol.modes import ModeChange

logger = logging.getLogger(__name__)

NAME = "ChanServ"

HELP = [
    "ChanServ keeps channels. Commands:",
    "REGISTER <#channel>            register a channel you operate",
    "DROP <#channel>                unregister it (founder only)",
    "OP <#channel> [nick]           op someone now and on every join",
    "DEOP <#channel> [nick]         take that away",
    "SET <#channel> HISTORY PUBLIC|MEMBERS   who may read its history",
    "INFO <#channel>                about a registration",
]


def mask(ctx: Context) -> str:
    """ChanServ's source mask."""
    return service_mask(NAME, ctx.server_name)


def _say(ctx: Context, text: str) -> None:
    notice(ctx, NAME, text)


async def handle(ctx: Context, words: list[str]) -> None:
    """Run one ChanServ command."""
    await run_command(ctx, NAME, _COMMANDS, words)


def snapshot(channel: Channel, registration: RegisteredChannel) -> RegisteredChannel:
    """The registration updated with the channel's current topic and modes."""
    return replace(
        registration,
        topic=channel.topic,
        topic_by=channel.topic_by,
        topic_at=channel.topic_at,
        modes="".join(sorted(channel.modes)),
        key=channel.password,
        limit=channel.limit,
    )


async def persist_channel(ctx: Context, channel: Channel) -> None:
    """Save a registered channel's topic and modes after they change."""
    if channel.registration is not None:
        updated = snapshot(channel, channel.registration)
        channel.registration = updated
        try:
            await ctx.engine.accounts.save_channel(updated)
        except StoreUnavailableError as error:
            # The change is made, live; only its registration lags behind
            # (the channel's next change saves both).
            logger.warning("! registration of %s not saved: %s", channel.name, error)
            _say(
                ctx,
                f"The change is made, but {channel.name}'s registration"
                " could not be saved",
            )


def may_manage(user: User, registration: RegisteredChannel) -> bool:
    """Is `user` logged in as the founder or one of the channel's operators?"""
    if user.account is None:
        return False
    account = casefold(user.account)
    return account == casefold(registration.founder) or account in {
        casefold(name) for name in registration.ops
    }


async def confirm_account_before_join(ctx: Context, name: str) -> bool:
    """Before the caller joins channel `name`: if they would be given op
    there as its founder or a registered operator, read their account from
    the store first (nobody else waits for it). A session still logged in
    to an account deleted since, perhaps created again under its name by
    someone else, is logged out (`current_account`), so `op_on_join` gives
    it nothing; the join itself then goes on without a wait in between.

    Returns False when the account could not be read (the store failed):
    then the caller joins without op, and is told why.
    """
    channel = ctx.state.find_channel(name)
    if channel is None or channel.registration is None:
        return True
    user = ctx.user
    if not channel.has_member(user) and may_manage(user, channel.registration):
        try:
            await current_account(ctx)
        except StoreUnavailableError as error:
            logger.warning(
                "! could not confirm session %d's account for op in %s: %s",
                user.session_id,
                channel.name,
                error,
            )
            _say(ctx, f"Your account could not be checked; not opped in {name}")
            return False
    return True


def op_on_join(ctx: Context, channel: Channel, user: User) -> None:
    """Give +o to a founder or registered operator who joins (their account
    confirmed first: `confirm_account_before_join`)."""
    registration = channel.registration
    if (
        registration is not None
        and may_manage(user, registration)
        and not channel.is_op(user)
    ):
        change = ModeChange(True, "o", user.nick)
        ctx.apply(ChannelModeChanged(channel.name, mask(ctx), (change,), ctx.now()))


def _channel_for(ctx: Context, args: list[str], usage: str) -> Channel | None:
    if not args:
        _say(ctx, f"Syntax: {usage}")
        return None
    channel = ctx.state.find_channel(args[0])
    if channel is None:
        _say(ctx, f"{args[0]} does not exist")
    return channel


async def _deleted_under_them(ctx: Context) -> bool:
    """Is the caller logged in to an account deleted since (and perhaps
    created again by someone else)? `current_account` then logs them out:
    an account's rights here go by its name."""
    return ctx.user.account is not None and await current_account(ctx) is None


async def _register(ctx: Context, args: list[str]) -> None:
    channel = _channel_for(ctx, args, "REGISTER <#channel>")
    if channel is None or await _deleted_under_them(ctx):
        return
    user = ctx.user
    if user.account is None:
        _say(ctx, "Log in to an account first")
        return
    if not channel.is_op(user):
        _say(ctx, f"You must be a channel operator of {channel.name}")
        return
    if channel.registration is not None:
        _say(ctx, f"{channel.name} is already registered")
        return
    registration = snapshot(
        channel, RegisteredChannel(channel.name, user.account, ctx.now())
    )
    await ctx.engine.accounts.save_channel(registration)
    ctx.apply(ChannelRegistered(channel.name, registration))
    _say(ctx, f"{channel.name} is now registered to {user.account}")


async def _drop(ctx: Context, args: list[str]) -> None:
    channel = _channel_for(ctx, args, "DROP <#channel>")
    if channel is None or await _deleted_under_them(ctx):
        return
    registration = channel.registration
    account = ctx.user.account
    if registration is None:
        _say(ctx, f"{channel.name} is not registered")
        return
    if account is None or casefold(account) != casefold(registration.founder):
        _say(ctx, "Only the founder can drop a channel")
        return
    await ctx.engine.accounts.delete_channel(channel.name)
    ctx.apply(ChannelRegistered(channel.name, None))
    _say(ctx, f"{channel.name} is no longer registered")


async def _op(ctx: Context, args: list[str], adding: bool = True) -> None:
    channel = _channel_for(
        ctx, args, ("OP" if adding else "DEOP") + " <#channel> [nick]"
    )
    if channel is None or await _deleted_under_them(ctx):
        return
    registration = channel.registration
    if registration is None or not may_manage(ctx.user, registration):
        _say(ctx, f"You may not manage {channel.name}")
        return
    target = ctx.state.find_user(args[1]) if len(args) > 1 else ctx.user
    if target is None or not channel.has_member(target):
        _say(
            ctx,
            f"{args[1] if len(args) > 1 else ctx.user.nick} is not on {channel.name}",
        )
        return
    if target.account is not None and casefold(target.account) != casefold(
        registration.founder
    ):
        ops = {casefold(name): name for name in registration.ops}
        if adding:
            ops[casefold(target.account)] = target.account
        else:
            ops.pop(casefold(target.account), None)
        updated = replace(registration, ops=tuple(sorted(ops.values())))
        await ctx.engine.accounts.save_channel(updated)
        ctx.apply(ChannelRegistered(channel.name, updated))
    if channel.is_op(target) != adding:
        change = ModeChange(adding, "o", target.nick)
        ctx.apply(ChannelModeChanged(channel.name, mask(ctx), (change,), ctx.now()))
    state = "now" if adding else "no longer"
    _say(ctx, f"{target.nick} is {state} an operator of {channel.name}")


async def _deop(ctx: Context, args: list[str]) -> None:
    await _op(ctx, args, adding=False)


async def _set(ctx: Context, args: list[str]) -> None:
    channel = _channel_for(ctx, args, "SET <#channel> HISTORY PUBLIC|MEMBERS")
    if channel is None or await _deleted_under_them(ctx):
        return
    registration = channel.registration
    if (
        len(args) != 3
        or args[1].upper() != "HISTORY"
        or args[2].upper()
        not in (
            "PUBLIC",
            "MEMBERS",
        )
    ):
        _say(ctx, "Syntax: SET <#channel> HISTORY PUBLIC|MEMBERS")
        return
    if registration is None or not may_manage(ctx.user, registration):
        _say(ctx, f"You may not manage {channel.name}")
        return
    updated = replace(registration, public_history=args[2].upper() == "PUBLIC")
    await ctx.engine.accounts.save_channel(updated)
    ctx.apply(ChannelRegistered(channel.name, updated))
    _say(ctx, f"History of {channel.name} is readable by {args[2].lower()}")


async def _info(ctx: Context, args: list[str]) -> None:
    channel = _channel_for(ctx, args, "INFO <#channel>")
    if channel is None:
        return
    registration = channel.registration
    if registration is None:
        _say(ctx, f"{channel.name} is not registered")
        return
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(registration.registered_at))
    ops = ", ".join(registration.ops) or "none"
    _say(ctx, f"{channel.name}: founder {registration.founder}, registered {when}")
    readers = "public" if registration.public_history else "members"
    _say(ctx, f"Operators: {ops}; history: {readers}")


async def _help(ctx: Context, args: list[str]) -> None:
    for text in HELP:
        _say(ctx, text)


_COMMANDS = {
    "REGISTER": _register,
    "DROP": _drop,
    "OP": _op,
    "DEOP": _deop,
    "SET": _set,
    "INFO": _info,
    "HELP": _help,
}
