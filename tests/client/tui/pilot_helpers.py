"""Helpers for driving `ChatApp` with Textual's Pilot against a real server."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

from hubbub.client.connection import ServerAddress
from hubbub.client.runner import ChatOptions
from hubbub.client.tui.app import ChatApp
from hubbub.client.tui.widgets import ChatInput


def chat_app(port: int, nick: str = "Alice", channel: str = "#lobby") -> ChatApp:
    """The full-screen client for `nick`, joining `channel` on 127.0.0.1:`port`."""
    return ChatApp(ChatOptions(ServerAddress("127.0.0.1", port), nick, (channel,)))


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], object], timeout_seconds: float = 10
) -> None:
    """Let the app run until `condition()` is true.

    Raises:
        AssertionError: it did not become true in time.
    """
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


async def type_line(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the input line and press Enter.

    ASCII goes through key presses; other characters (emoji) have no key name,
    so they are inserted the way a paste would.
    """
    chat_input = pilot.app.query_one(ChatInput)
    for char in text:
        if char.isascii():
            await pilot.press(char)
        else:
            chat_input.insert_text_at_cursor(char)
    await pilot.press("enter")
