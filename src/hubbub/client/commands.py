"""What the user types: slash commands and `@nick: text`, parsed into actions.

`parse_input` never talks to the network; `ChatClient` carries the actions
out. A line it cannot do raises `InputError`, whose text is the one line the
user sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hubbub.client.actions import (
    Action,
    CloseBuffer,
    InputContext,
    InputError,
    OpenBuffer,
    Quit,
    SendMessage,
    SendText,
    ShowText,
    Upload,
)
from hubbub.client.events import MessageKind
from hubbub.protocol.message import Message, ParseError, parse_message

Parser = Callable[[list[str], str, InputContext], list[Action]]


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """One slash command: how it is used, what it does, how its arguments parse."""

    name: str
    usage: str
    summary: str
    parse: Parser
    min_args: int = 0


COMMANDS: dict[str, SlashCommand] = {}
_PRIVATE = re.compile(r"@([^\s:@]+):\s?(.*)", re.DOTALL)


def slash_command(
    usage: str, summary: str, *, min_args: int = 0
) -> Callable[[Parser], Parser]:
    """Register a parser as the command named by the first word of `usage`."""

    def register(parse: Parser) -> Parser:
        name = usage.split()[0].removeprefix("/")
        assert name not in COMMANDS, f"/{name} registered twice"
        COMMANDS[name] = SlashCommand(name, usage, summary, parse, min_args)
        return parse

    return register


def parse_input(text: str, context: InputContext) -> list[Action]:
    """The actions for one typed line.

    Raises:
        InputError: an unknown command, a missing argument, or nowhere to send.
    """
    if text.startswith("/") and not text.startswith("//"):
        name, _, rest = text[1:].partition(" ")
        command = COMMANDS.get(name.lower())
        if command is None:
            raise InputError(f"Unknown command /{name}: /help lists the commands.")
        args = rest.split()
        if len(args) < command.min_args:
            raise InputError(f"Usage: {command.usage}")
        return command.parse(args, rest.strip(), context)
    text = text.removeprefix("/")
    private = _PRIVATE.fullmatch(text)
    if private is not None:
        return _private_message(private.group(1), private.group(2))
    if not text.strip():
        return []
    if context.target is None:
        raise InputError(
            "You are not in a room here: /join #room, or @nick: text to one person."
        )
    if not context.is_joined:
        raise InputError(f"You are not in {context.target}: /join it to talk there.")
    return [SendText(context.target, text)]


def _private_message(nick: str, text: str) -> list[Action]:
    if not text.strip():
        raise InputError(f"Nothing to send to {nick}.")
    return [SendText(nick, text)]


def require_channel(args: list[str], context: InputContext, usage: str) -> str:
    """The channel named first in `args`, else the current one.

    Raises:
        InputError: neither names a channel.
    """
    if args and context.is_channel(args[0]):
        return args.pop(0)
    if context.channel is None:
        raise InputError(f"Not in a room: {usage}")
    return context.channel


def require_target(context: InputContext, usage: str) -> str:
    """The current channel or person.

    Raises:
        InputError: the current buffer is the server's.
    """
    if context.target is None:
        raise InputError(f"Not in a room or a private chat: {usage}")
    return context.target


def require_nick(word: str, usage: str, context: InputContext) -> str:
    """`word` if it can be a nick.

    Raises:
        InputError: it names a channel.
    """
    if context.is_channel(word) or word.startswith("@"):
        raise InputError(f"{word} is not a nickname: {usage}")
    return word


def rest_after(rest: str, words: int) -> str:
    """`rest` without its first `words` words (the free text of a command)."""
    parts = rest.split(maxsplit=words)
    return parts[words] if len(parts) > words else ""


def to_message(line: str) -> Message:
    """Parse a raw IRC line typed by the user.

    Raises:
        InputError: it is not an IRC message.
    """
    try:
        return parse_message(line)
    except ParseError as error:
        raise InputError(f"Not an IRC line: {error}.") from None


# The commands, in the order /help lists them.


@slash_command("/join #room [key]", "join a room (and show it)", min_args=1)
def _join(args: list[str], rest: str, context: InputContext) -> list[Action]:
    channel = args[0]
    if not context.is_channel(channel):
        if not context.chantypes:  # ISUPPORT CHANTYPES= (empty): no rooms at all
            raise InputError("This server has no rooms (it offers no channel types).")
        channel = context.chantypes[0] + channel
    params = (channel, *args[1:2])
    return [SendMessage(Message("JOIN", params)), OpenBuffer(channel)]


@slash_command("/part [#room] [reason]", "leave a room (or close a private chat)")
def _part(args: list[str], rest: str, context: InputContext) -> list[Action]:
    if not args and context.target is not None and context.channel is None:
        return [CloseBuffer(context.target)]
    channel = require_channel(args, context, "/part #room")
    reason = rest_after(rest, 1) if rest.startswith(channel) else rest
    params = (channel, reason) if reason else (channel,)
    return [SendMessage(Message("PART", params))]


@slash_command("/msg nick text", "send a private message", min_args=2)
def _msg(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendText(args[0], rest_after(rest, 1))]


@slash_command("/query nick [text]", "open a private chat", min_args=1)
def _query(args: list[str], rest: str, context: InputContext) -> list[Action]:
    nick = require_nick(args[0], "/query nick", context)
    text = rest_after(rest, 1)
    return [OpenBuffer(nick), *([SendText(nick, text)] if text else [])]


@slash_command("/me action", "say what you are doing (/me waves)", min_args=1)
def _me(args: list[str], rest: str, context: InputContext) -> list[Action]:
    target = require_target(context, "/me action")
    return [SendText(target, rest, MessageKind.ACTION)]


@slash_command("/upload PATH", "share a file: upload it and send its link", min_args=1)
def _upload(args: list[str], rest: str, context: InputContext) -> list[Action]:
    target = require_target(context, "/upload PATH")
    return [Upload(rest.strip(), target)]


@slash_command("/notice target text", "send a notice", min_args=2)
def _notice(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendText(args[0], rest_after(rest, 1), MessageKind.NOTICE)]


@slash_command("/nick newnick", "change your nickname", min_args=1)
def _nick(args: list[str], rest: str, context: InputContext) -> list[Action]:
    if len(args) > 1:
        raise InputError("A nickname cannot contain spaces.")
    nick = require_nick(args[0], "/nick newnick", context)
    return [SendMessage(Message("NICK", (nick,)))]


@slash_command("/topic [#room] [text]", "show or set the room's topic")
def _topic(args: list[str], rest: str, context: InputContext) -> list[Action]:
    channel = require_channel(args, context, "/topic #room [text]")
    text = rest_after(rest, 1) if rest.startswith(channel) else rest
    params = (channel, text) if text else (channel,)
    return [SendMessage(Message("TOPIC", params))]


@slash_command("/names [#room]", "list the people in a room")
def _names(args: list[str], rest: str, context: InputContext) -> list[Action]:
    channel = require_channel(args, context, "/names #room")
    return [SendMessage(Message("NAMES", (channel,)))]


@slash_command("/who [mask]", "list people matching a mask (or in this room)")
def _who(args: list[str], rest: str, context: InputContext) -> list[Action]:
    mask = args[0] if args else require_channel(args, context, "/who mask")
    return [SendMessage(Message("WHO", (mask,)))]


@slash_command("/whois nick", "show who someone is", min_args=1)
def _whois(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendMessage(Message("WHOIS", (args[0],)))]


@slash_command("/list [mask]", "list the rooms")
def _list(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendMessage(Message("LIST", tuple(args[:1])))]


@slash_command("/away [message]", "mark yourself away")
def _away(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendMessage(Message("AWAY", (rest or "away",)))]


@slash_command("/back", "mark yourself back")
def _back(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendMessage(Message("AWAY"))]


@slash_command("/raw line", "send a raw IRC line (/raw MODE #room +m)", min_args=1)
def _raw(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [SendMessage(to_message(rest))]


@slash_command("/help [command]", "list the commands, or explain one")
def _help(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [ShowText(help_text(args[0] if args else None))]


@slash_command("/quit [reason]", "leave the chat, telling the others why")
def _quit(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [Quit(rest)]


@slash_command("/exit", "leave the chat")
def _exit(args: list[str], rest: str, context: InputContext) -> list[Action]:
    return [Quit("")]


def help_text(name: str | None) -> str:
    """The help for one command, or the list of all.

    Raises:
        InputError: there is no such command.
    """
    if name is not None:
        command = COMMANDS.get(name.removeprefix("/").lower())
        if command is None:
            raise InputError(f"No command /{name.removeprefix('/')}.")
        return f"{command.usage}: {command.summary}"
    lines = ["Type to talk in the current room; @nick: text talks to one person."]
    lines += [f"  {c.usage:<24} {c.summary}" for c in COMMANDS.values()]
    return "\n".join(lines)
