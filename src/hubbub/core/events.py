"""Events: past-tense facts about the chat, the only input to `ServerState.apply`.

Each event names users by nick and channels by name (plain values, no
objects), so the same event can be applied locally, rendered for recipients,
and later shipped to other nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

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


class MessageSent(NamedTuple):
    """A PRIVMSG, NOTICE or TAGMSG from a user to a channel or a user.

    `target` is what the sender wrote (a nick, a channel, or a STATUSMSG form
    such as `@#chan`); `client_tags` are the sender's `+` tags.

    The one event made for every message, so a NamedTuple: as immutable as
    the frozen dataclasses, and built five times faster.
    """

    source: str  # the sender's nick
    command: str
    target: str
    text: str | None
    msgid: str
    at: float
    client_tags: Mapping[str, str] = NO_TAGS


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
