"""Signing in and staying connected: accounts (SASL PLAIN), clear messages
when something fails, and reconnecting with backoff after the server restarts.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from playwright.sync_api import expect

from tests.web.conftest import ChatPage, ServerFactory, WebServer, create_account
from tests.web.peer import IrcPeer

OpenChat = Callable[..., ChatPage]


def test_logging_in_with_an_account(
    servers: ServerFactory, open_chat: OpenChat
) -> None:
    data_dir = servers.tmp_path / "data"
    create_account(data_dir, "alice", "correct horse battery")
    server = servers.start(data_dir=data_dir)
    alice = open_chat(server.url, "alice", password="correct horse battery")
    alice.select("hubbub")
    expect(alice.line("You are logged in as alice.")).to_be_visible()

    peer = IrcPeer(server.irc_port, "checker")
    peer.send("WHOIS alice")
    assert any(" 330 " in line for line in peer.read_until(" 318 "))
    peer.close()


def test_a_wrong_password_is_said_on_the_sign_in_form(
    servers: ServerFactory, open_chat: OpenChat
) -> None:
    data_dir = servers.tmp_path / "data"
    create_account(data_dir, "alice", "correct horse battery")
    server = servers.start(data_dir=data_dir)
    alice = open_chat(server.url, "alice", wait=False, password="wrong password")
    error = alice.page.locator("#login-error")
    expect(error).to_have_text("Login failed: the account name or password is wrong.")
    expect(alice.page.locator("#login")).to_be_visible()
    expect(alice.page.locator("#chat")).to_be_hidden()


def test_the_sign_in_form_checks_the_nickname(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    page = open_chat(web_server.url, "9lives", wait=False)
    expect(page.page.locator("#login-error")).to_contain_text(
        "does not start with a digit"
    )
    page.page.fill("#login-nick", "")
    page.page.click("#login-submit")
    expect(page.page.locator("#login-error")).to_have_text("Choose a nickname.")


def test_a_taken_nickname_gets_an_underscore(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    peer = IrcPeer(web_server.irc_port, "sam")
    page = open_chat(web_server.url, "sam", wait=False)
    page.wait_joined("#test", "sam_")
    expect(page.page.locator("#me")).to_have_text("sam_")
    peer.close()


def test_reconnects_with_backoff_after_the_server_restarts(
    servers: ServerFactory, open_chat: OpenChat
) -> None:
    first = servers.start()
    port = first.web_port
    page = open_chat(first.url, "steady")
    expect(page.page.locator("#connection-dot")).to_have_class("dot connected")

    first.server.process.send_signal(signal.SIGTERM)
    first.server.process.wait(timeout=15)
    banner = page.page.locator("#status-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Reconnecting in")
    expect(page.page.locator("#status-retry")).to_be_visible()
    expect(page.page.locator("#connection-dot")).to_have_class("dot offline")

    # The same data and web port again: the page comes back by itself.
    second = servers.start("--web-port", str(port), data_dir=first.data_dir)
    peer = IrcPeer(second.irc_port, "witness")
    peer.join("#test")
    expect(banner).to_be_hidden(timeout=20_000)
    expect(page.page.locator("#connection-dot")).to_have_class("dot connected")
    peer.read_until("JOIN #test", seconds=20)  # the page rejoined its room
    page.say("back again")
    assert peer.read_until("back again")[-1].endswith("PRIVMSG #test :back again")
    peer.close()


def test_no_server_at_all_is_a_clear_message(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    page = open_chat(web_server.url, "lonely")
    web_server.server.process.send_signal(signal.SIGTERM)
    web_server.server.process.wait(timeout=15)
    page.page.click("#status-retry")  # try now: nobody answers
    expect(page.page.locator("#status-text")).to_contain_text(
        "Could not reach the chat server."
    )
    expect(page.page.locator("#status-text")).to_contain_text("Reconnecting in")
