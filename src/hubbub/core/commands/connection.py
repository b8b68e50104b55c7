"""Connection upkeep and server information: PING, PONG, AWAY, SETNAME, MOTD,
LUSERS, VERSION, TIME, ADMIN, INFO, LINKS, HELP.

https://modern.ircdocs.horse/#server-queries-and-commands
"""

from __future__ import annotations

import time

from hubbub.core.commands.registry import COMMANDS, command
from hubbub.core.context import Context
from hubbub.core.errors import IrcError
from hubbub.core.events import AwayChanged, RealnameChanged
from hubbub.core.replies import VERSION, reply_lusers, reply_motd
from hubbub.protocol import numerics as n
from hubbub.protocol.message import Message


@command("PING", before_registration=True)
def handle_ping(ctx: Context, msg: Message) -> None:
    """Answer with PONG and the same token."""
    if not msg.params or not msg.params[0]:
        raise IrcError(n.ERR_NOORIGIN)
    ctx.send_line(f":{ctx.server_name} PONG {ctx.server_name} :{msg.params[0]}")


@command("PONG", before_registration=True)
def handle_pong(ctx: Context, msg: Message) -> None:
    """A keepalive answer; any received line already resets the ping timer."""


@command("AWAY")
async def handle_away(ctx: Context, msg: Message) -> None:
    """Mark yourself away with a message, or back with none."""
    message = msg.param(0)[: ctx.config.limits.away_length]
    if message:
        ctx.apply(AwayChanged(ctx.user.nick, message))
        ctx.reply(n.RPL_NOWAWAY)
    else:
        if ctx.user.away is not None:
            ctx.apply(AwayChanged(ctx.user.nick, None))
        ctx.reply(n.RPL_UNAWAY)


@command("SETNAME", min_params=1)
async def handle_setname(ctx: Context, msg: Message) -> None:
    """Change your realname (IRCv3 setname)."""
    realname = msg.params[0]
    if not realname or len(realname) > ctx.config.limits.realname_length:
        ctx.fail("SETNAME", "INVALID_REALNAME", text="Realname is not valid")
        return
    ctx.apply(RealnameChanged(ctx.user.nick, realname))


@command("MOTD")
async def handle_motd(ctx: Context, msg: Message) -> None:
    """The message of the day."""
    reply_motd(ctx)


@command("LUSERS")
async def handle_lusers(ctx: Context, msg: Message) -> None:
    """User, channel and connection counts."""
    reply_lusers(ctx)


@command("VERSION")
async def handle_version(ctx: Context, msg: Message) -> None:
    """The server's version, then its ISUPPORT tokens."""
    ctx.reply(n.RPL_VERSION, VERSION, ctx.server_name, text="hubbub IRC server")
    for tokens in ctx.engine.isupport:
        ctx.reply(n.RPL_ISUPPORT, *tokens)


@command("TIME")
async def handle_time(ctx: Context, msg: Message) -> None:
    """The server's local time."""
    now = ctx.now()
    text = time.strftime("%A %B %d %Y -- %H:%M:%S UTC", time.gmtime(now))
    ctx.reply(n.RPL_TIME, ctx.server_name, text=text)


@command("ADMIN")
async def handle_admin(ctx: Context, msg: Message) -> None:
    """Who runs this server."""
    ctx.reply(n.RPL_ADMINME, ctx.server_name)
    ctx.reply(n.RPL_ADMINLOC1, text=ctx.config.admin_location)
    ctx.reply(n.RPL_ADMINLOC2, text=ctx.config.network_name)
    ctx.reply(n.RPL_ADMINEMAIL, text=ctx.config.admin_email)


@command("INFO")
async def handle_info(ctx: Context, msg: Message) -> None:
    """About this software."""
    for text in (
        f"{VERSION}: a chat server that speaks IRC.",
        "Written in Python on asyncio; see the README for its design.",
    ):
        ctx.reply(n.RPL_INFO, text=text)
    ctx.reply(n.RPL_ENDOFINFO)


@command("LINKS")
async def handle_links(ctx: Context, msg: Message) -> None:
    """The servers of this network: this one only."""
    description = f"0 {ctx.config.server_description}"
    ctx.reply(n.RPL_LINKS, ctx.server_name, ctx.server_name, text=description)
    # NickServ and ChanServ are built in; list them as the leaf they would be.
    services = ctx.config.services_name or f"services.{ctx.server_name}"
    ctx.reply(n.RPL_LINKS, services, ctx.server_name, text="1 hubbub services")
    ctx.reply(n.RPL_ENDOFLINKS, "*")


def _help_lines(subject: str) -> list[str] | None:
    if not subject:
        names = sorted(COMMANDS)
        return [
            "hubbub knows these commands; HELP <command> tells more:",
            *(" ".join(names[i : i + 10]) for i in range(0, len(names), 10)),
        ]
    found = COMMANDS.get(subject.upper())
    if found is None:
        return None
    doc = (found.help or found.handler.__doc__ or "").strip()
    return [found.name, *(line.strip() for line in doc.splitlines() if line.strip())]


async def _help(ctx: Context, msg: Message) -> None:
    subject = msg.param(0)
    lines = _help_lines(subject)
    if lines is None:
        raise IrcError(n.ERR_HELPNOTFOUND, subject)
    topic = subject or "*"
    ctx.reply(n.RPL_HELPSTART, topic, text=lines[0])
    for text in lines[1:]:
        ctx.reply(n.RPL_HELPTXT, topic, text=text)
    ctx.reply(n.RPL_ENDOFHELP, topic, text="End of /HELP")


@command("HELP")
async def handle_help(ctx: Context, msg: Message) -> None:
    """Help on a command (HELP <command>), or the list of commands."""
    await _help(ctx, msg)


@command("HELPOP")
async def handle_helpop(ctx: Context, msg: Message) -> None:
    """The same as HELP."""
    await _help(ctx, msg)
