"""Messages between users: PRIVMSG, NOTICE, TAGMSG and WALLOPS.

https://modern.ircdocs.horse/#privmsg-message
https://ircv3.net/specs/extensions/message-tags (TAGMSG, client tags)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError, StoreUnavailableError
from hubbub.core.events import MessageSent, WallopsSent
from hubbub.core.services.names import SERVICE_NICKS
from hubbub.core.services.registry import is_service, message_service
from hubbub.core.user import User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import CHANTYPES, casefold
from hubbub.protocol.framing import MAX_LINE_BYTES
from hubbub.protocol.message import NO_TAGS, Message
from hubbub.protocol.modes import PREFIX_SYMBOLS

logger = logging.getLogger(__name__)


def check_relayed_length(source: str, command: str, target: str, text: str) -> None:
    """The relayed line must fit IRC's 512 bytes once the sender's mask is added.

    Raises:
        IrcError(ERR_INPUTTOOLONG): it would not (refused whole, never cut).
    """
    # ":" source " " command " " target " :" text CRLF, counted without
    # building it; characters are bytes unless some are not ASCII, and none
    # takes more than 4. Compiled, str.isascii is a call by method name: the
    # text is asked first, and the short mask and target only if the line
    # could be too long were they not ASCII.
    head = 7 + len(command)
    size = head + len(source) + len(target) + len(text)
    if size <= MAX_LINE_BYTES // 4:
        return
    text_bytes = len(text) if text.isascii() else len(text.encode())
    if head + 4 * (len(source) + len(target)) + text_bytes <= MAX_LINE_BYTES:
        return
    size = head + len(source.encode()) + len(target.encode()) + text_bytes
    if size > MAX_LINE_BYTES:
        raise IrcError(n.ERR_INPUTTOOLONG)


def _message_to(
    ctx: Context, msg: Message, target: str, text: str | None, at: float
) -> tuple[MessageSent, User | None]:
    """Check that the caller may send to `target`; the event that delivers it,
    and its recipient (None for a channel).

    Raises:
        IrcError: no such target, or the caller may not speak there.
    """
    user = ctx.user
    recipient: User | None = None
    bare = target.lstrip(PREFIX_SYMBOLS)
    if bare[:1] in CHANTYPES:
        channel = ctx.state.require_channel(bare)
        channel.check_can_speak(user)
        if text is not None:
            channel.check_can_send_ctcp(user, text)
        target = target[: len(target) - len(bare)] + channel.name
    else:
        recipient = ctx.state.require_user(target)
        target = recipient.nick
        if msg.command == "PRIVMSG" and recipient.away is not None:
            ctx.reply(n.RPL_AWAY, recipient.nick, text=recipient.away)
    if text is not None:
        check_relayed_length(user.mask, msg.command, target, text)
    client_tags = (
        {key: value for key, value in msg.tags.items() if key.startswith("+")}
        if msg.tags
        else NO_TAGS  # shared and read-only: nothing to build for most lines
    )
    event = MessageSent(
        user.nick,
        msg.command,
        target,
        text,
        ctx.engine.new_msgid(at),
        at,
        client_tags,
    )
    return event, recipient


def _targets_and_text(
    ctx: Context, msg: Message, quiet: bool
) -> tuple[list[str], str | None] | None:
    """The targets and text of a message, or None (answered) when they are amiss."""
    params = msg.params
    if not params or not params[0]:
        if not quiet:
            ctx.reply(n.ERR_NORECIPIENT, text=f"No recipient given ({msg.command})")
        return None
    text: str | None = None
    if msg.command != "TAGMSG":
        if len(params) < 2 or not params[1]:
            if not quiet:
                ctx.reply(n.ERR_NOTEXTTOSEND)
            return None
        text = params[1]
    targets = params[0].split(",")
    if len(targets) > ctx.engine.targets_per_command:
        if not quiet:
            ctx.reply(n.ERR_TOOMANYTARGETS, params[0])
        return None
    return targets, text


async def _echo(ctx: Context, event: MessageSent) -> None:
    # The echo (or the labeled ACK) tells the client its message is kept:
    # wait for the group commit that makes it durable. When history cannot
    # keep it, the message has reached its recipients all the same: echo it
    # (a client that saw no echo would send it again). The store logged the
    # lost batch (once for all its messages): this line only at debug level,
    # or an outage would log two lines per message.
    try:
        await ctx.engine.history.commit()
    except StoreUnavailableError as error:
        logger.debug(
            "! session %d's message echoed, not kept in history: %s",
            ctx.user.session_id,
            error,
        )
    ctx.engine.delivery.echo(event)


def handle_message(ctx: Context, msg: Message) -> Awaitable[None] | None:
    """PRIVMSG, NOTICE and TAGMSG to channels and users."""
    # The server's hot path: a plain function (see core/dispatch.py), which
    # dispatch calls by name. Only a service's answer or an echo waits for
    # something; then the rest of the command is a coroutine.
    quiet = msg.command == "NOTICE"  # no automatic error replies to a NOTICE
    checked = _targets_and_text(ctx, msg, quiet)
    if checked is None:
        return None
    targets, text = checked
    user = ctx.user
    # The time the line arrived: the engine read the clock for it a moment
    # ago (reading it again cost a twentieth of the whole message, compiled).
    user.last_active = now = user.last_received
    echo = user.has_cap("echo-message") or user.has_cap("labeled-response")
    if echo or any(is_service(target) for target in targets):
        return _send_waiting(ctx, msg, targets, text, now, quiet=quiet, echo=echo)
    for target in targets:
        checked_message = _checked_message(ctx, msg, target, text, now, quiet)
        if checked_message is not None:
            event, recipient = checked_message
            # The users at hand: nothing looks them up again by nick.
            ctx.engine.apply(event, user, recipient)
    return None


# Registered by calls rather than as decorators: compiled, a decorated
# function is called through its module attribute, a generic call, where
# dispatch calls this one directly (a twenty-fifth of a private message).
command(
    "TAGMSG",
    help="Send only tags (reactions, typing notifications) to message-tags clients.",
)(handle_message)
command(
    "NOTICE",
    help="Send a notice: like PRIVMSG, but never answered with an error or away reply.",
)(handle_message)
command("PRIVMSG", help="Send a message to channels and users.")(handle_message)


async def _send_waiting(
    ctx: Context,
    msg: Message,
    targets: list[str],
    text: str | None,
    now: float,
    *,
    quiet: bool,
    echo: bool,
) -> None:
    """`handle_message` when a target is a service or the sender gets echoes."""
    for target in targets:
        if is_service(target):
            if echo:
                _echo_to_service(ctx, msg, target, text, now)
            if msg.command == "PRIVMSG" and text is not None:
                try:
                    await message_service(ctx, target, text)
                except IrcError as error:
                    if not quiet:
                        ctx.reply(error.numeric, *error.params, text=error.text)
            continue
        checked_message = _checked_message(ctx, msg, target, text, now, quiet)
        if checked_message is None:
            continue
        event, recipient = checked_message
        ctx.engine.apply(event, ctx.user, recipient)
        if echo:
            await _echo(ctx, event)


def _echo_to_service(
    ctx: Context, msg: Message, target: str, text: str | None, now: float
) -> None:
    """The echo of a message to NickServ or ChanServ, before their answer,
    as for any other message (it is not kept in history)."""
    name = next(nick for nick in SERVICE_NICKS if casefold(nick) == casefold(target))
    event = MessageSent(
        ctx.user.nick,
        msg.command,
        name,
        text,
        ctx.engine.new_msgid(now),
        now,
        {key: value for key, value in msg.tags.items() if key.startswith("+")},
    )
    ctx.engine.delivery.echo(event)


def _checked_message(
    ctx: Context, msg: Message, target: str, text: str | None, now: float, quiet: bool
) -> tuple[MessageSent, User | None] | None:
    """The event for one target and its recipient (None for a channel), or
    None once the error is answered."""
    try:
        return _message_to(ctx, msg, target, text, now)
    except IrcError as error:
        if not quiet:
            ctx.reply(error.numeric, *error.params, text=error.text)
        return None


@command("WALLOPS", min_params=1)
async def handle_wallops(ctx: Context, msg: Message) -> None:
    """Operators: send a message to every user with +w."""
    if not ctx.user.is_oper:
        raise IrcError(n.ERR_NOPRIVILEGES)
    ctx.apply(WallopsSent(ctx.user.mask, msg.params[0]))


# Service shortcuts: NS REGISTER pw == PRIVMSG NickServ :REGISTER pw


@command("NS", min_params=1)
async def handle_ns(ctx: Context, msg: Message) -> None:
    """Talk to NickServ (accounts): NS HELP."""
    await message_service(ctx, "NickServ", " ".join(msg.params))


@command("NICKSERV", min_params=1)
async def handle_nickserv(ctx: Context, msg: Message) -> None:
    """Talk to NickServ (accounts): NICKSERV HELP."""
    await message_service(ctx, "NickServ", " ".join(msg.params))


@command("CS", min_params=1)
async def handle_cs(ctx: Context, msg: Message) -> None:
    """Talk to ChanServ (registered channels): CS HELP."""
    await message_service(ctx, "ChanServ", " ".join(msg.params))


@command("CHANSERV", min_params=1)
async def handle_chanserv(ctx: Context, msg: Message) -> None:
    """Talk to ChanServ (registered channels): CHANSERV HELP."""
    await message_service(ctx, "ChanServ", " ".join(msg.params))
