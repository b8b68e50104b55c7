"""Connection registration: CAP, PASS, NICK, USER, QUIT.

https://modern.ircdocs.horse/#connection-registration
https://ircv3.net/specs/extensions/capability-negotiation
"""

from __future__ import annotations

import hmac
import logging

from hubbub.core.accounts import protect_nick
from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError
from hubbub.core.events import NickChanged, UserRegistered
from hubbub.core.replies import reply_welcome
from hubbub.core.services.names import is_service
from hubbub.protocol import numerics as n
from hubbub.protocol.caps import CAPABILITIES, NOT_REQUESTABLE, format_cap_ls
from hubbub.protocol.casemap import casefold, is_valid_nick
from hubbub.protocol.message import Message

logger = logging.getLogger(__name__)

USERLEN = 16
_CAP_LINE_BUDGET = 400  # bytes of capability tokens per CAP line


def maybe_register(ctx: Context) -> None:
    """Finish registration once NICK, USER and CAP END (if negotiating) are in."""
    user = ctx.user
    if user.registered or user.nick == "*" or not user.username or user.cap_negotiating:
        return
    if not user.password_ok:
        ctx.reply(n.ERR_PASSWDMISMATCH)
        ctx.engine.disconnect(user, "Bad password", error="Bad password")
        return
    ctx.apply(UserRegistered(user.nick))
    logger.info("= session %d registered as %s", user.session_id, user.mask)
    reply_welcome(ctx)


# CAP


def _send_cap_list(ctx: Context, subcommand: str, tokens: list[str]) -> None:
    # CAP LS 302: split into several lines, each but the last marked with "*".
    lines: list[list[str]] = [[]]
    size = 0
    for token in tokens:
        if lines[-1] and size + len(token) + 1 > _CAP_LINE_BUDGET:
            lines.append([])
            size = 0
        lines[-1].append(token)
        size += len(token) + 1
    for index, chunk in enumerate(lines):
        more = ["*"] if index < len(lines) - 1 and ctx.user.cap_version >= 302 else []
        parts = [":" + ctx.server_name, "CAP", ctx.user.nick, subcommand, *more]
        ctx.send_line(" ".join([*parts, ":" + " ".join(chunk)]))


def _cap_req(ctx: Context, requested: str) -> None:
    enable: set[str] = set()
    disable: set[str] = set()
    for token in requested.split():
        name = token.removeprefix("-")
        if name not in CAPABILITIES or name in NOT_REQUESTABLE:
            ctx.send_line(f":{ctx.server_name} CAP {ctx.user.nick} NAK :{requested}")
            return
        (disable if token.startswith("-") else enable).add(name)
    if "cap-notify" in disable and ctx.user.cap_version >= 302:
        # cap-notify is sticky for CAP LS 302 clients.
        ctx.send_line(f":{ctx.server_name} CAP {ctx.user.nick} NAK :{requested}")
        return
    ctx.user.update_caps(enable, disable)
    ctx.send_line(f":{ctx.server_name} CAP {ctx.user.nick} ACK :{requested}")


@command("CAP", min_params=1, before_registration=True)
async def handle_cap(ctx: Context, msg: Message) -> None:
    """Capability negotiation (CAP LS / LIST / REQ / END)."""
    user = ctx.user
    subcommand = msg.params[0].upper()
    if subcommand == "LS":
        if not user.registered:
            user.cap_negotiating = True
        version = msg.param(1)
        if version.isdigit() and int(version) > user.cap_version:
            user.cap_version = int(version)
            if user.cap_version >= 302:
                user.update_caps({"cap-notify"}, set())
        values = ctx.engine.cap_values(user)
        _send_cap_list(ctx, "LS", format_cap_ls(user.cap_version, values))
    elif subcommand == "LIST":
        _send_cap_list(ctx, "LIST", sorted(user.caps))
    elif subcommand == "REQ":
        if not user.registered:
            user.cap_negotiating = True
        _cap_req(ctx, msg.param(1))
    elif subcommand == "END":
        if user.sasl is not None:
            # sasl-3.1: ending negotiation ends an exchange still under way.
            user.sasl = None
            ctx.reply(n.ERR_SASLABORTED)
        if not user.registered:
            user.cap_negotiating = False
            maybe_register(ctx)
    else:
        ctx.reply(n.ERR_INVALIDCAPCMD, msg.params[0])


# PASS, NICK, USER


@command("PASS", min_params=1, before_registration=True)
async def handle_pass(ctx: Context, msg: Message) -> None:
    """The connection password, checked when registration completes."""
    if ctx.user.registered:
        raise IrcError(n.ERR_ALREADYREGISTERED)
    expected = ctx.config.password
    if expected is not None:
        ctx.user.password_ok = hmac.compare_digest(
            msg.params[0].encode(), expected.encode()
        )


@command("NICK", before_registration=True)
async def handle_nick(ctx: Context, msg: Message) -> None:
    """Set or change the nickname."""
    user = ctx.user
    nick = msg.param(0)
    if not nick:
        raise IrcError(n.ERR_NONICKNAMEGIVEN)
    if not is_valid_nick(nick, ctx.config.limits.nick_length) or is_service(nick):
        raise IrcError(n.ERR_ERRONEUSNICKNAME, nick)
    if not user.registered:
        user.requested_nick = nick
    holder = ctx.state.users.get(casefold(nick))
    if holder is not None and holder is not user:
        raise IrcError(n.ERR_NICKNAMEINUSE, nick)
    if nick == user.nick:
        return
    new_identity = casefold(nick) != user.key  # not just a change of case
    if not user.registered:
        ctx.state.claim_nick(user, nick)
        maybe_register(ctx)
    else:
        ctx.apply(NickChanged(user.nick, nick, user.mask, ctx.now()))
    if new_identity:
        await protect_nick(ctx, user)


def _clean_username(raw: str) -> str:
    allowed = "".join(c for c in raw if c.isalnum() or c in "-_.[]{}\\`^|")
    return allowed[:USERLEN]


@command("USER", min_params=4, before_registration=True)
async def handle_user(ctx: Context, msg: Message) -> None:
    """Username and realname, once."""
    user = ctx.user
    if user.registered or user.username:
        raise IrcError(n.ERR_ALREADYREGISTERED)
    if not msg.params[0] or not msg.params[3]:
        raise IrcError(n.ERR_NEEDMOREPARAMS, "USER")
    username = _clean_username(msg.params[0])
    if not username:
        raise IrcError(n.ERR_INVALIDUSERNAME)
    user.username = "~" + username[: USERLEN - 1]
    user.realname = msg.params[3][: ctx.config.limits.realname_length]
    maybe_register(ctx)


@command("QUIT", before_registration=True)
async def handle_quit(ctx: Context, msg: Message) -> None:
    """Leave the server; others in common channels see the reason."""
    reason = msg.param(0)
    ctx.engine.disconnect(ctx.user, f"Quit: {reason}" if reason else "Quit")
