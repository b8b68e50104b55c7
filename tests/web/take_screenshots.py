"""Screenshots of the browser client in a conversation, for the docs.

    .venv/bin/python -m tests.web.take_screenshots [OUT_DIR]

writes browser-client.png (a wide screen), browser-client-phone.png and
browser-client-dark.png into OUT_DIR (default: docs/). It starts its own
`hubbub serve` in a temporary directory and needs /usr/bin/chromium.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect, sync_playwright

from tests.server_process import hubbub_serve
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, WIDE, drain_log
from tests.web.images import png
from tests.web.peer import IrcPeer


def sign_in(page: Page, url: str, nick: str, rooms: str) -> None:
    page.goto(url)
    page.fill("#login-nick", nick)
    page.fill("#login-rooms", rooms)
    page.click("#login-submit")
    expect(page.locator(f'#member-list li[data-nick="{nick}"]')).to_be_visible()


def say(page: Page, text: str) -> None:
    page.fill("#input", text)
    page.press("#input", "Enter")
    expect(page.locator("#lines li.line", has_text=text).last).to_be_visible()


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as data,
        hubbub_serve(Path(data)) as server,
        sync_playwright() as playwright,
    ):
        url = f"http://127.0.0.1:{server.web_port()}/"
        drain_log(server, [])
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        bob = IrcPeer(server.port, "bob")
        bob.join("#hubbub")
        bob.send(
            "TOPIC #hubbub :Release planning for 0.2 · be kind · https://example.com/roadmap"
        )
        dave = IrcPeer(server.port, "dave")
        dave.join("#hubbub")
        for peer in (bob, dave):
            peer.join("#design")

        carol_context = browser.new_context(viewport=WIDE)
        carol = carol_context.new_page()
        sign_in(carol, url, "carol", "#hubbub")

        bob.send("PRIVMSG #hubbub :morning all! the TLS listener landed last night 🎉")
        time.sleep(0.3)
        say(carol, "nice! does the browser client work over it too?")
        dave.send(
            "PRIVMSG #hubbub :it does, through the web port: same server, same rooms"
        )
        time.sleep(0.3)

        alice_context = browser.new_context(viewport=WIDE)
        alice = alice_context.new_page()
        sign_in(alice, url, "alice", "#hubbub #design")
        alice.locator('#buffer-list li[data-buffer="#hubbub"] .buffer-name').click()
        say(alice, "here is the new login screen, from my phone")
        picture: FilePayload = {
            "name": "login.png",
            "mimeType": "image/png",
            "buffer": png(320, 180, (79, 70, 229)),
        }
        alice.set_input_files("#file-input", files=[picture])
        expect(carol.locator("#lines img")).to_have_count(1)
        bob.send("PRIVMSG #hubbub :\x01ACTION gives it a thumbs up 👍\x01")
        bob.send(
            "PRIVMSG #hubbub :alice: looks great, can you post the notes at https://example.com/notes?"
        )
        time.sleep(0.3)
        dave.send("PRIVMSG alice :got a minute after the meeting?")
        dave.send("PRIVMSG #design :colours for the dark theme are up for review")
        bob.send("PRIVMSG #design :alice: take a look when you can")
        time.sleep(0.5)
        say(carol, "I'll test it on the old tablet this afternoon")

        for page in (alice, carol):
            page.locator("#lines img").first.evaluate(
                "image => image.complete || new Promise(done => image.onload = done)"
            )
        alice.screenshot(path=str(out_dir / "browser-client.png"))

        alice.emulate_media(color_scheme="dark")
        alice.screenshot(path=str(out_dir / "browser-client-dark.png"))

        phone_context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        phone = phone_context.new_page()
        sign_in(phone, url, "erin", "#hubbub")
        say(phone, "catching up from the train 🚆")
        time.sleep(0.5)
        phone.screenshot(path=str(out_dir / "browser-client-phone.png"))

        bob.close()
        dave.close()
        browser.close()
    print(f"screenshots written to {out_dir}/")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
