"""What a typed line asks for: action values, and `InputError` if it cannot be done."""

from __future__ import annotations

from dataclasses import dataclass

from hubbub.client.events import MessageKind
from hubbub.protocol.message import Message


class InputError(Exception):
    """The typed line cannot be done; the message says why (the user's to fix)."""


@dataclass(frozen=True, slots=True)
class SendText:
    """Send `text` to `target`, split to fit if it is long."""

    target: str
    text: str
    kind: MessageKind = MessageKind.PRIVMSG


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Send one IRC message as it is."""

    message: Message


@dataclass(frozen=True, slots=True)
class OpenBuffer:
    """Show (creating if need be) the buffer called `name`."""

    name: str


@dataclass(frozen=True, slots=True)
class CloseBuffer:
    """Close the private chat with `name`."""

    name: str


@dataclass(frozen=True, slots=True)
class ShowText:
    """Show `text` to the user (help)."""

    text: str


@dataclass(frozen=True, slots=True)
class Upload:
    """Upload the file at `path` and send its link to `target`."""

    path: str
    target: str


@dataclass(frozen=True, slots=True)
class Quit:
    """Leave the server with `reason` and end the program."""

    reason: str


Action = SendText | SendMessage | OpenBuffer | CloseBuffer | ShowText | Upload | Quit


@dataclass(frozen=True, slots=True)
class InputContext:
    """Where the user is typing: the current buffer's name (None: the server's)."""

    target: str | None = None
    chantypes: str = "#&"
    is_joined: bool = True  # False: `target` is a room we have left

    def is_channel(self, name: str) -> bool:
        """Does `name` name a channel?"""
        return bool(name) and name[0] in self.chantypes

    @property
    def channel(self) -> str | None:
        """The current buffer's name if it is a channel."""
        target = self.target
        return target if target is not None and self.is_channel(target) else None
