"""Events: past-tense facts about the chat, the only input to `ServerState.apply`.

Each event names users by nick and channels by name (plain values, no
objects), so the same event can be applied locally, rendered for recipients,
and later shipped to other nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Final

from hubbub.core.ports import RegisteredChannel
from hubbub.protocol.message import NO_TAGS
from hubbub.protocol.modes import ModeChange


@dataclass(frozen=True, slots=True)
class UserRegistered:
    """A connection finished registration under `nick`."""

    nick: str


@dataclass(frozen=True, slots=True)
class NickChanged:
    """A registered user changed nick."""

    old_nick: str
    new_nick: str
    old_mask: str
    at: float


@dataclass(frozen=True, slots=True)
class UserQuit:
    """A registered user left the server."""

    nick: str
    mask: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class UserJoined:
    """A user joined a channel (creating it when it did not exist)."""

    nick: str
    channel: str
    at: float


@dataclass(frozen=True, slots=True)
class UserParted:
    """A user left a channel."""

    nick: str
    channel: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class UserKicked:
    """An operator removed a user from a channel."""

    by: str  # the kicker's mask
    channel: str
    nick: str
    reason: str


@dataclass(frozen=True, slots=True)
class TopicChanged:
    """A channel's topic was set or cleared."""

    channel: str
    topic: str
    by: str  # the setter's mask
    at: float


@dataclass(frozen=True, slots=True)
class ChannelModeChanged:
    """Channel modes (flags, key, limit, lists, prefixes) changed."""

    channel: str
    by: str  # the source: a mask or the server name
    changes: tuple[ModeChange, ...]
    at: float


@dataclass(frozen=True, slots=True)
class UserModeChanged:
    """A user's own modes changed."""

    nick: str
    by: str
    changes: tuple[ModeChange, ...]


@dataclass(frozen=True, slots=True)
class AwayChanged:
    """A user went away (`message`) or came back (None)."""

    nick: str
    message: str | None


@dataclass(frozen=True, slots=True)
class AccountChanged:
    """A user logged in to an account (`account`) or out (None)."""

    nick: str
    account: str | None


@dataclass(frozen=True, slots=True)
class RealnameChanged:
    """A user changed their realname (SETNAME)."""

    nick: str
    realname: str


@dataclass(frozen=True, slots=True)
class UserInvited:
    """A user was invited to a channel."""

    by: str  # the inviter's nick
    nick: str
    channel: str


@dataclass(frozen=True, slots=True)
class ChannelRegistered:
    """A channel's registration was made, changed (ops, settings) or dropped (None)."""

    channel: str
    registration: RegisteredChannel | None


@dataclass(frozen=True, slots=True)
class ChannelRestored:
    """A registered channel was loaded from storage at start-up (it may be empty)."""

    registration: RegisteredChannel


class MessageSent:
    """A PRIVMSG, NOTICE or TAGMSG from a user to a channel or a user.

    `target` is what the sender wrote (a nick, a channel, or a STATUSMSG form
    such as `@#chan`); `client_tags` are the sender's `+` tags.

    The one event made for every message, so a class of its own rather than
    a frozen dataclass: as read-only (`Final`) and compared the same way, and
    in the compiled build built in a fraction of the time (a NamedTuple's
    `__new__` runs as bytecode, a frozen dataclass's `__init__` sets each
    field through `object.__setattr__`).
    """

    __slots__ = ("at", "client_tags", "command", "msgid", "source", "target", "text")
    # ClassVar: else mypyc makes it an attribute of each instance.
    __match_args__: ClassVar[tuple[str, ...]] = (
        "source",
        "command",
        "target",
        "text",
        "msgid",
        "at",
    )

    def __init__(
        self,
        source: str,  # the sender's nick
        command: str,
        target: str,
        text: str | None,
        msgid: str,
        at: float,
        client_tags: Mapping[str, str] = NO_TAGS,
    ) -> None:
        self.source: Final = source
        self.command: Final = command
        self.target: Final = target
        self.text: Final = text
        self.msgid: Final = msgid
        self.at: Final = at
        self.client_tags: Final = client_tags

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MessageSent):
            return NotImplemented
        return (
            self.source == other.source
            and self.command == other.command
            and self.target == other.target
            and self.text == other.text
            and self.msgid == other.msgid
            and self.at == other.at
            and self.client_tags == other.client_tags
        )

    __hash__ = None  # type: ignore[assignment]  # client_tags are a mapping

    def __repr__(self) -> str:
        return (
            f"MessageSent(source={self.source!r}, command={self.command!r}, "
            f"target={self.target!r}, text={self.text!r}, msgid={self.msgid!r}, "
            f"at={self.at!r}, client_tags={dict(self.client_tags)!r})"
        )


@dataclass(frozen=True, slots=True)
class WallopsSent:
    """An operator's WALLOPS, delivered to users with +w."""

    source: str
    text: str


Event = (
    UserRegistered
    | NickChanged
    | UserQuit
    | UserJoined
    | UserParted
    | UserKicked
    | TopicChanged
    | ChannelModeChanged
    | UserModeChanged
    | AwayChanged
    | AccountChanged
    | RealnameChanged
    | UserInvited
    | ChannelRegistered
    | ChannelRestored
    | MessageSent
    | WallopsSent
)
