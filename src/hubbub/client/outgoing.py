"""Messages we send: PRIVMSG, NOTICE and ACTION split to fit the line limit, never cut.

Modern (https://modern.ircdocs.horse/#message-format): a line is at most 512
bytes with its CRLF. The server relays our text with `:nick!user@host ` in
front, so the room for text is what is left after that source and the command.
"""

from __future__ import annotations

from hubbub.client.events import MessageKind
from hubbub.protocol.framing import MAX_LINE_BYTES
from hubbub.protocol.message import Message

# Until the server shows us our own source, assume the longest usual one.
_ASSUMED_USER_BYTES = 10
_ASSUMED_HOST_BYTES = 63
_ACTION_START = "\x01ACTION "
_ACTION_END = "\x01"


def assumed_source(nick: str) -> str:
    """A source at least as long as the one the server will put on our messages."""
    return f"{nick}!{'u' * _ASSUMED_USER_BYTES}@{'h' * _ASSUMED_HOST_BYTES}"


def text_room_bytes(command: str, target: str, source: str) -> int:
    """How many bytes of text fit in one relayed `command` to `target`."""
    overhead = len(f":{source} {command} {target} :".encode())
    return MAX_LINE_BYTES - 2 - overhead


def split_text(text: str, max_bytes: int) -> list[str]:
    """Split `text` into pieces of at most `max_bytes` UTF-8 bytes, at a space if any.

    Each line of `text` starts a new piece; blank lines are dropped. A piece is
    cut between characters, never inside one.
    """
    if max_bytes < 4:
        raise ValueError("no room for text")
    pieces: list[str] = []
    for line in text.replace("\0", "").splitlines():
        rest = line
        while len(rest.encode()) > max_bytes:
            head = rest.encode()[:max_bytes].decode("utf-8", errors="ignore")
            # Cut at the last space that keeps the piece in bounds.
            space = (head + rest[len(head)]).rfind(" ", 1)
            if space > 0:
                pieces.append(head[:space])
                rest = rest[space + 1 :]
            else:
                pieces.append(head)
                rest = rest[len(head) :]
        if rest.strip():
            pieces.append(rest)
    return pieces


def text_messages(
    kind: MessageKind, target: str, text: str, source: str
) -> list[Message]:
    """The messages that carry `text` to `target`, each within the line limit."""
    command = "NOTICE" if kind is MessageKind.NOTICE else "PRIVMSG"
    room = text_room_bytes(command, target, source)
    if kind is MessageKind.ACTION:
        room -= len(_ACTION_START) + len(_ACTION_END)
        return [
            Message(command, (target, f"{_ACTION_START}{piece}{_ACTION_END}"))
            for piece in split_text(text, room)
        ]
    return [Message(command, (target, piece)) for piece in split_text(text, room)]


def parse_action(text: str) -> str | None:
    """The action text of a CTCP ACTION (`\\x01ACTION waves\\x01`), else None."""
    if not text.startswith(_ACTION_START):
        return None
    return text[len(_ACTION_START) :].removesuffix(_ACTION_END)
