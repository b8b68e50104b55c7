"""The widgets of the full-screen client: room list, message log, member list, input.

Each one redraws from `ChatModel` when told to; none keeps chat state of its own.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, OptionList, RichLog
from textual.widgets.option_list import Option

from hubbub.client.buffers import Buffer, BufferKind
from hubbub.client.model import ChatModel
from hubbub.client.tui.completion import Completion, complete
from hubbub.client.tui.render import (
    render_buffer_label,
    render_line,
    render_member,
    render_unread_marker,
)


class BufferList(OptionList):
    """The rooms and private chats, with unread counts; selecting one shows it."""

    def show(self, model: ChatModel, server_label: str) -> None:
        """Redraw from the model, keeping the current buffer highlighted."""
        buffers = list(model.buffers.values())
        options = [
            Option(render_buffer_label(b, server_label), id=model.fold(b.name))
            for b in buffers
        ]
        self.set_options(options)
        self.highlighted = buffers.index(model.current)


class MemberList(OptionList):
    """The people in the current room, ops first."""

    def show(self, model: ChatModel) -> None:
        """Redraw from the current buffer's members."""
        buffer = model.current
        members = buffer.sorted_members(model.features.prefix_chars)
        self.set_options([render_member(member) for member in members])
        self.display = buffer.kind is BufferKind.CHANNEL


class MessageLog(RichLog):
    """The current buffer's lines."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, min_width=20)
        self.buffer: Buffer | None = None
        self.written = 0  # lines of `buffer` already written

    def show(self, buffer: Buffer) -> None:
        """Show `buffer`: all of it if it is another buffer, else its new lines."""
        if buffer is not self.buffer or self.written > len(buffer.lines):
            self.clear()
            self.buffer, self.written = buffer, 0
        lines = list(buffer.lines)
        marker = buffer.read_marker
        for index in range(self.written, len(lines)):
            if index == marker and self.written == 0 and index > 0:
                self.write(render_unread_marker())
            self.write(render_line(lines[index]))
        self.written = len(lines)


class ChatInput(Input):
    """The input line: history with Up/Down, nick completion with Tab."""

    BINDINGS = [  # noqa: RUF012 (Textual's class attribute)
        Binding("tab", "complete", "Complete a nick", show=False, priority=True),
        Binding("up", "history(-1)", "Previous line", show=False),
        Binding("down", "history(1)", "Next line", show=False),
    ]

    class CompletionWanted(Message):
        """Tab was pressed: the app supplies the candidates."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, placeholder="Type a message, or /help")
        self.history: list[str] = []
        self._history_index = 0
        self._completion: Completion | None = None

    def remember(self, line: str) -> None:
        """Add a submitted line to the history."""
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._history_index = len(self.history)

    def action_history(self, step: int) -> None:
        """Move through the lines typed before."""
        index = min(max(self._history_index + step, 0), len(self.history))
        self._history_index = index
        self.value = self.history[index] if index < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        """Ask the app for candidates (it calls `complete_with`)."""
        self.post_message(self.CompletionWanted())

    def complete_with(self, candidates: list[str]) -> None:
        """Complete the word before the cursor from `candidates`; Tab again cycles."""
        done = complete(self.value, self.cursor_position, candidates, self._completion)
        if done is not None:
            self.value = done.text
            self.cursor_position = done.cursor
        self._completion = done
