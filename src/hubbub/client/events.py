"""What happened, as the user interfaces need to know it: frozen past-tense facts.

`ClientSession` turns IRC lines into these; `ChatClient` adds the connection's
own (`ConnectionLost`, `NoteShown`); `ChatModel.apply` is their only reader
that changes state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class MessageKind(enum.StrEnum):
    """How a message was sent."""

    PRIVMSG = "privmsg"
    NOTICE = "notice"
    ACTION = "action"  # CTCP ACTION, `/me`


@dataclass(frozen=True, slots=True)
class ServerFeatures:
    """The ISUPPORT tokens the client uses (https://modern.ircdocs.horse/#rplisupport-005)."""

    casemapping: str = "rfc1459"
    chantypes: str = "#&"
    # PREFIX=(ov)@+ as {"o": "@", "v": "+"}, highest rank first.
    prefixes: tuple[tuple[str, str], ...] = (("o", "@"), ("v", "+"))
    # CHANMODES groups A (lists), B (always a parameter), C (a parameter when
    # set), D (flags): which MODE letters take a parameter.
    chanmodes: tuple[str, ...] = ("beI", "k", "l", "imnpst")

    @property
    def prefix_chars(self) -> str:
        """The prefix symbols, highest rank first ("@+")."""
        return "".join(symbol for _, symbol in self.prefixes)

    def is_channel(self, name: str) -> bool:
        """Does `name` name a channel on this server?"""
        return bool(name) and name[0] in self.chantypes


@dataclass(frozen=True, slots=True)
class Registered:
    """The server welcomed us (001) under `nick`."""

    nick: str
    server: str
    features: ServerFeatures


@dataclass(frozen=True, slots=True)
class FeaturesChanged:
    """ISUPPORT told us more about the server."""

    features: ServerFeatures


@dataclass(frozen=True, slots=True)
class Ready:
    """Registration and the first joins are done: input can flow."""


@dataclass(frozen=True, slots=True)
class NickRejected:
    """The server refused our nick before registration (433, 432, 436, 437)."""

    nick: str
    reason: str


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A PRIVMSG, NOTICE or ACTION to a channel or to a person (us or, echoed, them)."""

    time: datetime
    buffer: str  # the channel, or the other person's nick for a private message
    nick: str  # the sender
    text: str
    kind: MessageKind = MessageKind.PRIVMSG
    is_private: bool = False
    is_self: bool = False
    is_history: bool = False  # replayed (a chathistory batch), not new
    msgid: str | None = None  # IRCv3 msgid: the same message replayed is dropped


@dataclass(frozen=True, slots=True)
class UserJoined:
    """`nick` joined `channel`."""

    time: datetime
    channel: str
    nick: str
    is_self: bool = False


@dataclass(frozen=True, slots=True)
class UserParted:
    """`nick` left `channel` (PART or KICK)."""

    time: datetime
    channel: str
    nick: str
    reason: str = ""
    is_self: bool = False
    kicked_by: str | None = None


@dataclass(frozen=True, slots=True)
class UserQuit:
    """`nick` left the server."""

    time: datetime
    nick: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class NickChanged:
    """`old` is now known as `new`."""

    time: datetime
    old: str
    new: str
    is_self: bool = False


@dataclass(frozen=True, slots=True)
class TopicChanged:
    """The topic of `channel`, set just now (`by`) or shown on join (`by` None)."""

    time: datetime
    channel: str
    topic: str
    by: str | None = None


@dataclass(frozen=True, slots=True)
class NamesReceived:
    """The full member list of `channel` (353 ... 366): (nick, prefix symbols) pairs."""

    channel: str
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class MemberModeChanged:
    """A prefix mode (op, voice) given or taken in `channel`."""

    time: datetime
    channel: str
    nick: str
    symbol: str
    is_given: bool
    by: str


@dataclass(frozen=True, slots=True)
class AwayChanged:
    """`nick` went away (`message`) or came back (None): away-notify."""

    nick: str
    message: str | None


@dataclass(frozen=True, slots=True)
class ServerReplied:
    """A line of server output worth showing: a reply, an error, the MOTD."""

    time: datetime
    text: str
    buffer: str | None = None  # None: the server buffer
    is_error: bool = False
    is_welcome: bool = False  # the registration burst: hidden in plain mode


@dataclass(frozen=True, slots=True)
class NoteShown:
    """Something the client itself says: help, a refused command, a status."""

    text: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The connection ended; reconnecting in `retry_in_seconds` (None: not retrying)."""

    reason: str
    retry_in_seconds: float | None


@dataclass(frozen=True, slots=True)
class BufferOpened:
    """The user opened or switched to a buffer (`/query`, `/join` of a joined room)."""

    name: str


@dataclass(frozen=True, slots=True)
class BufferClosed:
    """The user closed a private chat (`/part` or `/close` in it)."""

    name: str


Event = (
    Registered
    | FeaturesChanged
    | Ready
    | NickRejected
    | MessageReceived
    | UserJoined
    | UserParted
    | UserQuit
    | NickChanged
    | TopicChanged
    | NamesReceived
    | MemberModeChanged
    | AwayChanged
    | ServerReplied
    | NoteShown
    | ConnectionLost
    | BufferOpened
    | BufferClosed
)
