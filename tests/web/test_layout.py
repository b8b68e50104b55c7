"""How the client looks and behaves around the conversation: a phone-sized
screen, light and dark themes, desktop notifications, unread counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from playwright.sync_api import Browser, expect

from tests.web.conftest import PHONE, ChatPage, WebServer

OpenChat = Callable[..., ChatPage]

# A stand-in for the Notification API that records what would be shown.
RECORD_NOTIFICATIONS = """
window.shown = [];
window.Notification = class {
  static permission = "granted";
  static async requestPermission() { return "granted"; }
  constructor(title, options) { window.shown.push([title, options.body]); }
  close() {}
};
"""


def test_a_phone_sized_screen(web_server: WebServer, open_chat: OpenChat) -> None:
    phone = open_chat(web_server.url, "pocket", "#test #other", viewport=PHONE)
    page = phone.page
    sidebar = page.locator("#sidebar")
    # The rooms are off screen until the menu button brings them in.
    expect(page.locator("#show-sidebar")).to_be_visible()
    assert not sidebar.evaluate("e => e.getBoundingClientRect().right > 0")
    page.click("#show-sidebar")
    expect(page.locator("#scrim")).to_be_visible()
    page.wait_for_function(
        "() => document.getElementById('sidebar').getBoundingClientRect().left >= 0"
    )
    phone.buffer("#other").locator(".buffer-name").click()
    expect(page.locator("#buffer-title")).to_have_text("#other")
    expect(page.locator("#scrim")).to_be_hidden()
    # The conversation uses the whole width; nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator("#composer").bounding_box()
    assert box is not None
    assert box["width"] >= PHONE["width"] - 1
    phone.say("typed on a phone")
    expect(phone.line("typed on a phone")).to_be_visible()
    page.click("#show-members")
    expect(page.locator('#member-list li[data-nick="pocket"]')).to_be_in_viewport()


def test_light_and_dark_themes(browser: Browser, web_server: WebServer) -> None:
    background = "getComputedStyle(document.body).backgroundColor"
    schemes: list[tuple[Literal["light", "dark"], str]] = [
        ("light", "rgb(246, 247, 249)"),
        ("dark", "rgb(20, 22, 27)"),
    ]
    for scheme, expected in schemes:
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(web_server.url)
        assert page.evaluate(background) == expected
        context.close()

    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.goto(web_server.url)
    page.fill("#login-nick", "painter")
    page.fill("#login-rooms", "")
    page.click("#login-submit")
    page.click("#theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate(background) == "rgb(20, 22, 27)"
    page.reload()  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    context.close()


def test_mentions_notify_and_count_when_looking_elsewhere(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    alice = open_chat(web_server.url, "alice")
    bob = open_chat(web_server.url, "bob", init_script=RECORD_NOTIFICATIONS)
    bob.page.click("#notify-toggle")
    expect(bob.page.locator("#notify-toggle")).to_have_class("icon on")
    bob.select("hubbub")

    alice.say("good morning everyone")
    alice.say("bob: are you there?")
    badge = bob.buffer("#test").locator(".badge")
    expect(badge).to_have_text("2")
    expect(badge).to_have_class("badge mention")
    expect(bob.page).to_have_title("(1) hubbub")
    bob.page.wait_for_function("window.shown.length === 1")
    assert bob.page.evaluate("window.shown") == [
        ["alice in #test", "bob: are you there?"]
    ]
    bob.select("#test")
    expect(bob.page).to_have_title("hubbub")
    expect(bob.line("bob: are you there?")).to_have_class("line kind-privmsg mention")
