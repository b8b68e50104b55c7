"""`ChatModel`: every buffer, member list and unread count; `apply(event)` is the
only code that changes them (h11's Rule 1). No Textual, no sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hubbub.client.buffers import (
    TALK,
    Buffer,
    BufferKind,
    Line,
    LineKind,
    Member,
    RecentIds,
    Shown,
)
from hubbub.client.events import (
    AwayChanged,
    BufferClosed,
    BufferOpened,
    ConnectionLost,
    Event,
    FeaturesChanged,
    MemberModeChanged,
    MessageKind,
    MessageReceived,
    NamesReceived,
    NickChanged,
    NickRejected,
    NoteShown,
    Ready,
    Registered,
    ServerFeatures,
    ServerReplied,
    TopicChanged,
    UserJoined,
    UserParted,
    UserQuit,
)
from hubbub.client.names import fold_name, mentions
from hubbub.client.session import Clock, utc_now

SERVER_BUFFER = "*"
_LINE_KIND = {
    MessageKind.PRIVMSG: LineKind.MESSAGE,
    MessageKind.ACTION: LineKind.ACTION,
    MessageKind.NOTICE: LineKind.NOTICE,
}


def _with_reason(text: str, reason: str) -> str:
    return f"{text} ({reason})" if reason else text


class ChatModel:
    """The state of the chat as the user sees it, across reconnections."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.nick = ""
        self.features = ServerFeatures()
        self.is_connected = False
        self.is_ready = False  # registered, first joins done
        self.away: str | None = None
        server = Buffer(SERVER_BUFFER, BufferKind.SERVER)
        self.buffers: dict[str, Buffer] = {SERVER_BUFFER: server}
        self.current = server
        self._seen_msgids = RecentIds()

    # Reading

    def fold(self, name: str) -> str:
        """`name` folded with the server's casemapping."""
        return fold_name(name, self.features.casemapping)

    def find(self, name: str) -> Buffer | None:
        """The buffer called `name`, if any."""
        return self.buffers.get(self.fold(name))

    def channel_buffers(self) -> list[Buffer]:
        """Buffers of channels, in creation order."""
        return [b for b in self.buffers.values() if b.kind is BufferKind.CHANNEL]

    # Changing

    def apply(self, event: Event) -> list[Shown]:
        """Change the model for `event`; return the lines it added."""
        applier: Callable[[ChatModel, Any], list[Shown]] = _APPLIERS[type(event)]
        return applier(self, event)

    def switch_to(self, buffer: Buffer) -> None:
        """Show `buffer`: its unread count is cleared; the one left gets a marker."""
        if buffer is self.current:
            return
        self.current.read_marker = len(self.current.lines)
        self.current = buffer
        buffer.unread = buffer.highlights = 0

    def open_buffer(self, name: str) -> Buffer:
        """The buffer called `name`, created (as a channel or a query) if new."""
        buffer = self.find(name)
        if buffer is None:
            is_channel = self.features.is_channel(name)
            kind = BufferKind.CHANNEL if is_channel else BufferKind.QUERY
            buffer = Buffer(name, kind)
            self.buffers[self.fold(name)] = buffer
        return buffer

    def _add(self, buffer: Buffer, line: Line) -> Shown:
        buffer.lines.append(line)
        if buffer is not self.current and line.kind in TALK and not line.is_self:
            buffer.unread += 1
            buffer.highlights += line.is_highlight
        return Shown(buffer, line)

    def _note(self, text: str, kind: LineKind, buffer: Buffer | None = None) -> Shown:
        return self._add(buffer or self.current, Line(self.clock(), kind, text))

    def _members_of(self, nick: str) -> list[Buffer]:
        key = self.fold(nick)
        return [b for b in self.channel_buffers() if key in b.members]

    # Applying each event

    def _registered(self, event: Registered) -> list[Shown]:
        self.nick, self.features = event.nick, event.features
        self.is_connected = True
        return []

    def _features_changed(self, event: FeaturesChanged) -> list[Shown]:
        self.features = event.features
        return []

    def _ready(self, event: Ready) -> list[Shown]:
        self.is_ready = True
        return []

    def _nick_rejected(self, event: NickRejected) -> list[Shown]:
        return [self._note(f"{event.nick}: {event.reason}", LineKind.ERROR)]

    def _message_received(self, event: MessageReceived) -> list[Shown]:
        if event.msgid is not None and not self._seen_msgids.is_new(event.msgid):
            return []
        buffer = self.open_buffer(event.buffer)
        is_highlight = not event.is_self and mentions(event.text, self.nick)
        line = Line(
            event.time,
            _LINE_KIND[event.kind],
            event.text,
            event.nick,
            event.is_self,
            is_highlight,
        )
        if event.is_history:
            buffer.lines.append(line)
            return [Shown(buffer, line)]
        return [self._add(buffer, line)]

    def _user_joined(self, event: UserJoined) -> list[Shown]:
        is_new = self.find(event.channel) is None
        buffer = self.open_buffer(event.channel)
        buffer.members[self.fold(event.nick)] = Member(event.nick)
        if event.is_self:
            buffer.is_joined = True
            if is_new:
                self.switch_to(buffer)
            text = f"You joined {event.channel}"
        else:
            text = f"{event.nick} joined the chat"
        return [self._add(buffer, Line(event.time, LineKind.JOIN, text, event.nick))]

    def _user_parted(self, event: UserParted) -> list[Shown]:
        buffer = self.open_buffer(event.channel)
        buffer.members.pop(self.fold(event.nick), None)
        if event.kicked_by is not None:
            who = "You were" if event.is_self else f"{event.nick} was"
            text = f"{who} kicked by {event.kicked_by}"
        elif event.is_self:
            text = f"You left {event.channel}"
        else:
            text = f"{event.nick} left the chat"
        reason = _with_reason(text, event.reason)
        shown = [self._add(buffer, Line(event.time, LineKind.PART, reason, event.nick))]
        if event.is_self:
            buffer.is_joined = False
            buffer.members.clear()
            self._leave(buffer)
        return shown

    def _leave(self, buffer: Buffer) -> None:
        # Typing after /part should reach a room we are still in.
        joined = [b for b in self.channel_buffers() if b.is_joined]
        if buffer is self.current and joined:
            self.switch_to(joined[-1])

    def _user_quit(self, event: UserQuit) -> list[Shown]:
        text = _with_reason(f"{event.nick} left the chat", event.reason)
        line = Line(event.time, LineKind.PART, text, event.nick)
        buffers = self._members_of(event.nick)
        for buffer in buffers:
            buffer.members.pop(self.fold(event.nick), None)
        query = self.find(event.nick)
        if query is not None and query.kind is BufferKind.QUERY:
            buffers.append(query)
        return [self._add(buffer, line) for buffer in buffers]

    def _nick_changed(self, event: NickChanged) -> list[Shown]:
        if event.is_self:
            self.nick = event.new
            text = f"You are now known as {event.new}"
        else:
            text = f"{event.old} is now known as {event.new}"
        old_key, new_key = self.fold(event.old), self.fold(event.new)
        buffers = self._members_of(event.old)
        for buffer in buffers:
            member = buffer.members.pop(old_key)
            member.nick = event.new
            buffer.members[new_key] = member
        query = self.buffers.pop(old_key, None)
        if query is not None and query.kind is BufferKind.QUERY:
            query.name = event.new
            self.buffers[new_key] = query
            buffers.append(query)
        elif query is not None:
            self.buffers[old_key] = query
        if event.is_self and not buffers:
            buffers = [self.current]
        line = Line(event.time, LineKind.NICK, text, event.new, event.is_self)
        return [self._add(buffer, line) for buffer in buffers]

    def _topic_changed(self, event: TopicChanged) -> list[Shown]:
        buffer = self.find(event.channel) or self.current
        if buffer.kind is BufferKind.CHANNEL:
            buffer.topic = event.topic
        if event.by is None:
            text = f"Topic of {event.channel}: {event.topic}"
        else:
            text = f"{event.by} changed the topic to: {event.topic}"
        return [
            self._add(buffer, Line(event.time, LineKind.TOPIC, text, event.by or ""))
        ]

    def _names_received(self, event: NamesReceived) -> list[Shown]:
        buffer = self.find(event.channel)
        if buffer is not None and buffer.is_joined:
            buffer.members = {
                self.fold(nick): Member(nick, prefixes)
                for nick, prefixes in event.members
            }
            members = buffer.sorted_members(self.features.prefix_chars)
            names = [member.prefixes[:1] + member.nick for member in members]
        else:
            names = [prefixes[:1] + nick for nick, prefixes in event.members]
            buffer = self.current
        text = f"People in {event.channel}: {', '.join(names) or 'nobody'}"
        return [self._note(text, LineKind.INFO, buffer)]

    def _member_mode_changed(self, event: MemberModeChanged) -> list[Shown]:
        buffer = self.find(event.channel)
        member = buffer.members.get(self.fold(event.nick)) if buffer else None
        if member is not None:
            symbols = set(member.prefixes)
            symbols.add(event.symbol) if event.is_given else symbols.discard(
                event.symbol
            )
            order = self.features.prefix_chars
            member.prefixes = "".join(symbol for symbol in order if symbol in symbols)
        return []

    def _away_changed(self, event: AwayChanged) -> list[Shown]:
        if self.fold(event.nick) == self.fold(self.nick):
            self.away = event.message
        for buffer in self._members_of(event.nick):
            buffer.members[self.fold(event.nick)].away = event.message
        return []

    def _server_replied(self, event: ServerReplied) -> list[Shown]:
        buffer = self.find(event.buffer) if event.buffer else None
        if buffer is None:
            buffer = self.buffers[SERVER_BUFFER] if event.is_welcome else self.current
        kind = LineKind.ERROR if event.is_error else LineKind.INFO
        kind = LineKind.WELCOME if event.is_welcome else kind
        return [self._add(buffer, Line(event.time, kind, event.text))]

    def _note_shown(self, event: NoteShown) -> list[Shown]:
        kind = LineKind.ERROR if event.is_error else LineKind.NOTE
        return [self._note(event.text, kind)]

    def _connection_lost(self, event: ConnectionLost) -> list[Shown]:
        self.is_connected = self.is_ready = False
        for buffer in self.channel_buffers():
            buffer.is_joined = False
            buffer.members.clear()
        text = f"Connection lost ({event.reason})."
        if event.retry_in_seconds is not None:
            seconds = event.retry_in_seconds
            text += f" Reconnecting in {seconds:g} second{'' if seconds == 1 else 's'}."
        return [self._note(text, LineKind.ERROR)]

    def _buffer_opened(self, event: BufferOpened) -> list[Shown]:
        # A room we are joining is shown when the server confirms the JOIN.
        if self.find(event.name) or not self.features.is_channel(event.name):
            self.switch_to(self.open_buffer(event.name))
        return []

    def _buffer_closed(self, event: BufferClosed) -> list[Shown]:
        buffer = self.find(event.name)
        if buffer is None or buffer.kind is BufferKind.SERVER:
            return []
        del self.buffers[self.fold(buffer.name)]
        if buffer is self.current:
            self.current = self.buffers[SERVER_BUFFER]
        return []


_APPLIERS: dict[type, Callable[[ChatModel, Any], list[Shown]]] = {
    Registered: ChatModel._registered,
    FeaturesChanged: ChatModel._features_changed,
    Ready: ChatModel._ready,
    NickRejected: ChatModel._nick_rejected,
    MessageReceived: ChatModel._message_received,
    UserJoined: ChatModel._user_joined,
    UserParted: ChatModel._user_parted,
    UserQuit: ChatModel._user_quit,
    NickChanged: ChatModel._nick_changed,
    TopicChanged: ChatModel._topic_changed,
    NamesReceived: ChatModel._names_received,
    MemberModeChanged: ChatModel._member_mode_changed,
    AwayChanged: ChatModel._away_changed,
    ServerReplied: ChatModel._server_replied,
    NoteShown: ChatModel._note_shown,
    ConnectionLost: ChatModel._connection_lost,
    BufferOpened: ChatModel._buffer_opened,
    BufferClosed: ChatModel._buffer_closed,
}
