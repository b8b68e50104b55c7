"""Dispatch: command lookup, the checks common to all commands, errors to replies.

Handlers may be plain functions or coroutines. A plain one (the hot
commands: PRIVMSG, NOTICE, TAGMSG, PING, PONG) runs to the end inside
`dispatch` and returns None, or returns an awaitable for a part that has to
wait (an echo waiting for its group commit); an `async def` handler is an
awaitable from the start. Only what needs awaiting pays for a coroutine: in
the compiled build, driving one costs more than the rest of a private
message's handling (finishing it raises StopIteration).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from hubbub.core.commands import COMMANDS
from hubbub.core.commands.messaging import handle_message
from hubbub.core.context import Context
from hubbub.core.errors import IrcError, StandardReplyError, StoreUnavailableError
from hubbub.protocol import numerics as n
from hubbub.protocol.message import Message

logger = logging.getLogger(__name__)


def dispatch(ctx: Context, msg: Message) -> Awaitable[None] | None:
    """Run the handler for `msg`; the only place `IrcError` becomes a numeric,
    and where a store's failure that no handler answered becomes
    `FAIL <command> TEMPORARILY_UNAVAILABLE` (the connection stays).

    Returns None when the command is done, else what remains of it to await.
    """
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
        handler = command.handler
        try:
            if handler is handle_message:
                # The hot path (PRIVMSG, NOTICE, TAGMSG), called by name:
                # compiled, a direct call, where a handler from the table is
                # a generic one (a twenty-fifth of a private message).
                pending = handle_message(ctx, msg)
            else:
                pending = handler(ctx, msg)
        except (IrcError, StandardReplyError) as error:
            _answer(ctx, error)
            return None
        if pending is not None:
            return _finish(ctx, msg.command, pending)
    return None


async def _finish(ctx: Context, command: str, pending: Awaitable[None]) -> None:
    """Await the rest of a command, with the same errors-to-replies as above.
    (Only an awaited part reaches a store.)"""
    try:
        await pending
    except (IrcError, StandardReplyError) as error:
        _answer(ctx, error)
    except StoreUnavailableError as error:
        logger.warning(
            "! %s of session %d failed: %s", command, ctx.user.session_id, error
        )
        ctx.fail(
            command,
            "TEMPORARILY_UNAVAILABLE",
            text="The server's storage is not available; try again later",
        )


def _answer(ctx: Context, error: IrcError | StandardReplyError) -> None:
    if isinstance(error, IrcError):
        ctx.reply(error.numeric, *error.params, text=error.text)
    else:
        ctx.fail(error.command, error.code, *error.context, text=error.text)
