"""`ServerState`: users and channels; `apply(event)` is the only writer of them.

Rule 1 (after h11): nothing outside this module adds or removes nicks,
channels or memberships; handlers describe the change as an event.
Connection-local details (caps, registration progress) live on `User` and are
set by the registration handlers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import assert_never

from hubbub.core.channel import Channel, ListEntry, normalize_mask, sort_prefix_modes
from hubbub.core.errors import IrcError
from hubbub.core.events import (
    AccountChanged,
    AwayChanged,
    ChannelModeChanged,
    ChannelRegistered,
    ChannelRestored,
    Event,
    MessageSent,
    NickChanged,
    RealnameChanged,
    TopicChanged,
    UserInvited,
    UserJoined,
    UserKicked,
    UserModeChanged,
    UserParted,
    UserQuit,
    UserRegistered,
    WallopsSent,
)
from hubbub.core.ports import RegisteredChannel
from hubbub.core.user import SessionId, User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import CHANTYPES, Casefolded, casefold
from hubbub.protocol.modes import PREFIX_MODES, ModeChange

# The channels a session has left that it remembers (for join replay), at most.
PARTED_KEPT = 64
# The names of channels that disappeared that the server remembers, at most.
EMPTIED_KEPT = 100_000


@dataclass(frozen=True, slots=True)
class WhowasEntry:
    """What WHOWAS remembers about a nick that left."""

    nick: str
    username: str
    host: str
    realname: str
    at: float


class ServerState:
    """All users and channels of this node."""

    def __init__(self, whowas_entries: int = 8) -> None:
        self.sessions: dict[SessionId, User] = {}  # every connection, registered or not
        self.sessions_per_ip: dict[str, int] = {}
        self.users: dict[Casefolded, User] = {}  # nick registry (claimed nicks)
        self.channels: dict[Casefolded, Channel] = {}
        self.whowas: dict[Casefolded, deque[WhowasEntry]] = {}
        self.whowas_entries = whowas_entries
        # MONITOR: nick -> users watching it.
        self.watchers: dict[Casefolded, set[User]] = {}
        # LUSERS counts, kept as users change so no query walks every user.
        self.registered_count = 0
        self.invisible_count = 0
        self.oper_count = 0
        self.max_registered = 0
        # Channels that disappeared (emptied) in this run, oldest first: one
        # made again under the name reads none of the earlier one's history
        # (`Channel.history_floor`). Bounded: the oldest are forgotten past
        # `EMPTIED_KEPT`.
        self.emptied: dict[Casefolded, None] = {}

    # Lookups

    def find_user(self, nick: str) -> User | None:
        """The user holding `nick`, if any (registered or registering)."""
        return self.users.get(casefold(nick))

    def require_user(self, nick: str) -> User:
        """Raises: IrcError(ERR_NOSUCHNICK) unless a registered user has `nick`."""
        user = self.users.get(casefold(nick))
        if user is None or not user.registered:
            raise IrcError(n.ERR_NOSUCHNICK, nick)
        return user

    def find_channel(self, name: str) -> Channel | None:
        """The channel called `name`, if it exists."""
        return self.channels.get(casefold(name))

    def require_channel(self, name: str) -> Channel:
        """Raises: IrcError(ERR_NOSUCHCHANNEL) unless the channel exists."""
        channel = self.channels.get(casefold(name))
        if channel is None:
            raise IrcError(n.ERR_NOSUCHCHANNEL, name)
        return channel

    def registered_users(self) -> list[User]:
        """Every registered user."""
        return [user for user in self.users.values() if user.registered]

    # Connection-local bookkeeping (not replicated)

    def add_session(self, user: User) -> None:
        """Track a new connection."""
        self.sessions[user.session_id] = user
        self.sessions_per_ip[user.ip] = self.sessions_per_ip.get(user.ip, 0) + 1

    def claim_nick(self, user: User, nick: str) -> None:
        """Give an unregistered connection `nick` (checked free by the caller)."""
        assert not user.registered
        if user.nick != "*":
            self.users.pop(user.key, None)
        user.nick = nick
        self.users[user.key] = user

    def remove_session(self, user: User) -> None:
        """Forget a connection that ends before or after registering."""
        if self.sessions.pop(user.session_id, None) is not None:
            remaining = self.sessions_per_ip[user.ip] - 1
            if remaining:
                self.sessions_per_ip[user.ip] = remaining
            else:
                del self.sessions_per_ip[user.ip]
        if self.users.get(user.key) is user:
            del self.users[user.key]
        for key in user.monitoring:
            watchers = self.watchers.get(key)
            if watchers is not None:
                watchers.discard(user)
                if not watchers:
                    del self.watchers[key]
        user.monitoring.clear()

    def watch(self, user: User, key: Casefolded) -> None:
        """MONITOR + for one nick."""
        user.monitoring.add(key)
        self.watchers.setdefault(key, set()).add(user)

    def unwatch(self, user: User, key: Casefolded) -> None:
        """MONITOR - for one nick."""
        user.monitoring.discard(key)
        watchers = self.watchers.get(key)
        if watchers is not None:
            watchers.discard(user)
            if not watchers:
                del self.watchers[key]

    # The writer

    def apply(self, event: Event) -> None:  # noqa: C901 - one branch per event type
        """Change the state as `event` says."""
        if isinstance(event, MessageSent):
            # The common case first (compiled, a class pattern reads the
            # attribute by name). Delivered; history is a port. A channel
            # counts its messages (for join replay, core/commands/history.py).
            target = event.target
            if target[:1] in CHANTYPES and event.command != "TAGMSG":
                channel = self.channels.get(casefold(target))
                if channel is not None:
                    channel.messages += 1
            return
        match event:
            case WallopsSent():
                pass  # delivered, nothing to store
            case UserRegistered(nick):
                user = self.users[casefold(nick)]
                user.registered = True
                self.registered_count += 1
                self._count_modes(user, +1)
                self.max_registered = max(self.max_registered, self.registered_count)
            case NickChanged(old_nick, new_nick, _, at):
                user = self.users.pop(casefold(old_nick))
                self._remember(user, at)
                user.nick = new_nick
                self.users[user.key] = user
                self._move_invitations(casefold(old_nick), user.key)
            case UserQuit(nick, _, _, at):
                self._apply_quit(nick, at)
            case UserJoined(nick, channel_name, at):
                self._apply_join(nick, channel_name, at)
            case UserParted(nick, channel_name, _):
                self._remove_member(casefold(nick), casefold(channel_name))
            case UserKicked(_, channel_name, nick, _):
                self._remove_member(casefold(nick), casefold(channel_name))
            case TopicChanged(channel_name, topic, by, at):
                channel = self.channels[casefold(channel_name)]
                channel.topic, channel.topic_by, channel.topic_at = topic, by, at
            case ChannelModeChanged(channel_name, by, changes, at):
                channel = self.channels[casefold(channel_name)]
                for change in changes:
                    self._apply_channel_mode(channel, change, by, at)
            case UserModeChanged(nick, _, changes):
                user = self.users[casefold(nick)]
                self._count_modes(user, -1)
                for change in changes:
                    if change.adding:
                        user.modes.add(change.letter)
                    else:
                        user.modes.discard(change.letter)
                        if change.letter == "o":
                            user.oper_name = None
                self._count_modes(user, +1)
            case AwayChanged(nick, message):
                self.users[casefold(nick)].away = message
            case AccountChanged(nick, account):
                self.users[casefold(nick)].account = account
            case RealnameChanged(nick, realname):
                self.users[casefold(nick)].realname = realname
            case UserInvited(_, nick, channel_name):
                invited_to = self.channels.get(casefold(channel_name))
                if invited_to is not None:
                    invited_to.invited.add(casefold(nick))
            case ChannelRegistered(channel_name, registration):
                registered = self.channels[casefold(channel_name)]
                registered.registration = registration
                if registration is None and not registered.members:
                    self._channel_gone(registered.key)
            case ChannelRestored(registration):
                self._restore(registration)
            case _:
                assert_never(event)

    def _move_invitations(self, old: Casefolded, new: Casefolded) -> None:
        # Invitations follow the user, never the nick's next holder.
        for channel in self.channels.values():
            if old in channel.invited:
                channel.invited.discard(old)
                channel.invited.add(new)

    def _remember(self, user: User, at: float) -> None:
        entries = self.whowas.setdefault(user.key, deque(maxlen=self.whowas_entries))
        entries.appendleft(
            WhowasEntry(user.nick, user.username, user.host, user.realname, at)
        )

    def _apply_quit(self, nick: str, at: float) -> None:
        user = self.users.pop(casefold(nick))
        self._remember(user, at)
        self.registered_count -= 1
        self._count_modes(user, -1)
        for channel in self.channels.values():
            channel.invited.discard(user.key)
        for channel_key in list(user.channels):
            self._remove_member(user.key, channel_key, user)

    def _restore(self, registration: RegisteredChannel) -> None:
        key = casefold(registration.name)
        channel = self.channels.get(key)
        if channel is None:
            channel = Channel(
                registration.name, key, created_at=registration.registered_at
            )
            self.channels[key] = channel
        channel.registration = registration
        channel.topic = registration.topic
        channel.topic_by = registration.topic_by
        channel.topic_at = registration.topic_at
        channel.modes = set(registration.modes)
        channel.password = registration.key
        channel.limit = registration.limit

    def _count_modes(self, user: User, sign: int) -> None:
        if "i" in user.modes:
            self.invisible_count += sign
        if "o" in user.modes:
            self.oper_count += sign

    def _apply_join(self, nick: str, channel_name: str, at: float) -> None:
        user = self.users[casefold(nick)]
        key = casefold(channel_name)
        channel = self.channels.get(key)
        if channel is None:
            channel = Channel(channel_name, key, created_at=at)
            if key in self.emptied:
                del self.emptied[key]
                channel.history_floor = at
            self.channels[key] = channel
            channel.members[user] = "o"  # the first joiner is op
        else:
            channel.members[user] = ""
        channel.invited.discard(user.key)
        user.channels[key] = channel

    def _remove_member(
        self, nick_key: Casefolded, channel_key: Casefolded, user: User | None = None
    ) -> None:
        user = user or self.users[nick_key]
        channel = user.channels.pop(channel_key, None)
        if channel is None:
            return
        channel.members.pop(user, None)
        parted = user.parted
        if parted is None or len(parted) >= PARTED_KEPT:
            user.parted = parted = {}
        parted[channel_key] = (channel, channel.messages)
        if not channel.members and channel.registration is None:
            # Empty channels disappear (Modern: "Channels").
            self._channel_gone(channel_key)

    def _channel_gone(self, key: Casefolded) -> None:
        del self.channels[key]
        emptied = self.emptied
        emptied.pop(key, None)  # to the end: the newest
        if len(emptied) >= EMPTIED_KEPT:
            del emptied[next(iter(emptied))]  # the oldest is forgotten first
        emptied[key] = None

    def _apply_channel_mode(
        self, channel: Channel, change: ModeChange, by: str, at: float
    ) -> None:
        letter, argument = change.letter, change.argument
        if letter in PREFIX_MODES:
            assert argument is not None
            member = self.users[casefold(argument)]
            current = channel.members[member]
            updated = current + letter if change.adding else current.replace(letter, "")
            channel.members[member] = sort_prefix_modes(updated)
        elif letter in channel.lists:
            assert argument is not None
            entries = channel.lists[letter]
            mask = normalize_mask(argument)
            entries[:] = [
                entry for entry in entries if casefold(entry.mask) != casefold(mask)
            ]
            if change.adding:
                entries.append(ListEntry(mask, by, at))
        elif letter == "k":
            channel.password = argument if change.adding else None
        elif letter == "l":
            channel.limit = int(argument) if change.adding and argument else None
        elif change.adding:
            channel.modes.add(letter)
        else:
            channel.modes.discard(letter)
