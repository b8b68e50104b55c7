"""Lines as Rich text: timestamps, nick colours, links, labels."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from hubbub.client.buffers import Buffer, BufferKind, Line, LineKind, Member
from hubbub.client.tui.render import (
    highlight_links,
    nick_colour,
    render_buffer_label,
    render_line,
    render_member,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_message_reads_time_nick_text() -> None:
    text = render_line(Line(T0, LineKind.MESSAGE, "hi [b]there[/b]", "Bob"))
    stamp = T0.astimezone().strftime("%H:%M")
    assert text.plain == f"{stamp} <Bob> hi [b]there[/b]"  # markup stays text


def test_events_and_actions_have_their_marks() -> None:
    join = render_line(Line(T0, LineKind.JOIN, "Bob joined the chat", "Bob"))
    action = render_line(Line(T0, LineKind.ACTION, "waves", "Bob"))
    assert join.plain.endswith("→ Bob joined the chat")
    assert action.plain.endswith("* Bob waves")


def test_nick_colours_are_stable_and_case_blind() -> None:
    assert nick_colour("Alice") == nick_colour("alice")


def test_links_are_underlined_without_trailing_punctuation() -> None:
    text = highlight_links(Text("see https://example.org/a, then www.example.com."))
    linked = [text.plain[span.start : span.end] for span in text.spans]
    assert linked == ["https://example.org/a", "www.example.com"]
    assert "link https://www.example.com" in str(text.spans[1].style)


def test_buffer_labels_show_unread_and_mentions() -> None:
    buffer = Buffer("#tea", BufferKind.CHANNEL, is_joined=True)
    assert render_buffer_label(buffer, "irc").plain == "#tea"
    buffer.unread = 3
    assert render_buffer_label(buffer, "irc").plain == "#tea (3)"
    buffer.highlights = 1
    assert render_buffer_label(buffer, "irc").plain == "#tea (3!)"
    server = Buffer("*", BufferKind.SERVER)
    assert render_buffer_label(server, "irc.example.org:6667").plain == (
        "irc.example.org:6667"
    )


def test_members_show_their_highest_prefix() -> None:
    assert render_member(Member("Bob", "@+")).plain == "@Bob"
    assert render_member(Member("Carol")).plain == " Carol"
