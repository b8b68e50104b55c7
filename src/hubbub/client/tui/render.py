"""Lines as Rich `Text`: timestamps, a colour per nick, links, the unread marker.

User text is never read as markup: `[b]` in a message stays `[b]`.
"""

from __future__ import annotations

import re
import zlib

from rich.text import Text

from hubbub.client.buffers import Buffer, BufferKind, Line, LineKind, Member

NICK_COLOURS = (
    "bright_red",
    "green",
    "yellow",
    "bright_blue",
    "magenta",
    "cyan",
    "bright_green",
    "bright_yellow",
    "blue",
    "bright_magenta",
    "bright_cyan",
    "red",
)
_LINK = re.compile(r"\b(?:https?|ftp)://[^\s<>\"']+|\bwww\.[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_EVENT_MARKS = {
    LineKind.JOIN: ("→", "green"),
    LineKind.PART: ("←", "bright_black"),
    LineKind.NICK: ("•", "bright_black"),
    LineKind.TOPIC: ("•", "cyan"),
    LineKind.INFO: ("•", ""),
    LineKind.WELCOME: ("•", "bright_black"),
    LineKind.ERROR: ("!", "bold red"),
    LineKind.NOTE: ("*", "cyan"),
}


def nick_colour(nick: str) -> str:
    """The same colour for the same nick, in every run."""
    return NICK_COLOURS[zlib.crc32(nick.lower().encode()) % len(NICK_COLOURS)]


def highlight_links(text: Text) -> Text:
    """Underline the URLs in `text` and make them clickable where the terminal can."""
    for match in _LINK.finditer(text.plain):
        url = match.group().rstrip(_TRAILING_PUNCTUATION)
        start = match.start()
        target = url if "://" in url else f"https://{url}"
        text.stylize(f"underline bright_blue link {target}", start, start + len(url))
    return text


def render_line(line: Line) -> Text:
    """One line of a buffer: `HH:MM <nick> text`, or `HH:MM → Bob joined the chat`."""
    stamp = line.time.astimezone().strftime("%H:%M")
    text = Text()
    text.append(f"{stamp} ", style="bright_black")
    if line.kind is LineKind.MESSAGE:
        text.append_text(_nick(line, "<", ">"))
        body = Text(" " + line.text, style="bold" if line.is_highlight else "")
    elif line.kind is LineKind.ACTION:
        text.append("* ", style="italic")
        text.append_text(_nick(line, "", ""))
        body = Text(" " + line.text, style="italic")
    elif line.kind is LineKind.NOTICE:
        text.append_text(_nick(line, "-", "-"))
        body = Text(" " + line.text, style="magenta")
    else:
        mark, style = _EVENT_MARKS[line.kind]
        body = Text(f"{mark} {line.text}", style=style)
    text.append_text(highlight_links(body))
    return text


def _nick(line: Line, before: str, after: str) -> Text:
    style = nick_colour(line.nick) + (" bold" if line.is_self else "")
    if line.is_highlight:
        style += " reverse"
    return Text(f"{before}{line.nick}{after}", style=style)


def render_unread_marker() -> Text:
    """The rule drawn above the lines that came while the buffer was not shown."""
    return Text("──── new ────", style="bold red")


def render_buffer_label(buffer: Buffer, server_label: str) -> Text:
    """A buffer's entry in the room list, with its unread count."""
    name = server_label if buffer.kind is BufferKind.SERVER else buffer.name
    style = "bold" if buffer.unread else ""
    if buffer.kind is BufferKind.CHANNEL and not buffer.is_joined:
        style = "bright_black"
    label = Text(name, style=style)
    if buffer.highlights:
        label.append(f" ({buffer.unread}!)", style="bold red")
    elif buffer.unread:
        label.append(f" ({buffer.unread})", style="bold yellow")
    return label


def render_member(member: Member) -> Text:
    """A member in the member list: prefix, coloured nick, dimmed when away."""
    label = Text(member.prefixes[:1] or " ", style="bold")
    style = "bright_black italic" if member.away else nick_colour(member.nick)
    label.append(member.nick, style=style)
    return label
