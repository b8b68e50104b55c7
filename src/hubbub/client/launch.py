"""`hubbub chat`: settle the settings (asking for what is missing), then run the
plain or the full-screen client. Errors end as one line and an exit status.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from hubbub.client.connection import ServerAddress
from hubbub.client.options import (
    DEFAULT_CHANNEL,
    DEFAULT_HOST,
    DEFAULT_PORT,
    OptionError,
    check_channel,
    check_host,
    check_nick,
    check_port,
    parse_target,
)
from hubbub.client.runner import ChatError, ChatOptions

DEFAULT_TLS_PORT = 6697
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

T = TypeVar("T")
Ask = Callable[[str], Awaitable[str | None]]  # prompt -> answer, None at end of input
Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ChatArguments:
    """The command line of `hubbub chat`, unchecked."""

    address: str | None = None
    nick: str | None = None
    channel: str | None = None  # None: the URL's room, else DEFAULT_CHANNEL
    tls: bool = False
    insecure: bool = False
    plain: bool = False


async def ask_until_valid(
    ask: Ask, say: Say, prompt: str, check: Callable[[str], T], default: T | None
) -> T:
    """Ask until the answer passes `check` (an empty answer takes `default`).

    Raises:
        OptionError: the input ended first.
    """
    while True:
        answer = await ask(prompt)
        if answer is None:
            raise OptionError(f"No answer to {prompt.strip()!r}.")
        if not answer.strip() and default is not None:
            return default
        try:
            return check(answer)
        except OptionError as error:
            say(str(error))


async def complete_options(arguments: ChatArguments, ask: Ask, say: Say) -> ChatOptions:
    """The chat's options: the command line's, and answers for what it left out.

    Raises:
        OptionError: a bad setting on the command line, or no answer.
    """
    channels: list[str] = []
    tls = arguments.tls
    if arguments.address is not None:
        target = parse_target(arguments.address)
        tls = tls or bool(target.tls)
        host = target.host
        port = target.port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT)
        if target.channel is not None:
            channels.append(target.channel)
    if arguments.channel is not None:
        channel = check_channel(arguments.channel)
        if channel not in channels:
            channels.append(channel)
    elif not channels:
        channels.append(DEFAULT_CHANNEL)
    if arguments.insecure and not tls:
        raise OptionError(
            "--insecure goes with --tls or an ircs:// address "
            "(it skips TLS's certificate check)"
        )
    default_port = DEFAULT_TLS_PORT if tls else DEFAULT_PORT
    if arguments.address is None:
        host = await ask_until_valid(
            ask, say, f"Server [{DEFAULT_HOST}]: ", check_host, DEFAULT_HOST
        )
        port = await ask_until_valid(
            ask, say, f"Port [{default_port}]: ", check_port, default_port
        )
    if arguments.nick is not None:
        nick = check_nick(arguments.nick)
    else:
        nick = await ask_until_valid(
            ask, say, "Choose your nickname: ", check_nick, None
        )
    address = ServerAddress(host, port, tls, not arguments.insecure)
    return ChatOptions(address, nick, tuple(channels))


def wants_plain(arguments: ChatArguments) -> bool:
    """Plain mode when asked, or when input or output is not a terminal."""
    return arguments.plain or not (sys.stdin.isatty() and sys.stdout.isatty())


def run_chat(arguments: ChatArguments) -> int:
    """Run `hubbub chat`; return the exit status (messages already printed)."""
    try:
        if wants_plain(arguments):
            return asyncio.run(_plain_main(arguments))
        return _tui_main(arguments)
    except OptionError as error:
        _complain(str(error))
        return EXIT_USAGE
    except ChatError as error:
        _complain(str(error))
        return EXIT_FAILED


def _complain(message: str) -> None:
    print(f"hubbub: {message}", file=sys.stderr, flush=True)


async def _plain_main(arguments: ChatArguments) -> int:
    from hubbub.client.plain import Output, ask_line, run_plain
    from hubbub.client.stdin import StdinLines

    stdin = StdinLines()
    output = Output(sys.stdout)

    async def ask(prompt: str) -> str | None:
        return await ask_line(stdin, output, prompt)

    options = await complete_options(arguments, ask, output.write)
    await run_plain(options, stdin, output)
    return EXIT_OK


def _input_or_none(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def _tui_main(arguments: ChatArguments) -> int:
    try:
        from hubbub.client.tui.app import run_app
    except ImportError:
        raise OptionError(
            "the full-screen client needs Textual: pip install 'hubbub[tui]', "
            "or use --plain"
        ) from None

    async def ask(prompt: str) -> str | None:
        # Before the interface starts, the terminal is ours: a blocking input()
        # holds up nothing.
        return _input_or_none(prompt)

    options = asyncio.run(complete_options(arguments, ask, print))
    return run_app(options)
