"""What the screen shows: `Buffer`s (server, channels, private chats), their `Line`s
and members. Plain values; `ChatModel` is their only writer.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class BufferKind(enum.StrEnum):
    """What a buffer is a conversation with."""

    SERVER = "server"
    CHANNEL = "channel"
    QUERY = "query"  # a private conversation with one person


class LineKind(enum.StrEnum):
    """What a line says, so each interface can style it."""

    MESSAGE = "message"
    ACTION = "action"
    NOTICE = "notice"
    JOIN = "join"
    PART = "part"
    NICK = "nick"
    TOPIC = "topic"
    INFO = "info"  # a server reply the user asked for
    WELCOME = "welcome"  # the registration burst, the MOTD
    ERROR = "error"
    NOTE = "note"  # the client speaking


TALK = frozenset({LineKind.MESSAGE, LineKind.ACTION, LineKind.NOTICE})


@dataclass(frozen=True, slots=True)
class Line:
    """One line in a buffer. For talk, `nick` said `text`; otherwise `text` is whole."""

    time: datetime
    kind: LineKind
    text: str
    nick: str = ""
    is_self: bool = False
    is_highlight: bool = False  # mentions our nick


@dataclass(slots=True)
class Member:
    """Someone in a channel."""

    nick: str
    prefixes: str = ""  # "@+" with multi-prefix, highest rank first
    away: str | None = None  # the away message, None when here


@dataclass(slots=True)
class Buffer:
    """One conversation: its lines, unread counts and, for a channel, its members."""

    name: str
    kind: BufferKind
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=2000))
    unread: int = 0  # talk lines added while not shown
    highlights: int = 0  # of those, the ones that mention us
    # The number of lines that had been read when the user last looked away;
    # the interface draws a "new" marker after them.
    read_marker: int | None = None
    members: dict[str, Member] = field(default_factory=dict)  # by folded nick
    topic: str = ""
    is_joined: bool = False

    def sorted_members(self, prefix_chars: str) -> list[Member]:
        """Members by rank (ops first), then by nick."""

        def rank(member: Member) -> tuple[int, str]:
            first = member.prefixes[:1]
            position = prefix_chars.find(first) if first else len(prefix_chars)
            return (
                position if position >= 0 else len(prefix_chars),
                member.nick.lower(),
            )

        return sorted(self.members.values(), key=rank)


class Shown(NamedTuple):
    """A line just added to a buffer (what `ChatModel.apply` returns)."""

    buffer: Buffer
    line: Line


class RecentIds:
    """The last `capacity` message ids seen, to drop a message shown before
    (history replayed on a rejoin)."""

    def __init__(self, capacity: int = 10000) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._capacity = capacity

    def is_new(self, msgid: str) -> bool:
        """Remember `msgid`; was it new?"""
        if msgid in self._ids:
            return False
        if len(self._order) == self._capacity:
            self._ids.discard(self._order.popleft())
        self._order.append(msgid)
        self._ids.add(msgid)
        return True
