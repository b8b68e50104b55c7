"""A screenshot of the full-screen client in a conversation (docs/chat-client.svg).

Run with HUBBUB_UPDATE_SCREENSHOT=1 to rewrite the copy in docs/.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.client.peer import IrcPeer
from tests.client.tui.pilot_helpers import chat_app, type_line, wait_until
from tests.server_process import ServerProcess

DOCS_SCREENSHOT = Path(__file__).parents[3] / "docs" / "chat-client.svg"


async def test_screenshot_of_a_conversation(
    server: ServerProcess, tmp_path: Path
) -> None:
    app = chat_app(server.port)
    async with app.run_test(size=(104, 26)) as pilot:
        await wait_until(pilot, lambda: app.model.is_ready)
        await type_line(pilot, "/topic Welcome to hubbub: be kind, stay curious")
        bob = await IrcPeer.connect(server.port, "Bob", "#lobby", "#tea")
        carol = await IrcPeer.connect(server.port, "Carol", "#lobby")
        await type_line(pilot, "/join #tea")
        await wait_until(pilot, lambda: "bob" in app.model.current.members)
        await pilot.press("ctrl+p")
        bob.send(
            "PRIVMSG #lobby :Hi Alice! The docs are at https://hubbub.example/docs"
        )
        await wait_until(pilot, lambda: "docs" in app.model.current.lines[-1].text)
        await type_line(pilot, "Hello everyone! 👋 Thanks Bob.")
        carol.send("PRIVMSG #lobby :\x01ACTION waves from the garden 🌻\x01")
        bob.send("PRIVMSG #tea :The kettle is on.")
        bob.send("PRIVMSG Alice :Alice, lunch at noon?")
        bob.send("AWAY :making tea")
        await wait_until(pilot, lambda: app.model.find("bob") is not None)
        await type_line(pilot, "/me pours a cup")
        await wait_until(
            pilot, lambda: app.model.current.lines[-1].text == "pours a cup"
        )
        await pilot.pause(0.2)
        tea, bob_chat = app.model.find("#tea"), app.model.find("bob")
        assert tea is not None
        assert bob_chat is not None
        assert (tea.unread, bob_chat.unread, bob_chat.highlights) == (1, 1, 1)
        svg = app.export_screenshot(title="hubbub chat")
        await bob.close()
        await carol.close()
    # Rich writes spaces as &#160; and each style run as its own <text>.
    for text in ("Hello&#160;everyone!", "(1!)", "#tea", "Carol", "Bob&gt;"):
        assert text in svg, text
    (tmp_path / "chat-client.svg").write_text(svg, encoding="utf-8")
    if os.environ.get("HUBBUB_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.write_text(svg, encoding="utf-8")
