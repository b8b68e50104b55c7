"""IRC messages: the `Message` value, `parse_message()` and `format_message()`.

Wire format: https://modern.ircdocs.horse/#messages
Tags: https://ircv3.net/specs/extensions/message-tags
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Final

__all__ = [
    "NO_TAGS",
    "Message",
    "ParseError",
    "escape_tag_value",
    "format_message",
    "format_tags",
    "parse_message",
    "unescape_tag_value",
]

# message-tags: "Escaping values" table.
_UNESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPES = str.maketrans(
    {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}
)


# The tags of a message that has none: shared, and read-only.
NO_TAGS: Final[Mapping[str, str]] = MappingProxyType({})


class ParseError(ValueError):
    """The line is not an IRC message (the client's fault)."""


def unescape_tag_value(value: str) -> str:
    """Undo message-tags escaping; an invalid escape drops its backslash."""
    if "\\" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            # A trailing lone backslash is dropped (message-tags spec).
            following = next(chars, "")
            out.append(_UNESCAPES.get(following, following))
        else:
            out.append(char)
    return "".join(out)


def escape_tag_value(value: str) -> str:
    """Escape a tag value for the wire."""
    return value.translate(_ESCAPES)


class Message:
    """One IRC message. `tags` maps a tag key to its (unescaped) value, "" if none.

    A value (compared by its fields, read-only) made for every line received,
    so a class of its own: a NamedTuple's `__new__` runs as bytecode even in
    the compiled build, and a frozen dataclass took five times as long again;
    a native class is built in a sixth of a NamedTuple's time.
    """

    __slots__ = ("command", "params", "source", "tags")
    __match_args__: ClassVar[tuple[str, ...]] = ("command", "params", "source", "tags")

    def __init__(
        self,
        command: str,
        params: tuple[str, ...] = (),
        source: str | None = None,
        tags: Mapping[str, str] = NO_TAGS,
    ) -> None:
        self.command: Final = command
        self.params: Final = params
        self.source: Final = source
        self.tags: Final = tags

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (
            self.command == other.command
            and self.params == other.params
            and self.source == other.source
            and self.tags == other.tags
        )

    __hash__ = None  # type: ignore[assignment]  # tags are a mapping

    def __repr__(self) -> str:
        return (
            f"Message(command={self.command!r}, params={self.params!r}, "
            f"source={self.source!r}, tags={dict(self.tags)!r})"
        )

    def param(self, index: int, default: str = "") -> str:
        """The parameter at `index`, or `default` when there are fewer."""
        return self.params[index] if index < len(self.params) else default


def _parse_tags(raw: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in raw.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not key:
            raise ParseError("empty tag key")
        # message-tags: if a key is repeated, the last one wins.
        tags[key] = unescape_tag_value(value)
    return tags


def parse_message(line: str) -> Message:
    """Parse one line (without its CRLF) into a `Message`.

    Raises:
        ParseError: the line is empty or has no command.
    """
    # Every line received comes through here: compiled, a one-character
    # slice and compare cost less than `startswith`, `find` and two slices
    # less than `partition`, and the words of a line without runs of spaces
    # (nearly all) are not filtered one by one.
    rest = line.lstrip(" ")
    tags: Mapping[str, str] = NO_TAGS
    first = rest[:1]
    if first == "@":
        raw_tags, _, rest = rest[1:].partition(" ")
        tags = _parse_tags(raw_tags)
        rest = rest.lstrip(" ")
        first = rest[:1]
    source: str | None = None
    if first == ":":
        source, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    trailing: str | None = None
    colon = rest.find(" :")
    if colon >= 0:
        trailing = rest[colon + 2 :]
        rest = rest[:colon]
    elif rest[:1] == ":":
        raise ParseError("missing command")
    # Modern: parameters are separated by one or more spaces.
    words = rest.split(" ")
    if "" in words:  # a run of spaces, or one at the end
        words = [word for word in words if word]
        if not words:
            raise ParseError("missing command")
    if trailing is not None:
        words.append(trailing)
    return Message(words[0].upper(), tuple(words[1:]), source, tags)


def format_tags(tags: Mapping[str, str]) -> str:
    """Render tags as `@a=b;c` (without the trailing space), or "" when empty."""
    if not tags:
        return ""
    parts = [
        f"{key}={escape_tag_value(value)}" if value else key
        for key, value in tags.items()
    ]
    return "@" + ";".join(parts)


def format_message(message: Message) -> str:
    """Render a `Message` as one line, without CRLF."""
    pieces: list[str] = []
    if message.tags:
        pieces.append(format_tags(message.tags))
    if message.source:
        pieces.append(":" + message.source)
    pieces.append(message.command)
    params = message.params
    if params:
        pieces.extend(params[:-1])
        last = params[-1]
        if not last or " " in last or last.startswith(":"):
            last = ":" + last
        pieces.append(last)
    return " ".join(pieces)
