"""`ClientSession`: one connection's IRC client protocol, sans I/O.

Lines in (`receive_line`), events out, lines to send out (`lines_to_send`).
It owns registration, capability negotiation
(https://ircv3.net/specs/extensions/capability-negotiation), PING, batches,
ISUPPORT and the list of joined channels; `incoming` and `replies` turn the
rest into events. A new session is made for each connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from hubbub.client import incoming, replies
from hubbub.client.events import (
    Event,
    FeaturesChanged,
    NickRejected,
    Ready,
    Registered,
    ServerFeatures,
)
from hubbub.client.isupport import parse_isupport
from hubbub.client.names import fold_name
from hubbub.protocol.message import Message, ParseError, format_message, parse_message

logger = logging.getLogger(__name__)

# Asked for when offered. sasl and draft/chathistory come with the accounts and
# history issues: they join this tuple and get handled in `_cap_acknowledged`.
WANTED_CAPS = (
    "server-time",
    "echo-message",
    "message-tags",
    "batch",
    "away-notify",
    "multi-prefix",
)
# Sent in a PING after the first JOIN: its PONG means the joins are done.
READY_TOKEN = "hubbub-ready"
_NICK_REJECTIONS = {"432", "433", "436", "437"}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Registration:
    """Who we are when we connect, and which channels to join once welcomed."""

    nick: str
    username: str
    realname: str
    channels: tuple[str, ...] = ()


class ClientSession:
    """The client side of one IRC connection."""

    def __init__(self, registration: Registration, *, clock: Clock = utc_now) -> None:
        self.registration = registration
        self.nick = registration.nick
        self.server_name = ""
        self.is_registered = False
        self.features = ServerFeatures()
        self.caps: set[str] = set()  # enabled capabilities
        # Our `nick!user@host` as the server relays it, once seen (for splitting).
        self.own_source: str | None = None
        # Joined channels by folded name: what a reconnect rejoins.
        self.channels: dict[str, str] = {}
        self.clock = clock
        self._caps_offered: list[str] = []
        self._caps_requested = 0  # REQs without an ACK or NAK yet
        self._batch_types: dict[str, str] = {}  # open batch reference -> type
        # NAMES replies (353) gathered per folded channel until their end (366).
        self.pending_names: dict[str, list[tuple[str, str]]] = {}
        self._lines: list[str] = []
        self.closing_reason: str | None = None  # from the server's ERROR

    # Sending

    def start(self) -> None:
        """Queue the registration: CAP LS 302 first, so we can ask for caps."""
        self.send(Message("CAP", ("LS", "302")))
        self.send(Message("NICK", (self.nick,)))
        reg = self.registration
        self.send(Message("USER", (reg.username, "0", "*", reg.realname)))

    def send(self, message: Message) -> None:
        """Queue one message for the server."""
        line = format_message(message)
        logger.debug("> %s", line)
        self._lines.append(line)

    def lines_to_send(self) -> list[str]:
        """The lines queued since the last call."""
        lines, self._lines = self._lines, []
        return lines

    def choose_nick(self, nick: str) -> None:
        """Try another nick (after `NickRejected`, or `/nick`)."""
        if not self.is_registered:
            self.nick = nick
        self.send(Message("NICK", (nick,)))

    # Questions the handlers ask

    def fold(self, name: str) -> str:
        """`name` folded with the server's casemapping."""
        return fold_name(name, self.features.casemapping)

    def is_self(self, nick: str) -> bool:
        """Is `nick` us?"""
        return self.fold(nick) == self.fold(self.nick)

    def time_of(self, message: Message) -> datetime:
        """When `message` happened: its server-time tag, else now."""
        stamp = message.tags.get("time")
        if stamp:
            try:
                return datetime.fromisoformat(stamp)
            except ValueError:
                pass
        return self.clock()

    def is_history(self, message: Message) -> bool:
        """Is `message` replayed history (inside a chathistory batch)?"""
        reference = message.tags.get("batch")
        return self._batch_types.get(reference or "", "").endswith("chathistory")

    # Receiving

    def receive_line(self, line: str) -> list[Event]:
        """Handle one line from the server; return what happened."""
        logger.debug("< %s", line)
        try:
            message = parse_message(line)
        except ParseError:
            return []
        own = _OWN_HANDLERS.get(message.command)
        if own is not None:
            return own(self, message)
        handler = incoming.HANDLERS.get(message.command)
        if handler is not None:
            return handler(self, message)
        if message.command.isdigit():
            return replies.handle_numeric(self, message)
        return []

    def _handle_ping(self, message: Message) -> list[Event]:
        self.send(Message("PONG", message.params[-1:]))
        return []

    def _handle_pong(self, message: Message) -> list[Event]:
        return [Ready()] if message.params[-1:] == (READY_TOKEN,) else []

    def _handle_error(self, message: Message) -> list[Event]:
        # The server closes the link after ERROR; the runner sees the EOF.
        self.closing_reason = message.param(0, "closed by the server")
        return []

    def _handle_batch(self, message: Message) -> list[Event]:
        # IRCv3 batch: `BATCH +ref type ...` opens, `BATCH -ref` closes.
        reference = message.param(0)
        if reference.startswith("+"):
            self._batch_types[reference[1:]] = message.param(1)
        else:
            self._batch_types.pop(reference[1:], None)
        return []

    # Registration

    def _handle_welcome(self, message: Message) -> list[Event]:
        self.is_registered = True
        self.nick = message.param(0, self.nick)
        self.server_name = message.source or ""
        channels = self.registration.channels
        if channels:
            self.send(Message("JOIN", (",".join(channels),)))
        self.send(Message("PING", (READY_TOKEN,)))
        registered = Registered(self.nick, self.server_name, self.features)
        return [registered, *replies.handle_numeric(self, message)]

    def _handle_isupport(self, message: Message) -> list[Event]:
        self.features = parse_isupport(self.features, message.params[1:-1])
        return [FeaturesChanged(self.features)]

    def _handle_nick_rejected(self, message: Message) -> list[Event]:
        if self.is_registered:
            return replies.handle_numeric(self, message)
        text = message.params[-1] if message.params else ""
        return [NickRejected(message.param(1, self.nick), text)]

    # Capability negotiation

    def _handle_cap(self, message: Message) -> list[Event]:
        subcommand = message.param(1).upper()
        tokens = message.params[-1].split() if len(message.params) > 2 else []
        if subcommand == "LS":
            self._caps_offered += tokens
            # `CAP * LS * :...` means more lines follow (CAP LS 302).
            if message.param(2) == "*":
                return []
            self._request_caps(self._caps_offered)
        elif subcommand == "NEW":
            self._request_caps(tokens)
        elif subcommand == "ACK":
            self._caps_requested -= 1
            self.caps |= {cap for cap in tokens if not cap.startswith("-")}
        elif subcommand == "NAK":
            self._caps_requested -= 1
        elif subcommand == "DEL":
            self.caps -= set(tokens)
        if subcommand in {"LS", "ACK", "NAK"} and not self._caps_requested:
            self._end_negotiation()
        return []

    def _request_caps(self, offered: list[str]) -> None:
        names = {token.split("=", 1)[0] for token in offered}
        wanted = [cap for cap in WANTED_CAPS if cap in names and cap not in self.caps]
        if wanted:
            self._caps_requested += 1
            self.send(Message("CAP", ("REQ", " ".join(wanted))))

    def _end_negotiation(self) -> None:
        if not self.is_registered:
            self.send(Message("CAP", ("END",)))

    def rejoin_registration(self) -> Registration:
        """The registration for the next connection: same nick, same channels."""
        channels = tuple(self.channels.values()) or self.registration.channels
        return replace(self.registration, nick=self.nick, channels=channels)


SessionHandler = Callable[[ClientSession, Message], list[Event]]

_OWN_HANDLERS: dict[str, SessionHandler] = {
    "PING": ClientSession._handle_ping,
    "PONG": ClientSession._handle_pong,
    "ERROR": ClientSession._handle_error,
    "BATCH": ClientSession._handle_batch,
    "CAP": ClientSession._handle_cap,
    "001": ClientSession._handle_welcome,
    "005": ClientSession._handle_isupport,
    **dict.fromkeys(_NICK_REJECTIONS, ClientSession._handle_nick_rejected),
}
