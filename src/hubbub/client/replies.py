"""Numeric replies as readable text, and the few that carry state (NAMES, topic).

Names as in https://modern.ircdocs.horse/#numerics; the texts say what the
user asked about, not the wire format.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from hubbub.client.events import (
    AwayChanged,
    Event,
    NamesReceived,
    ServerReplied,
    TopicChanged,
)
from hubbub.client.names import split_prefixes
from hubbub.protocol.message import Message

if TYPE_CHECKING:
    from hubbub.client.session import ClientSession

Formatter = Callable[[tuple[str, ...]], str]
StatefulHandler = Callable[["ClientSession", tuple[str, ...], datetime], list[Event]]

# The registration burst: welcome, ISUPPORT, LUSERS, MOTD (hidden in plain mode).
_WELCOME = {"001", "002", "003", "004", "005", "042", "221", "396"}
_WELCOME |= {str(code) for code in range(250, 267)}
_WELCOME |= {"372", "375", "376", "422"}
# Replies that end a list and say nothing else worth a line.
_SILENT = {"315", "318", "321", "323", "329", "333", "369"}

RPL_AWAY = "301"
RPL_UNAWAY = "305"
RPL_NOWAWAY = "306"
RPL_TOPIC = "332"
RPL_NAMREPLY = "353"
RPL_ENDOFNAMES = "366"


def _params(params: tuple[str, ...], index: int) -> str:
    return params[index] if index < len(params) else ""


# Each formatter gets the parameters after our nick.
_FORMATTERS: dict[str, Formatter] = {
    RPL_AWAY: lambda p: f"{_params(p, 0)} is away: {_params(p, 1)}",
    "311": lambda p: f"{p[0]} is {_params(p, 1)}@{_params(p, 2)} ({p[-1]})",
    "312": lambda p: f"{p[0]} is on {_params(p, 1)} ({p[-1]})",
    "313": lambda p: f"{p[0]} is an IRC operator",
    "317": lambda p: f"{p[0]} has been idle {_params(p, 1)} seconds",
    "319": lambda p: f"{p[0]} is in {p[-1]}",
    "330": lambda p: f"{p[0]} is logged in as {_params(p, 1)}",
    "352": lambda p: (
        f"{p[4]} ({p[1]}@{p[2]}) in {p[0]}: {p[-1].partition(' ')[2]}"
        if len(p) >= 7
        else " ".join(p)
    ),
    "322": lambda p: f"{p[0]} ({_params(p, 1)} people): {_params(p, 2)}",
    "324": lambda p: f"{p[0]} has modes {' '.join(p[1:])}",
    "331": lambda p: f"{p[0]} has no topic",
    "341": lambda p: f"Invited {_params(p, 0)} to {_params(p, 1)}",
}


def _generic_text(params: tuple[str, ...]) -> str:
    """`<subject...> :<text>` as "subject: text"."""
    if len(params) <= 1:
        return "".join(params)
    return f"{' '.join(params[:-1])}: {params[-1]}"


def handle_numeric(session: ClientSession, message: Message) -> list[Event]:
    """Turn one numeric into events (often one line of text)."""
    code, params = message.command, message.params[1:]
    time = session.time_of(message)
    special = _STATEFUL.get(code)
    if special is not None:
        return special(session, params, time)
    if code in _SILENT:
        return []
    formatter = _FORMATTERS.get(code)
    try:
        text = formatter(params) if formatter else _generic_text(params)
    except IndexError:
        text = _generic_text(params)
    if code in _WELCOME:
        return [ServerReplied(time, text, is_welcome=True)]
    return [ServerReplied(time, text, is_error=code[0] in "45")]


def _handle_namreply(
    session: ClientSession, params: tuple[str, ...], time: datetime
) -> list[Event]:
    # RPL_NAMREPLY: <symbol> <channel> :[prefix]<nick>{ [prefix]<nick>}
    channel = _params(params, 1)
    members = session.pending_names.setdefault(session.fold(channel), [])
    prefix_chars = session.features.prefix_chars
    names = _params(params, 2).split()  # none when the server left them out
    members += [split_prefixes(entry, prefix_chars) for entry in names]
    return []


def _handle_endofnames(
    session: ClientSession, params: tuple[str, ...], time: datetime
) -> list[Event]:
    channel = _params(params, 0)
    members = session.pending_names.pop(session.fold(channel), [])
    return [NamesReceived(channel, tuple(members))]


def _handle_topic(
    session: ClientSession, params: tuple[str, ...], time: datetime
) -> list[Event]:
    return [TopicChanged(time, _params(params, 0), _params(params, 1))]


def _handle_nowaway(
    session: ClientSession, params: tuple[str, ...], time: datetime
) -> list[Event]:
    return [AwayChanged(session.nick, "away"), ServerReplied(time, _params(params, 0))]


def _handle_unaway(
    session: ClientSession, params: tuple[str, ...], time: datetime
) -> list[Event]:
    return [AwayChanged(session.nick, None), ServerReplied(time, _params(params, 0))]


_STATEFUL: dict[str, StatefulHandler] = {
    RPL_NAMREPLY: _handle_namreply,
    RPL_ENDOFNAMES: _handle_endofnames,
    RPL_TOPIC: _handle_topic,
    RPL_NOWAWAY: _handle_nowaway,
    RPL_UNAWAY: _handle_unaway,
}
