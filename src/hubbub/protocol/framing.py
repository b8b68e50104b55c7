"""Byte stream framing: `LineDecoder` splits bytes into lines, `encode_line` adds CRLF.

Modern (https://modern.ircdocs.horse/#messages): CR, LF and CRLF all end a
message; NUL is not allowed inside one; a message is at most 512 bytes with its
CRLF, plus up to 8191 bytes of tags (IRCv3 message-tags).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_TAGS_BYTES",
    "DecodedLine",
    "LineDecoder",
    "LineProblem",
    "encode_line",
]

MAX_LINE_BYTES: Final = 512  # without tags, including CRLF
MAX_TAGS_BYTES = 8191  # the tags section, including "@" and the space after it


class LineProblem:
    """Why a received line cannot be handled (values of `DecodedLine.problem`)."""

    TOO_LONG: Final = "too long"
    INVALID_UTF8: Final = "invalid utf-8"
    NUL: Final = "contains NUL"


class DecodedLine:
    """One received line: the text, or why it was refused (`problem`).

    For a refused line `text` is still a best-effort decoding, so the caller can
    name the command in its error reply.

    A class of its own rather than a NamedTuple: one is made for every line
    received, and in the compiled build a native class is built in a sixth of
    the time (the NamedTuple's `__new__` runs as bytecode).
    """

    __slots__ = ("problem", "text")

    def __init__(self, text: str, problem: str | None = None) -> None:
        self.text: Final = text
        self.problem: Final = problem

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecodedLine):
            return NotImplemented
        return self.text == other.text and self.problem == other.problem

    def __hash__(self) -> int:
        return hash((self.text, self.problem))

    def __repr__(self) -> str:
        return f"DecodedLine({self.text!r}, {self.problem!r})"


class LineDecoder:
    """Sans-I/O line splitter with a bounded buffer."""

    def __init__(
        self, max_line_bytes: int = MAX_LINE_BYTES, max_tags_bytes: int = MAX_TAGS_BYTES
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.max_tags_bytes = max_tags_bytes
        self._buffer = b""
        # True while discarding the rest of an over-long line.
        self._discarding = False

    @property
    def max_total_bytes(self) -> int:
        """The longest line (tags included, CRLF excluded) that can ever be valid."""
        return self.max_line_bytes - 2 + self.max_tags_bytes

    def feed(self, data: bytes) -> list[DecodedLine]:
        """Add received bytes; return the complete lines they finish."""
        # Most reads are one whole line ending in CRLF: then one decode and
        # three `in` checks on the text, where the general way (`_feed`)
        # splits the bytes into a list, copies the line out and decodes it
        # (compiled, a twentieth of a private message's handling less). Any
        # other read, and a line that the checks find amiss, go the general
        # way, which gives the same lines (tests/protocol/test_framing.py).
        size = len(data)
        if (
            2 < size <= self.max_line_bytes
            and data[size - 1] == 10
            and data[size - 2] == 13
            and not self._buffer
            and not self._discarding
        ):
            line = _one_line(data)
            if line is not None:
                return [line]
        return self._feed(data)

    def _feed(self, data: bytes) -> list[DecodedLine]:
        """`feed`, for any bytes."""
        buffer = self._buffer + data if self._buffer else data
        # bytes.splitlines ends a line at CR, LF or CRLF, as Modern says, in
        # one call per read. A CRLF cut in two ends its line at the CR; the LF
        # then ends an empty line, which is skipped. No `in` and no
        # bytes.find per line: compiled, each is a generic call that costs
        # more than the split itself.
        complete = buffer.splitlines()
        rest = b""
        if complete:
            last = buffer[-1]
            if last != 10 and last != 13:  # the last line is not finished
                rest = complete.pop()
        lines: list[DecodedLine] = []
        for raw in complete:
            if self._discarding:
                # The tail of a line already refused as too long.
                self._discarding = False
            elif raw:
                lines.append(self._decode(raw))
        if len(rest) > self.max_total_bytes:
            if not self._discarding:
                lines.append(DecodedLine(_best_effort(rest[:64]), LineProblem.TOO_LONG))
            self._discarding = True
            rest = b""
        self._buffer = rest
        return lines

    def _decode(self, raw: bytes) -> DecodedLine:
        if len(raw) > self.max_line_bytes - 2 and not self._fits(raw):
            return DecodedLine(_best_effort(raw[:64]), LineProblem.TOO_LONG)
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            if raw.find(b"\0") >= 0:  # a NUL is the first problem named
                return DecodedLine(_best_effort(raw), LineProblem.NUL)
            return DecodedLine(_best_effort(raw), LineProblem.INVALID_UTF8)
        # A NUL is looked for in the decoded line: compiled, `in` on a str is
        # one C call, where bytes.find is a call by method name (and `in` on
        # bytes first tries its operand as an int, and formats the TypeError
        # it then drops).
        if "\0" in text:
            return DecodedLine(_best_effort(raw), LineProblem.NUL)
        return DecodedLine(text)

    def _fits(self, raw: bytes) -> bool:
        if not raw.startswith(b"@"):
            return False
        tags, _, rest = raw.partition(b" ")
        return (
            len(tags) + 1 <= self.max_tags_bytes
            and len(rest) <= self.max_line_bytes - 2
        )


def _one_line(data: bytes) -> DecodedLine | None:
    """The line of a read that ends in its only CRLF and holds nothing
    amiss; None for anything else (another line break in it, a NUL,
    invalid UTF-8), which `LineDecoder._feed` then handles."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return None
    text = text[: len(text) - 2]
    if "\r" in text or "\n" in text or "\0" in text:
        return None
    return DecodedLine(text)


def _best_effort(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").replace("\0", "")


def encode_line(line: str) -> bytes:
    """Encode one line for the wire, adding CRLF.

    A lone surrogate, which no line decoded from the wire can hold, becomes
    "?" rather than an error.
    """
    # Every line sent goes through here. Compiled, str.encode() without
    # arguments is a direct call; naming the codec and an error handler makes
    # it a generic method call that also looks the codec up by name.
    try:
        return (line + "\r\n").encode()
    except UnicodeEncodeError:
        return (line + "\r\n").encode("utf-8", errors="replace")
