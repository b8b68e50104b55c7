"""What history keeps of each event: channel messages and events, private messages.

Called before an event is applied (a QUIT still knows its channels). Channel
items have owner "" and the channel as target; a private message is one item
in both parties' histories (see `HistoryItem`). STATUSMSG messages (`@#chan`)
are not kept: channel history is readable by every member.
"""

from __future__ import annotations

from collections.abc import Callable

from hubbub.core.events import (
    ChannelModeChanged,
    Event,
    MessageSent,
    NickChanged,
    TopicChanged,
    UserJoined,
    UserKicked,
    UserParted,
    UserQuit,
)
from hubbub.core.ports import HistoryItem
from hubbub.core.state import ServerState
from hubbub.core.user import User
from hubbub.protocol.casemap import CHANTYPES, casefold
from hubbub.protocol.modes import format_mode_changes


def history_items(
    state: ServerState,
    event: Event,
    new_msgid: Callable[[float], str],
    at: float,
    sender: User | None = None,
    recipient: User | None = None,
) -> list[HistoryItem]:
    """The history items `event` adds (none for events history does not keep).

    `sender` and `recipient`: a message's users, if at hand (`Engine.apply`).
    """
    if type(event) is MessageSent:  # the common case first
        return _message_items(state, event, sender, recipient)
    channel_event = _channel_event(event)
    if channel_event is not None:
        nick, channel, command, params = channel_event
        return _channel_item(state, nick, channel, command, params, new_msgid, at)
    match event:
        case MessageSent():
            return _message_items(state, event, sender, recipient)
        case UserQuit(nick, _, reason, _):
            return _everywhere(state, nick, "QUIT", (reason,), new_msgid, at)
        case NickChanged(old_nick, new_nick, _, _):
            return _everywhere(state, old_nick, "NICK", (new_nick,), new_msgid, at)
        case _:
            return []


ChannelEvent = tuple[str, str, str, tuple[str, ...]]  # nick, channel, command, params


def _channel_event(event: Event) -> ChannelEvent | None:
    """(actor nick, channel, command, params) for events that happen in a channel."""
    match event:
        case UserJoined(nick, channel, _):
            return nick, channel, "JOIN", (channel,)
        case UserParted(nick, channel, None):
            return nick, channel, "PART", (channel,)
        case UserParted(nick, channel, str(reason)):
            return nick, channel, "PART", (channel, reason)
        case UserKicked(by, channel, nick, reason):
            return _nick_of(by), channel, "KICK", (channel, nick, reason)
        case TopicChanged(channel, topic, by, _):
            return _nick_of(by), channel, "TOPIC", (channel, topic)
        case ChannelModeChanged(channel, by, changes, _):
            mode_params = format_mode_changes(list(changes))
            return _nick_of(by), channel, "MODE", (channel, *mode_params)
        case _:
            return None


def _nick_of(mask: str) -> str:
    return mask.split("!", 1)[0]


def _message_items(
    state: ServerState,
    event: MessageSent,
    sender: User | None,
    recipient: User | None,
) -> list[HistoryItem]:
    target = event.target
    if target[:1] in "@+":
        return []
    if sender is None:
        sender = state.users.get(casefold(event.source))
        if sender is None:
            return []
    params = (target,) if event.text is None else (target, event.text)
    peer_owner = peer_target = ""
    if target[:1] in CHANTYPES:
        owner, key = "", casefold(target)
    else:
        if recipient is None:
            recipient = state.users.get(casefold(target))
            if recipient is None:
                return []
        owner, key = sender.history_owner, recipient.key
        if recipient is not sender:
            # One item in both parties' histories: the recipient's as its peer.
            peer_owner, peer_target = recipient.history_owner, sender.key
    return [
        HistoryItem(
            owner,
            key,
            event.msgid,
            event.at,
            sender.mask,
            sender.account,
            event.command,
            params,
            event.client_tags,  # events are immutable: no copy needed
            peer_owner=peer_owner,
            peer_target=peer_target,
        )
    ]


def _channel_item(
    state: ServerState,
    nick: str,
    channel: str,
    command: str,
    params: tuple[str, ...],
    new_msgid: Callable[[float], str],
    at: float,
) -> list[HistoryItem]:
    user = state.users.get(casefold(nick))
    source = user.mask if user is not None else nick
    account = user.account if user is not None else None
    return [
        HistoryItem(
            "", casefold(channel), new_msgid(at), at, source, account, command, params
        )
    ]


def _everywhere(
    state: ServerState,
    nick: str,
    command: str,
    params: tuple[str, ...],
    new_msgid: Callable[[float], str],
    at: float,
) -> list[HistoryItem]:
    """One item in each channel the user is in (QUIT, NICK)."""
    user = state.users.get(casefold(nick))
    if user is None:
        return []
    msgid = new_msgid(at)
    return [
        HistoryItem("", key, msgid, at, user.mask, user.account, command, params)
        for key in user.channels
    ]
