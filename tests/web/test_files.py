"""Sharing files from the browser client: the button, drag-and-drop, inline
images in the other page, and refusals in words.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import FilePayload, expect

from tests.web.conftest import ChatPage, ServerFactory, WebServer
from tests.web.images import blank_png, png

OpenChat = Callable[..., ChatPage]


def test_an_upload_shows_in_the_other_page_with_the_image_inline(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    alice = open_chat(web_server.url, "alice")
    bob = open_chat(web_server.url, "bob")
    picture: FilePayload = {
        "name": "sunset.png",
        "mimeType": "image/png",
        "buffer": png(64, 40, (230, 120, 40)),
    }
    alice.page.set_input_files("#file-input", files=[picture])

    image = bob.page.locator("#lines li.line img")
    expect(image).to_have_count(1)
    src = image.get_attribute("src") or ""
    assert src.startswith(web_server.url + "files/")
    assert src.endswith("/sunset.png")
    expect(image).to_have_js_property("naturalWidth", 64)  # it really loaded
    link = bob.page.locator("#lines li.line a", has_text="sunset.png")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(alice.page.locator("#lines li.self img")).to_have_count(1)
    expect(alice.page.locator("#composer-note")).to_be_hidden()


def test_an_image_too_large_to_show_is_a_link_not_a_picture(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    alice = open_chat(web_server.url, "alice")
    bob = open_chat(web_server.url, "bob")
    bomb: FilePayload = {
        "name": "bomb.png",
        "mimeType": "image/png",
        "buffer": blank_png(6000, 6000),  # 36 megapixels in a few kilobytes
    }
    assert len(bomb["buffer"]) < 20_000
    alice.page.set_input_files("#file-input", files=[bomb])
    note = bob.page.locator("#lines li.line a", has_text="too large to show")
    expect(note).to_have_text("bomb.png (6000\u00d76000, too large to show)")
    expect(bob.page.locator("#lines li.line img")).to_have_count(0)


def test_a_dropped_file_is_shared_as_a_link(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    alice = open_chat(web_server.url, "alice")
    bob = open_chat(web_server.url, "bob")
    transfer = alice.page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            const file = new File(["meeting notes"], "notes.txt", {type: "text/plain"});
            transfer.items.add(file);
            return transfer;
        }"""
    )
    alice.page.dispatch_event("#log", "dragenter", {"dataTransfer": transfer})
    expect(alice.page.locator("#drop-overlay")).to_be_visible()
    alice.page.dispatch_event("#log", "drop", {"dataTransfer": transfer})
    expect(alice.page.locator("#drop-overlay")).to_be_hidden()

    link = bob.page.locator("#lines li.line a", has_text="notes.txt")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert href.startswith(web_server.url + "files/")
    expect(bob.page.locator("#lines img")).to_have_count(0)  # text is not an image


def test_refused_uploads_are_explained(
    servers: ServerFactory, open_chat: OpenChat
) -> None:
    config = servers.tmp_path / "hubbub.toml"
    config.write_text('[files]\nmax_bytes = 2000\nallowed_types = ["image/png"]\n')
    server = servers.start("--config", str(config))
    alice = open_chat(server.url, "alice")
    note = alice.page.locator("#composer-note")

    big: FilePayload = {
        "name": "big.png",
        "mimeType": "image/png",
        "buffer": b"x" * 5000,
    }
    alice.page.set_input_files("#file-input", files=[big])
    expect(note).to_have_text('"big.png" is too large to share on this server.')

    tool: FilePayload = {
        "name": "tool.exe",
        "mimeType": "application/x-msdownload",
        "buffer": b"MZ",
    }
    alice.page.set_input_files("#file-input", files=[tool])
    expect(note).to_have_text(
        '"tool.exe" is a kind of file this server does not accept'
        " (application/x-msdownload)."
    )
    expect(alice.page.locator("#lines a")).to_have_count(0)
