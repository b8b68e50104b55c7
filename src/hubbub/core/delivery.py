"""Delivery: who receives an event, and the bytes each recipient gets.

Every event is rendered here and nowhere else. A line for many recipients is
serialised once per tag profile (`Outgoing`), and the same bytes are appended
to each recipient's outbox.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol, assert_never

from hubbub.core.channel import Channel
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
from hubbub.core.ports import Clock
from hubbub.core.state import ServerState
from hubbub.core.user import TAGS_ACCOUNT, TAGS_MESSAGE_TAGS, TAGS_SERVER_TIME, User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import casefold
from hubbub.protocol.framing import encode_line
from hubbub.protocol.message import escape_tag_value
from hubbub.protocol.modes import PREFIX_BY_MODE, format_mode_changes


class Send(Protocol):
    """`Engine.send`: queue bytes for a user (`response=False`: never labeled)."""

    def __call__(self, user: User, data: bytes, *, response: bool = True) -> None:
        """Queue `data` for `user`."""


def format_server_time(at: float) -> str:
    """IRCv3 server-time: `YYYY-MM-DDThh:mm:ss.sssZ` in UTC."""
    total = round(at * 1000)
    seconds, millis = divmod(total, 1000)
    # %-formatting: a compiled f-string with a format spec costs more.
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return stamp + ".%03dZ" % millis  # noqa: UP031


class Outgoing:
    """One line for many recipients, encoded at most once per tag profile."""

    __slots__ = ("account_tag", "at", "encoded", "line", "message_tags", "msgid")

    def __init__(
        self,
        line: str,
        at: float,
        message_tags: str = "",
        account: str | None = None,
        msgid: str = "",
    ) -> None:
        self.line = line
        self.at = at  # formatted only if a recipient asked for server-time
        # Tags only clients with message-tags get: the msgid (its tag built
        # only if such a client receives the line), then bot and client tags.
        self.msgid = msgid
        self.message_tags = message_tags
        # IRCv3 account-tag: the sender's account, for clients with the cap.
        self.account_tag = "account=" + escape_tag_value(account) if account else ""
        # By tag mask: the bytes for recipients with those tags, once made.
        self.encoded: list[bytes | None] = [None] * 8

    def to(self, user: User) -> bytes:
        """The bytes for `user`, given the tags its capabilities ask for."""
        mask = user.tag_mask
        data = self.encoded[mask]
        if data is None and not mask:  # no tags asked for: the common case
            data = encode_line(self.line)
            self.encoded[0] = data
        elif data is None:
            tags = []
            if mask & TAGS_SERVER_TIME:
                tags.append("time=" + format_server_time(self.at))
            if mask & TAGS_MESSAGE_TAGS:
                if self.msgid:
                    tags.append("msgid=" + self.msgid)
                if self.message_tags:
                    tags.append(self.message_tags)
            if mask & TAGS_ACCOUNT and self.account_tag:
                tags.append(self.account_tag)
            prefix = "@" + ";".join(tags) + " " if tags else ""
            data = encode_line(prefix + self.line)
            self.encoded[mask] = data
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
    if len(params) == 2:  # a target and a text: every PRIVMSG, in one go
        return f":{source} {command} {params[0]} :{params[1]}"
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
        self._event_msgid: str | None = None
        self._event_at: float | None = None

    def deliver(  # noqa: C901 - one branch per event type
        self,
        event: Event,
        msgid: str | None = None,
        at: float | None = None,
        sender: User | None = None,
        recipient: User | None = None,
    ) -> None:
        """Send `event` to everyone who sees it. Call before `state.apply(event)`.

        `msgid` and `at` are what history recorded the event with, if anything.
        `sender` and `recipient`: a message's users, if at hand (`Engine.apply`).
        """
        self._event_msgid = msgid  # its tag is built only for an event's own line
        self._event_at = at
        match event:
            case MessageSent():
                self._message(event, sender, recipient)
            case UserJoined():
                self._join(event)
            case UserParted():
                self._part(event)
            case UserKicked():
                self._kick(event)
            case TopicChanged():
                self._topic(event)
            case ChannelModeChanged():
                self._channel_mode(event)
            case UserModeChanged():
                self._user_mode(event)
            case NickChanged():
                self._nick(event)
            case UserQuit():
                self._quit(event)
            case UserRegistered():
                self._monitor(event.nick, online=self.state.users[casefold(event.nick)])
            case AwayChanged():
                self._away(event)
            case AccountChanged():
                self._account(event)
            case RealnameChanged():
                self._setname(event)
            case UserInvited():
                self._invite(event)
            case ChannelRegistered() | ChannelRestored():
                pass  # nothing to tell: services answer the caller themselves
            case WallopsSent():
                out = Outgoing(
                    text_line(event.source, "WALLOPS", event.text), self._now()
                )
                self._to_all(
                    (u for u in self.state.sessions.values() if "w" in u.modes), out
                )
            case _:
                assert_never(event)

    def _event_out(self, text: str) -> Outgoing:
        """A recorded event's line, with the time and msgid history gave it."""
        at = self._event_at if self._event_at is not None else self._now()
        msgid = self._event_msgid
        return Outgoing(text, at, msgid=msgid or "")

    def _observers(self, user: User, cap: str) -> set[User]:
        """Who hears of `user`'s own changes under `cap`: channel peers, and
        MONITOR watchers with extended-monitor (IRCv3 extended-monitor)."""
        observers = {u for u in shared_channel_members(user) if u.has_cap(cap)}
        for watcher in self.state.watchers.get(user.key, ()):
            if (
                watcher is not user
                and watcher.has_cap(cap)
                and watcher.has_cap("extended-monitor")
            ):
                observers.add(watcher)
        return observers

    # Simple fan-outs

    def _part(self, event: UserParted) -> None:
        user = self.state.users[casefold(event.nick)]
        channel = self.state.channels[casefold(event.channel)]
        if event.reason is None:
            text = line(user.mask, "PART", channel.name)
        else:
            text = text_line(user.mask, "PART", channel.name, event.reason)
        self._to_all(channel.members, self._event_out(text))

    def _kick(self, event: UserKicked) -> None:
        channel = self.state.channels[casefold(event.channel)]
        target = self.state.users[casefold(event.nick)]
        text = text_line(event.by, "KICK", channel.name, target.nick, event.reason)
        self._to_all(channel.members, self._event_out(text))

    def _topic(self, event: TopicChanged) -> None:
        channel = self.state.channels[casefold(event.channel)]
        text = text_line(event.by, "TOPIC", channel.name, event.topic)
        self._to_all(channel.members, self._event_out(text))

    def _channel_mode(self, event: ChannelModeChanged) -> None:
        channel = self.state.channels[casefold(event.channel)]
        params = format_mode_changes(list(event.changes))
        text = " ".join((f":{event.by}", "MODE", channel.name, *params))
        self._to_all(channel.members, self._event_out(text))

    def _user_mode(self, event: UserModeChanged) -> None:
        user = self.state.users[casefold(event.nick)]
        params = format_mode_changes(list(event.changes))
        out = Outgoing(line(event.by, "MODE", user.nick, *params), self._now())
        self.send(user, out.to(user))

    def _quit(self, event: UserQuit) -> None:
        user = self.state.users[casefold(event.nick)]
        out = self._event_out(text_line(event.mask, "QUIT", event.reason))
        self._to_all(shared_channel_members(user), out)
        self._monitor(user.nick, online=None)

    def _away(self, event: AwayChanged) -> None:
        user = self.state.users[casefold(event.nick)]
        if event.message is None:
            text = line(user.mask, "AWAY")
        else:
            text = text_line(user.mask, "AWAY", event.message)
        self._to_all(self._observers(user, "away-notify"), Outgoing(text, self._now()))

    def _account(self, event: AccountChanged) -> None:
        user = self.state.users[casefold(event.nick)]
        text = line(user.mask, "ACCOUNT", event.account or "*")
        self._to_all(
            self._observers(user, "account-notify"), Outgoing(text, self._now())
        )

    def _setname(self, event: RealnameChanged) -> None:
        user = self.state.users[casefold(event.nick)]
        out = Outgoing(text_line(user.mask, "SETNAME", event.realname), self._now())
        watchers = self._observers(user, "setname")
        if user.has_cap("setname"):
            watchers.add(user)
        self._to_all(watchers, out)

    def _to_all(self, users: Iterable[User], out: Outgoing) -> None:
        send = self.send
        for user in users:
            send(user, out.to(user))

    # Messages: the hot path

    def render_message(
        self, event: MessageSent, sender: User | None = None
    ) -> Outgoing:
        """A PRIVMSG/NOTICE/TAGMSG with its tags, ready for any recipient.

        `sender` is the user `event.source` names, when the caller has it.
        """
        if sender is None:
            sender = self.state.users[casefold(event.source)]
        message_tags = ""  # after the msgid's tag
        if sender.is_bot or event.client_tags:
            tags = ["bot"] if sender.is_bot else []
            tags.extend(
                f"{key}={escape_tag_value(value)}" if value else key
                for key, value in event.client_tags.items()
            )
            message_tags = ";".join(tags)
        if event.text is None:
            text = line(sender.mask, event.command, event.target)
        else:
            text = text_line(sender.mask, event.command, event.target, event.text)
        return Outgoing(text, event.at, message_tags, sender.account, event.msgid)

    def _message(
        self, event: MessageSent, sender: User | None, recipient: User | None
    ) -> None:
        if sender is None:
            sender = self.state.users[casefold(event.source)]
        out = self.render_message(event, sender)
        only_tagged = event.command == "TAGMSG"
        target = event.target.lstrip("@+")
        if target[:1] in "#&":
            channel = self.state.channels[casefold(target)]
            minimum = event.target[: len(event.target) - len(target)]
            self._to_channel(channel, sender, out, minimum, only_tagged)
        else:
            if recipient is None:
                recipient = self.state.users[casefold(target)]
            if not only_tagged or recipient.tag_mask & TAGS_MESSAGE_TAGS:
                if recipient is sender and recipient.capture is not None:
                    # A message to oneself, from a command whose answers are
                    # collected (labeled-response, or one that waits): the
                    # copy is a side effect, ahead of the echo that answers.
                    self.send(recipient, out.to(recipient), response=False)
                else:
                    # Straight into the outbox (behind the answers of a
                    # command of the recipient's under way, if any).
                    # Compiled, `self.send` is a generic call with a keyword,
                    # a twentieth of a private message's handling.
                    recipient.outbox.put(out.to(recipient))

    def echo(self, event: MessageSent) -> None:
        """IRCv3 echo-message: the sender's own copy (sent once it is stored)."""
        sender = self.state.users.get(casefold(event.source))
        if sender is None or not sender.has_cap("echo-message"):
            return
        if event.command == "TAGMSG" and not sender.tag_mask & TAGS_MESSAGE_TAGS:
            return
        self.send(sender, self.render_message(event).to(sender))

    def _to_channel(
        self,
        channel: Channel,
        sender: User,
        out: Outgoing,
        minimum: str,
        only_tagged: bool,
    ) -> None:
        # Straight into each member's outbox: labeled-response captures only
        # the caller's own lines, and the sender is not among the recipients.
        if not minimum and not only_tagged:
            # The hot path: one tight loop, bytes shared by every member whose
            # capabilities ask for the same tags.
            encoded = out.encoded
            for member in channel.members:
                if member is not sender:
                    data = encoded[member.tag_mask] or out.to(member)
                    member.outbox.put(data)
            return
        lowest = minimum[-1:] if minimum else ""
        for member, status in channel.members.items():
            if member is sender:
                continue
            if only_tagged and not member.tag_mask & TAGS_MESSAGE_TAGS:
                continue
            if lowest and not _has_rank(status, lowest):
                continue
            member.outbox.put(out.to(member))

    # Membership

    def _join(self, event: UserJoined) -> None:
        user = self.state.users[casefold(event.nick)]
        channel = self.state.channels.get(casefold(event.channel))
        name = channel.name if channel is not None else event.channel
        at = event.at
        plain = self._event_out(line(user.mask, "JOIN", name))
        account = user.account or "*"
        extended = self._event_out(
            " ".join((f":{user.mask}", "JOIN", name, account, ":" + user.realname))
        )
        members = [*channel.members] if channel is not None else []
        for member in [*members, user]:
            out = extended if member.has_cap("extended-join") else plain
            self.send(member, out.to(member))
        if user.away is not None:
            away = Outgoing(text_line(user.mask, "AWAY", user.away), at)
            self._to_all((m for m in members if m.has_cap("away-notify")), away)

    def _nick(self, event: NickChanged) -> None:
        old_nick, new_nick, old_mask = event.old_nick, event.new_nick, event.old_mask
        user = self.state.users[casefold(old_nick)]
        out = self._event_out(line(old_mask, "NICK", new_nick))
        self._to_all([user, *shared_channel_members(user)], out)
        if casefold(old_nick) != casefold(new_nick):
            self._monitor(old_nick, online=None)
            self._monitor(
                new_nick, online=user, mask=f"{new_nick}!{user.username}@{user.host}"
            )

    def _invite(self, event: UserInvited) -> None:
        channel_name = event.channel
        inviter = self.state.users[casefold(event.by)]
        target = self.state.users[casefold(event.nick)]
        channel = self.state.channels.get(casefold(channel_name))
        out = Outgoing(
            line(inviter.mask, "INVITE", target.nick, channel_name),
            self._now(),
            account=inviter.account,
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
