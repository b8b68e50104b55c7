"""Delivery: who receives an event, and the bytes each recipient gets.

Every event is rendered here and nowhere else. A line for many recipients is
serialised once per tag profile (`Outgoing`), and the same bytes are appended
to each recipient's outbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import assert_never

from hubbub.core.channel import Channel
from hubbub.core.events import (
    AwayChanged,
    ChannelModeChanged,
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
from hubbub.core.ports import Clock
from hubbub.core.state import ServerState
from hubbub.core.user import TAGS_MESSAGE_TAGS, TAGS_SERVER_TIME, User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold
from hubbub.protocol.message import escape_tag_value
from hubbub.protocol.modes import PREFIX_BY_MODE, format_mode_changes

Send = Callable[[User, bytes], None]


def format_server_time(at: float) -> str:
    """IRCv3 server-time: `YYYY-MM-DDThh:mm:ss.sssZ` in UTC."""
    millis = int(at * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{millis:03d}Z"


class Outgoing:
    """One line for many recipients, encoded at most once per tag profile."""

    __slots__ = ("_encoded", "line", "message_tags", "time_tag")

    def __init__(self, line: str, at: float, message_tags: str = "") -> None:
        self.line = line
        self.time_tag = "time=" + format_server_time(at)
        # Tags only clients with message-tags get: msgid, client tags, bot.
        self.message_tags = message_tags
        self._encoded: list[bytes | None] = [None, None, None, None]

    def to(self, user: User) -> bytes:
        """The bytes for `user`, given the tags its capabilities ask for."""
        mask = user.tag_mask
        data = self._encoded[mask]
        if data is None:
            tags = []
            if mask & TAGS_SERVER_TIME:
                tags.append(self.time_tag)
            if mask & TAGS_MESSAGE_TAGS and self.message_tags:
                tags.append(self.message_tags)
            prefix = "@" + ";".join(tags) + " " if tags else ""
            data = (prefix + self.line + "\r\n").encode("utf-8", errors="replace")
            self._encoded[mask] = data
        return data


def line(source: str, command: str, *params: str) -> str:
    """`:source COMMAND params...`; the last parameter gets ":" only when it must."""
    if not params:
        return f":{source} {command}"
    *middle, last = params
    if not last or " " in last or last.startswith(":"):
        last = ":" + last
    return " ".join((f":{source}", command, *middle, last))


def text_line(source: str, command: str, *params: str) -> str:
    """Like `line`, but the last parameter (free text) always has its ":"."""
    *middle, last = params
    return " ".join((f":{source}", command, *middle, ":" + last))


def shared_channel_members(user: User) -> set[User]:
    """Everyone who shares a channel with `user`, `user` excluded."""
    others: set[User] = set()
    for channel in user.channels.values():
        others.update(channel.members)
    others.discard(user)
    return others


class Delivery:
    """Renders events for the local users who should see them."""

    def __init__(
        self, state: ServerState, server_name: str, send: Send, clock: Clock
    ) -> None:
        self.state = state
        self.server_name = server_name
        self.send = send  # capture-aware: labeled-response collects the caller's lines
        self._now = clock.now

    def deliver(self, event: Event) -> None:  # noqa: C901 - one branch per event type
        """Send `event` to everyone who sees it. Call before `state.apply(event)`."""
        match event:
            case MessageSent():
                self._message(event)
            case UserJoined(nick, channel_name, at):
                self._join(nick, channel_name, at)
            case UserParted(nick, channel_name, reason):
                user = self.state.users[casefold(nick)]
                channel = self.state.channels[casefold(channel_name)]
                params = (channel.name,) if reason is None else (channel.name, reason)
                self._to_all(
                    channel.members,
                    Outgoing(
                        (text_line if reason is not None else line)(
                            user.mask, "PART", *params
                        ),
                        self._now(),
                    ),
                )
            case UserKicked(by, channel_name, nick, reason):
                channel = self.state.channels[casefold(channel_name)]
                target = self.state.users[casefold(nick)]
                text = text_line(by, "KICK", channel.name, target.nick, reason)
                self._to_all(channel.members, Outgoing(text, self._now()))
            case TopicChanged(channel_name, topic, by, at):
                channel = self.state.channels[casefold(channel_name)]
                self._to_all(
                    channel.members,
                    Outgoing(text_line(by, "TOPIC", channel.name, topic), at),
                )
            case ChannelModeChanged(channel_name, by, changes, at):
                channel = self.state.channels[casefold(channel_name)]
                params = format_mode_changes(list(changes))
                text = " ".join((f":{by}", "MODE", channel.name, *params))
                self._to_all(channel.members, Outgoing(text, at))
            case UserModeChanged(nick, by, changes):
                user = self.state.users[casefold(nick)]
                params = format_mode_changes(list(changes))
                out = Outgoing(line(by, "MODE", user.nick, *params), self._now())
                self.send(user, out.to(user))
            case NickChanged(old_nick, new_nick, old_mask, at):
                self._nick(old_nick, new_nick, old_mask, at)
            case UserQuit(nick, mask, reason, at):
                user = self.state.users[casefold(nick)]
                out = Outgoing(text_line(mask, "QUIT", reason), at)
                self._to_all(shared_channel_members(user), out)
                self._monitor(user.nick, online=None)
            case UserRegistered(nick):
                user = self.state.users[casefold(nick)]
                self._monitor(nick, online=user)
            case AwayChanged(nick, message):
                user = self.state.users[casefold(nick)]
                text = (
                    line(user.mask, "AWAY")
                    if message is None
                    else text_line(user.mask, "AWAY", message)
                )
                out = Outgoing(text, self._now())
                watchers = {
                    u for u in shared_channel_members(user) if u.has_cap("away-notify")
                }
                self._to_all(watchers, out)
            case RealnameChanged(nick, realname):
                user = self.state.users[casefold(nick)]
                out = Outgoing(text_line(user.mask, "SETNAME", realname), self._now())
                watchers = {
                    u for u in shared_channel_members(user) if u.has_cap("setname")
                }
                if user.has_cap("setname"):
                    watchers.add(user)
                self._to_all(watchers, out)
            case UserInvited(by, nick, channel_name):
                self._invite(by, nick, channel_name)
            case WallopsSent(source, text):
                out = Outgoing(text_line(source, "WALLOPS", text), self._now())
                self._to_all(
                    (u for u in self.state.sessions.values() if "w" in u.modes), out
                )
            case _:
                assert_never(event)

    def _to_all(self, users: Iterable[User], out: Outgoing) -> None:
        send = self.send
        for user in users:
            send(user, out.to(user))

    # Messages: the hot path

    def _message(self, event: MessageSent) -> None:
        sender = self.state.users[casefold(event.source)]
        tags = [f"msgid={event.msgid}"]
        if sender.is_bot:
            tags.append("bot")
        tags.extend(
            f"{key}={escape_tag_value(value)}" if value else key
            for key, value in event.client_tags.items()
        )
        if event.text is None:
            text = line(sender.mask, event.command, event.target)
        else:
            text = text_line(sender.mask, event.command, event.target, event.text)
        out = Outgoing(text, event.at, ";".join(tags))
        only_tagged = event.command == "TAGMSG"
        target = event.target.lstrip("@+")
        if target[:1] in "#&":
            channel = self.state.channels[casefold(target)]
            minimum = event.target[: len(event.target) - len(target)]
            self._to_channel(channel, sender, out, minimum, only_tagged)
        else:
            recipient = self.state.users[casefold(target)]
            if recipient is not sender and (not only_tagged or recipient.tag_mask & 2):
                self.send(recipient, out.to(recipient))
        if sender.has_cap("echo-message") and (not only_tagged or sender.tag_mask & 2):
            self.send(sender, out.to(sender))

    def _to_channel(
        self,
        channel: Channel,
        sender: User,
        out: Outgoing,
        minimum: str,
        only_tagged: bool,
    ) -> None:
        send = self.send
        lowest = minimum[-1:] if minimum else ""
        for member, status in channel.members.items():
            if member is sender:
                continue
            if only_tagged and not member.tag_mask & TAGS_MESSAGE_TAGS:
                continue
            if lowest and not _has_rank(status, lowest):
                continue
            send(member, out.to(member))

    # Membership

    def _join(self, nick: str, channel_name: str, at: float) -> None:
        user = self.state.users[casefold(nick)]
        channel = self.state.channels.get(casefold(channel_name))
        name = channel.name if channel is not None else channel_name
        plain = Outgoing(line(user.mask, "JOIN", name), at)
        account = user.account or "*"
        extended = Outgoing(
            " ".join((f":{user.mask}", "JOIN", name, account, ":" + user.realname)), at
        )
        members = [*channel.members] if channel is not None else []
        for member in [*members, user]:
            out = extended if member.has_cap("extended-join") else plain
            self.send(member, out.to(member))
        if user.away is not None:
            away = Outgoing(text_line(user.mask, "AWAY", user.away), at)
            self._to_all((m for m in members if m.has_cap("away-notify")), away)

    def _nick(self, old_nick: str, new_nick: str, old_mask: str, at: float) -> None:
        user = self.state.users[casefold(old_nick)]
        out = Outgoing(line(old_mask, "NICK", new_nick), at)
        self._to_all([user, *shared_channel_members(user)], out)
        if casefold(old_nick) != casefold(new_nick):
            self._monitor(old_nick, online=None)
            self._monitor(
                new_nick, online=user, mask=f"{new_nick}!{user.username}@{user.host}"
            )

    def _invite(self, by: str, nick: str, channel_name: str) -> None:
        inviter = self.state.users[casefold(by)]
        target = self.state.users[casefold(nick)]
        channel = self.state.channels.get(casefold(channel_name))
        out = Outgoing(
            line(inviter.mask, "INVITE", target.nick, channel_name), self._now()
        )
        self.send(target, out.to(target))
        if channel is None:
            return
        # IRCv3 invite-notify: other members with the cap hear of it.
        self._to_all(
            (
                m
                for m in channel.members
                if m.has_cap("invite-notify") and m is not inviter and m is not target
            ),
            out,
        )

    # MONITOR

    def _monitor(self, nick: str, online: User | None, mask: str | None = None) -> None:
        watchers = self.state.watchers.get(casefold(nick))
        if not watchers:
            return
        for watcher in watchers:
            if online is not None:
                numeric, target = n.RPL_MONONLINE, mask or online.mask
            else:
                numeric, target = n.RPL_MONOFFLINE, nick
            text = text_line(self.server_name, numeric.code, watcher.nick, target)
            self.send(watcher, (text + "\r\n").encode())


def _has_rank(status: str, lowest_symbol: str) -> bool:
    """STATUSMSG: does a member with prefix modes `status` reach `lowest_symbol`?"""
    symbols = [PREFIX_BY_MODE[mode] for mode in status]
    order = list(PREFIX_BY_MODE.values())
    return any(order.index(symbol) <= order.index(lowest_symbol) for symbol in symbols)
