"""IRC operator commands: OPER, KILL.

https://modern.ircdocs.horse/#oper-message
"""

from __future__ import annotations

from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError
from hubbub.core.events import UserModeChanged
from hubbub.protocol import numerics as n
from hubbub.protocol.message import Message
from hubbub.protocol.modes import ModeChange


@command("OPER", min_params=2)
async def handle_oper(ctx: Context, msg: Message) -> None:
    """Become an IRC operator: OPER <name> <password>."""
    name, password = msg.params[0], msg.params[1]
    operator = next((op for op in ctx.config.operators if op.name == name), None)
    valid = operator is not None and await ctx.engine.verify_password(
        operator.password_hash, password
    )
    if not valid:
        raise IrcError(n.ERR_PASSWDMISMATCH)
    user = ctx.user
    if user.quitting:
        return
    user.oper_name = name
    ctx.reply(n.RPL_YOUREOPER)
    if not user.is_oper:
        ctx.apply(UserModeChanged(user.nick, user.nick, (ModeChange(True, "o"),)))


@command("KILL", min_params=2)
async def handle_kill(ctx: Context, msg: Message) -> None:
    """Operators: disconnect a user with a reason."""
    if not ctx.user.is_oper:
        raise IrcError(n.ERR_NOPRIVILEGES)
    target = ctx.state.require_user(msg.params[0])
    reason = f"Killed ({ctx.user.nick} ({msg.params[1]}))"
    ctx.engine.disconnect(target, reason)
