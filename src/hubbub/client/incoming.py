"""What other people (and the server, on their behalf) do: IRC commands as events.

One handler per command, in the table `HANDLERS`; numerics are in `replies`.
https://modern.ircdocs.horse/#client-messages
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hubbub.client.events import (
    AwayChanged,
    Event,
    MemberModeChanged,
    MessageKind,
    MessageReceived,
    NickChanged,
    ServerReplied,
    TopicChanged,
    UserJoined,
    UserParted,
    UserQuit,
)
from hubbub.client.names import nick_of
from hubbub.client.outgoing import parse_action
from hubbub.protocol.message import Message

if TYPE_CHECKING:
    from hubbub.client.session import ClientSession

Handler = Callable[["ClientSession", Message], list[Event]]
CLIENT_VERSION = "hubbub chat"


def handle_join(session: ClientSession, message: Message) -> list[Event]:
    """JOIN: someone (maybe us) joined a channel."""
    nick, channel = nick_of(message.source), message.param(0)
    is_self = session.is_self(nick)
    if is_self:
        session.channels[session.fold(channel)] = channel
        session.own_source = message.source
    return [UserJoined(session.time_of(message), channel, nick, is_self)]


def handle_part(session: ClientSession, message: Message) -> list[Event]:
    """PART: someone (maybe us) left a channel."""
    nick, channel = nick_of(message.source), message.param(0)
    is_self = session.is_self(nick)
    if is_self:
        session.channels.pop(session.fold(channel), None)
    time = session.time_of(message)
    return [UserParted(time, channel, nick, message.param(1), is_self)]


def handle_kick(session: ClientSession, message: Message) -> list[Event]:
    """KICK: an operator removed someone (maybe us) from a channel."""
    channel, nick = message.param(0), message.param(1)
    is_self = session.is_self(nick)
    if is_self:
        session.channels.pop(session.fold(channel), None)
    time, by = session.time_of(message), nick_of(message.source)
    return [UserParted(time, channel, nick, message.param(2), is_self, kicked_by=by)]


def handle_quit(session: ClientSession, message: Message) -> list[Event]:
    """QUIT: someone left the server."""
    nick = nick_of(message.source)
    return [UserQuit(session.time_of(message), nick, message.param(0))]


def handle_nick(session: ClientSession, message: Message) -> list[Event]:
    """NICK: someone (maybe us) changed nick."""
    old, new = nick_of(message.source), message.param(0)
    is_self = session.is_self(old)
    if is_self:
        session.nick = new
    return [NickChanged(session.time_of(message), old, new, is_self)]


def handle_topic(session: ClientSession, message: Message) -> list[Event]:
    """TOPIC: someone set a channel's topic."""
    time, by = session.time_of(message), nick_of(message.source)
    return [TopicChanged(time, message.param(0), message.param(1), by)]


def handle_away(session: ClientSession, message: Message) -> list[Event]:
    """AWAY (away-notify): someone went away or came back."""
    away_message = message.params[0] if message.params else None
    return [AwayChanged(nick_of(message.source), away_message)]


def handle_invite(session: ClientSession, message: Message) -> list[Event]:
    """INVITE: someone invites us to a channel."""
    text = f"{nick_of(message.source)} invites you to {message.param(1)}"
    return [ServerReplied(session.time_of(message), text)]


def handle_privmsg(session: ClientSession, message: Message) -> list[Event]:
    """PRIVMSG: a message to a channel or to us (or ours, echoed)."""
    return _text_message(session, message, MessageKind.PRIVMSG)


def handle_notice(session: ClientSession, message: Message) -> list[Event]:
    """NOTICE: like PRIVMSG, never answered; from the server, shown as server text."""
    if not message.source or "!" not in message.source:
        text = message.param(1)
        time = session.time_of(message)
        return [ServerReplied(time, text, is_welcome=not session.is_registered)]
    return _text_message(session, message, MessageKind.NOTICE)


def _text_message(
    session: ClientSession, message: Message, kind: MessageKind
) -> list[Event]:
    sender, text = nick_of(message.source), message.param(1)
    # STATUSMSG: `@#room` reaches the room's operators; show it in the room.
    target = message.param(0).lstrip(session.features.prefix_chars)
    is_self = session.is_self(sender)
    is_private = not session.features.is_channel(target)
    buffer = target if (not is_private or is_self) else sender
    action = parse_action(text)
    if action is not None:
        text, kind = action, MessageKind.ACTION
    elif text.startswith("\x01"):
        return _answer_ctcp(session, sender, text, kind)
    received = MessageReceived(
        session.time_of(message),
        buffer,
        sender,
        text,
        kind,
        is_private,
        is_self,
        session.is_history(message),
        message.tags.get("msgid") or None,
    )
    return [received]


def _answer_ctcp(
    session: ClientSession, sender: str, text: str, kind: MessageKind
) -> list[Event]:
    # CTCP (https://modern.ircdocs.horse/ctcp): answer VERSION and PING in a
    # NOTICE; never answer a NOTICE.
    query, _, argument = text.strip("\x01").partition(" ")
    if kind is not MessageKind.PRIVMSG or session.is_self(sender):
        return []
    if query.upper() == "VERSION":
        reply = f"\x01VERSION {CLIENT_VERSION}\x01"
    elif query.upper() == "PING":
        reply = f"\x01PING {argument}\x01"
    else:
        return []
    session.send(Message("NOTICE", (sender, reply)))
    return []


def handle_mode(session: ClientSession, message: Message) -> list[Event]:
    """MODE: channel modes (prefix modes change the member list) or ours."""
    target, by = message.param(0), nick_of(message.source)
    time = session.time_of(message)
    text = f"{by} sets mode {' '.join(message.params[1:])}"
    if not session.features.is_channel(target):
        return [ServerReplied(time, text, is_welcome=True)]
    events: list[Event] = [ServerReplied(time, text, buffer=target)]
    prefixes = dict(session.features.prefixes)
    lists, always, when_set, _ = (*session.features.chanmodes, "", "", "")[:4]
    arguments = list(message.params[2:])
    is_given = True
    for letter in message.param(1):
        if letter in "+-":
            is_given = letter == "+"
        elif letter in prefixes and arguments:
            nick = arguments.pop(0)
            symbol = prefixes[letter]
            events.append(MemberModeChanged(time, target, nick, symbol, is_given, by))
        elif arguments and (
            letter in lists + always or (letter in when_set and is_given)
        ):
            arguments.pop(0)
    return events


HANDLERS: dict[str, Handler] = {
    "JOIN": handle_join,
    "PART": handle_part,
    "KICK": handle_kick,
    "QUIT": handle_quit,
    "NICK": handle_nick,
    "TOPIC": handle_topic,
    "AWAY": handle_away,
    "INVITE": handle_invite,
    "PRIVMSG": handle_privmsg,
    "NOTICE": handle_notice,
    "MODE": handle_mode,
}
