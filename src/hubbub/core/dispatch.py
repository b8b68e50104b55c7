"""Dispatch: command lookup, the checks common to all commands, errors to replies."""

from __future__ import annotations

from hubbub.core.commands import COMMANDS
from hubbub.core.context import Context
from hubbub.core.errors import IrcError, StandardReplyError
from hubbub.protocol import numerics as n
from hubbub.protocol.message import Message


async def dispatch(ctx: Context, msg: Message) -> None:
    """Run the handler for `msg`; the only place `IrcError` becomes a numeric."""
    command = COMMANDS.get(msg.command)
    if command is None:
        if ctx.user.registered:
            ctx.reply(n.ERR_UNKNOWNCOMMAND, msg.command)
        else:
            ctx.reply(n.ERR_NOTREGISTERED)
    elif not ctx.user.registered and not command.before_registration:
        ctx.reply(n.ERR_NOTREGISTERED)
    elif len(msg.params) < command.min_params:
        ctx.reply(n.ERR_NEEDMOREPARAMS, msg.command)
    else:
        try:
            await command.handler(ctx, msg)
        except IrcError as error:
            ctx.reply(error.numeric, *error.params, text=error.text)
        except StandardReplyError as error:
            ctx.fail(error.command, error.code, *error.context, text=error.text)
