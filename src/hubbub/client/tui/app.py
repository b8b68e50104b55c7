"""`ChatApp`: the full-screen client. It runs a `ChatClient` as a worker and, on each
event, redraws the widgets from the model; typing goes to `ChatClient.submit`.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, OptionList, Static

from hubbub.client.buffers import BufferKind, Shown
from hubbub.client.events import (
    AwayChanged,
    BufferClosed,
    BufferOpened,
    ConnectionLost,
    Event,
    MemberModeChanged,
    NamesReceived,
    NickChanged,
    Registered,
    UserJoined,
    UserParted,
    UserQuit,
)
from hubbub.client.options import OptionError, check_nick
from hubbub.client.runner import ChatClient, ChatError, ChatOptions
from hubbub.client.tui.widgets import BufferList, ChatInput, MemberList, MessageLog

# Events after which the member list is redrawn (most events leave it alone).
_MEMBERSHIP_EVENTS = (
    UserJoined,
    UserParted,
    UserQuit,
    NickChanged,
    NamesReceived,
    MemberModeChanged,
    AwayChanged,
    BufferOpened,
    BufferClosed,
    ConnectionLost,
    Registered,
)


class ChatApp(App[None]):
    """hubbub chat, full screen."""

    TITLE = "hubbub chat"
    ENABLE_COMMAND_PALETTE = False  # Ctrl+P is "previous room" here, as in irssi
    CSS = """
    #topic { height: 1; background: $primary; color: $text; padding: 0 1; }
    #panes { height: 1fr; }
    #buffers { width: 22; height: 1fr; border: none; border-right: solid $primary; }
    #log { width: 1fr; border: none; padding: 0 1; overflow-y: auto; }
    #members { width: 20; height: 1fr; border: none; border-left: solid $primary; }
    #status { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    #input { border: none; height: 1; padding: 0 1; }
    """
    BINDINGS = [  # noqa: RUF012 (Textual's class attribute)
        Binding("ctrl+n", "switch(1)", "Next room"),
        Binding("ctrl+p", "switch(-1)", "Previous room"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, options: ChatOptions) -> None:
        super().__init__()
        self.client = ChatClient(options, self.on_chat_event, ask_nick=self.ask_nick)
        self.model = self.client.model
        self.error: str | None = None  # why the chat could not start
        self._nick_answer: asyncio.Future[str | None] | None = None

    def compose(self) -> ComposeResult:
        """The topic bar, the three panes, the status line and the input."""
        yield Static(id="topic")
        with Horizontal(id="panes"):
            yield BufferList(id="buffers")
            yield MessageLog(id="log")
            yield MemberList(id="members")
        yield Static(id="status")
        yield ChatInput(id="input")

    def on_mount(self) -> None:
        """Start chatting."""
        self.query_one(ChatInput).focus()
        self.redraw(members=True)
        # Ended by the system (SIGTERM, a closed terminal's SIGHUP): leave
        # as Ctrl+Q does, so the terminal is given back as it was.
        loop = asyncio.get_running_loop()
        for ending in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(ending, self._ended_by_signal)
        self.run_worker(self._chat(), name="chat", exit_on_error=True)

    def _ended_by_signal(self) -> None:
        self.run_worker(self.action_quit(), name="quit")

    def on_unmount(self) -> None:
        """Give the signals back."""
        loop = asyncio.get_running_loop()
        for ending in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(ending)

    async def _chat(self) -> None:
        try:
            await self.client.run()
        except ChatError as error:
            self.error = str(error)
            self.exit(return_code=1)
            return
        self.exit(return_code=0)

    # Drawing

    def on_chat_event(self, event: Event, shown: list[Shown]) -> None:
        """The client's listener: redraw what the event changed."""
        if not self.is_running:
            return
        self.redraw(members=isinstance(event, _MEMBERSHIP_EVENTS))

    def redraw(self, *, members: bool = False) -> None:
        """Draw the model: the log of the current buffer, the lists, the bars."""
        model = self.model
        current = model.current
        address = str(self.client.options.address)
        self.query_one(MessageLog).show(current)
        self.query_one(BufferList).show(model, address)
        if members:
            self.query_one(MemberList).show(model)
        title = address if current.kind is BufferKind.SERVER else current.name
        topic = Text(title, style="bold")
        if current.topic:
            topic.append(f" — {current.topic}", style="")
        self.query_one("#topic", Static).update(topic)
        self.query_one("#status", Static).update(self._status())

    def _status(self) -> Text:
        model = self.model
        state = "connected" if model.is_connected else "not connected"
        status = Text(f"{model.nick or self.client.options.nick} · {state}")
        if model.away is not None:
            status.append(" · away")
        status.append("   Ctrl+N/P: rooms · Tab: nicks · /help")
        return status

    # Input

    @on(Input.Submitted, "#input")
    def submitted(self, message: Input.Submitted) -> None:
        """A line was typed: a nick we asked for, or input for the chat."""
        chat_input = self.query_one(ChatInput)
        text = message.value
        chat_input.value = ""
        chat_input.remember(text)
        if self._nick_answer is not None and not self._nick_answer.done():
            self._answer_nick(text)
            return
        self.client.submit(text)
        self.redraw(members=True)

    @on(ChatInput.CompletionWanted)
    def complete_nick(self) -> None:
        """Offer the current room's members, then the buffers, for Tab."""
        current = self.model.current
        nicks = [member.nick for member in current.members.values()]
        if current.kind is BufferKind.QUERY:
            nicks.append(current.name)
        names = [
            b.name
            for b in self.model.buffers.values()
            if b.kind is not BufferKind.SERVER
        ]
        self.query_one(ChatInput).complete_with(nicks + names)

    @on(OptionList.OptionSelected, "#buffers")
    def buffer_selected(self, message: OptionList.OptionSelected) -> None:
        """A click (or Enter) in the room list shows that buffer."""
        buffer = self.model.buffers.get(message.option.id or "")
        if buffer is not None:
            self._show(buffer.name)
        self.query_one(ChatInput).focus()

    def action_switch(self, step: int) -> None:
        """Show the next (or previous) buffer."""
        buffers = list(self.model.buffers.values())
        index = buffers.index(self.model.current)
        self._show(buffers[(index + step) % len(buffers)].name)

    def _show(self, name: str) -> None:
        self.client.open_buffer(name)
        self.redraw(members=True)

    async def action_quit(self) -> None:
        """Ctrl+Q: leave like /exit."""
        if self._nick_answer is not None and not self._nick_answer.done():
            self._nick_answer.set_result(None)
        self.client.quit()

    # Asking for another nick

    async def ask_nick(self, rejected: str) -> str | None:
        """The client's `NickAsker`: the next line typed is the new nick."""
        self._nick_answer = asyncio.get_running_loop().create_future()
        chat_input = self.query_one(ChatInput)
        chat_input.placeholder = f"{rejected} is taken: type another nickname"
        try:
            return await self._nick_answer
        finally:
            chat_input.placeholder = "Type a message, or /help"

    def _answer_nick(self, text: str) -> None:
        assert self._nick_answer is not None
        try:
            self._nick_answer.set_result(check_nick(text))
        except OptionError as error:
            self.notify(str(error), severity="error")


def run_app(options: ChatOptions) -> int:
    """Run the full-screen client; return the exit status."""
    app = ChatApp(options)
    app.run()
    if app.error is not None:
        print(f"hubbub: {app.error}", file=sys.stderr)
    return app.return_code or 0
