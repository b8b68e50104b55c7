"""Plain line mode, like the seeds' client: lines in, lines out; scriptable.

`Alice: Hello everyone!`, `Bob joined the chat`, `Private message from Bob: hi`,
`To Bob: hi`. Rooms other than the current one are marked `[#room]`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO

from hubbub.client.buffers import Buffer, BufferKind, Line, LineKind, Shown
from hubbub.client.events import Event
from hubbub.client.model import ChatModel
from hubbub.client.runner import ChatClient, ChatOptions
from hubbub.client.stdin import StdinLines


def format_talk(buffer: Buffer, line: Line) -> str:
    """A message, action or notice as the seeds showed them."""
    if buffer.kind is not BufferKind.QUERY:
        if line.kind is LineKind.ACTION:
            return f"* {line.nick} {line.text}"
        if line.kind is LineKind.NOTICE:
            return f"-{line.nick}- {line.text}"
        return f"{line.nick}: {line.text}"
    text = f"* {line.nick} {line.text}" if line.kind is LineKind.ACTION else line.text
    if line.is_self:
        return f"To {buffer.name}: {text}"
    if line.kind is LineKind.NOTICE:
        return f"Notice from {line.nick}: {text}"
    return f"Private message from {line.nick}: {text}"


def format_line(shown: Shown, current: Buffer) -> str | None:
    """How plain mode prints a line, or None to keep it quiet (the welcome burst)."""
    buffer, line = shown
    if line.kind is LineKind.WELCOME:
        return None
    if line.kind in {LineKind.MESSAGE, LineKind.ACTION, LineKind.NOTICE}:
        text = format_talk(buffer, line)
    elif line.kind is LineKind.ERROR:
        text = f"Error: {line.text}"
    else:
        text = line.text
    if buffer is not current and buffer.kind is BufferKind.CHANNEL:
        text = f"[{buffer.name}] {text}"
    return text


def format_shown(shown: list[Shown], current: Buffer) -> list[str]:
    """The printed lines for one event; a quit or nick change seen in several
    rooms is printed once."""
    if len(shown) > 1 and all(item.line is shown[0].line for item in shown):
        text = format_line(Shown(current, shown[0].line), current)
        return [text] if text is not None else []
    return [text for item in shown if (text := format_line(item, current))]


class Output:
    """Standard output for a chat: each line flushed as it happens."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str, end: str = "\n") -> None:
        """Print and flush at once: a pipe must see each line as it happens."""
        try:
            self.out.write(text + end)
            self.out.flush()
        except (BrokenPipeError, ValueError):
            pass  # nobody reads our output any more; /quit still works


class PlainPrinter:
    """The listener of plain mode: prints what each event added."""

    def __init__(self, model: ChatModel, output: Output) -> None:
        self.model = model
        self.output = output

    def __call__(self, event: Event, shown: list[Shown]) -> None:
        """Print the lines `event` added."""
        for text in format_shown(shown, self.model.current):
            self.output.write(text)


async def ask_line(stdin: StdinLines, output: Output, prompt: str) -> str | None:
    """Ask a question on the terminal (or the pipe); None at the end of input."""
    output.write(prompt, end="")
    answer = await stdin.read_line()
    if not sys.stdin.isatty():
        # Nothing echoed the answer: do it, so the output reads as a dialogue.
        output.write(answer or "")
    return answer


async def run_plain(options: ChatOptions, stdin: StdinLines, output: Output) -> None:
    """Chat in line mode until /exit, /quit or the end of input.

    Raises:
        ChatError: the server could not be reached.
    """
    model = ChatModel()
    printer = PlainPrinter(model, output)

    async def ask_nick(rejected: str) -> str | None:
        return await ask_line(stdin, output, "Choose another nickname: ")

    client = ChatClient(options, printer, model=model, ask_nick=ask_nick)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, client.quit)
    pump = asyncio.create_task(_pump_input(client, stdin))
    try:
        await client.run()
    finally:
        pump.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _pump_input(client: ChatClient, stdin: StdinLines) -> None:
    # Lines piped in before we are in the room wait for it; the end of
    # input leaves the chat, like /exit.
    await client.ready.wait()
    while (line := await stdin.read_line()) is not None:
        client.submit(line)
    client.quit()
