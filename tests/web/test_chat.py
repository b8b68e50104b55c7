"""The browser client in conversation: pages with each other, with a TCP
client, in private, with history, and with hostile text.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.web.conftest import ChatPage, WebServer
from tests.web.peer import IrcPeer

OpenChat = Callable[..., ChatPage]

# Keeps every line the page sends over its WebSocket in `window.sentLines`;
# SENT_HISTORY_REQUESTS picks its requests for a buffer's history.
RECORD_SENT_LINES = """
window.sentLines = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  window.sentLines.push(String(data));
  return send.call(this, data);
};
"""
SENT_HISTORY_REQUESTS = (
    "window.sentLines.flatMap((data) => data.split('\\r\\n'))"
    ".filter((line) => line.startsWith('CHATHISTORY ')"
    " && !line.startsWith('CHATHISTORY TARGETS'))"
)


def test_two_pages_chat(web_server: WebServer, open_chat: OpenChat) -> None:
    alice = open_chat(web_server.url, "alice")
    bob = open_chat(web_server.url, "bob")
    expect(alice.line("bob joined #test")).to_be_visible()
    expect(alice.page.locator('#member-list li[data-nick="bob"]')).to_be_visible()
    expect(alice.page.locator("#members-title")).to_have_text("2 people")

    alice.say("hello bob, nice weather")
    line = bob.line("hello bob, nice weather")
    expect(line).to_be_visible()
    expect(line.locator(".nick")).to_have_text("alice")
    expect(line).to_have_class("line kind-privmsg mention")  # it names bob
    # Times come from server-time, as a machine-readable <time>.
    assert line.locator("time").get_attribute("datetime")
    expect(alice.line("hello bob, nice weather")).to_have_class(
        "line kind-privmsg self"
    )

    bob.say("hi alice 😀")
    expect(alice.line("hi alice 😀")).to_be_visible()

    bob.say("/part see you later")
    expect(alice.line("bob left #test (see you later)")).to_be_visible()
    expect(alice.page.locator('#member-list li[data-nick="bob"]')).to_have_count(0)


def test_a_page_and_a_tcp_client_chat(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    peer = IrcPeer(web_server.irc_port, "tcpuser")
    peer.join("#test")
    page = open_chat(web_server.url, "webuser")
    peer.read_until("JOIN #test")

    page.say("hello from the browser")
    received = peer.read_until("hello from the browser")[-1]
    assert received.startswith(":webuser!")
    assert received.endswith("PRIVMSG #test :hello from the browser")

    peer.send("PRIVMSG #test :hello from the terminal")
    line = page.line("hello from the terminal")
    expect(line).to_be_visible()
    expect(line.locator(".nick")).to_have_text("tcpuser")

    peer.send("PRIVMSG #test :\x01ACTION waves\x01")
    expect(page.page.locator("#lines li.kind-action", has_text="waves")).to_be_visible()
    peer.close()
    expect(page.line("tcpuser quit")).to_be_visible()


def test_a_flood_of_messages_keeps_the_page_bounded(
    busy_web_server: WebServer, open_chat: OpenChat
) -> None:
    page = open_chat(busy_web_server.url, "webuser")
    peer = IrcPeer(busy_web_server.irc_port, "flooder")
    peer.join("#test")
    lines = [f"PRIVMSG #test :flood {number}" for number in range(7000)]
    for start in range(0, len(lines), 500):
        peer.send(*lines[start : start + 500])
    expect(page.line("flood 6999")).to_be_visible(timeout=60_000)
    drawn = page.page.locator("#lines > li").count()
    assert drawn <= 6000
    assert page.page.locator("#lines li.line", has_text="flood 0").count() == 0
    # Still answering: a line typed now goes out and shows.
    page.say("still here")
    assert peer.read_until("still here", seconds=30)[-1].endswith(":still here")
    peer.close()


def test_a_private_message(web_server: WebServer, open_chat: OpenChat) -> None:
    alice = open_chat(web_server.url, "alice")
    bob = open_chat(web_server.url, "bob")
    # alice opens a conversation from the member list.
    alice.page.locator('#member-list li[data-nick="bob"] button').click()
    expect(alice.page.locator("#buffer-title")).to_have_text("bob")
    alice.say("just between us")
    expect(alice.line("just between us")).to_be_visible()

    # bob sees a new conversation with an unread count, not a line in #test.
    badge = bob.buffer("alice").locator(".badge")
    expect(badge).to_have_text("1")
    expect(badge).to_have_class("badge mention")
    expect(bob.line("just between us")).to_have_count(0)
    bob.select("alice")
    expect(bob.line("just between us")).to_be_visible()
    expect(bob.buffer("alice").locator(".badge")).to_have_count(0)

    bob.say("/me nods")
    expect(alice.page.locator("#lines li.kind-action", has_text="nods")).to_be_visible()
    # /msg from a room sends privately without leaving the room.
    alice.select("#test")
    alice.say("/msg bob one more thing")
    expect(bob.line("one more thing")).to_be_visible()
    expect(alice.page.locator("#buffer-title")).to_have_text("#test")


def test_scrolling_back_loads_older_history(
    busy_web_server: WebServer, open_chat: OpenChat
) -> None:
    peer = IrcPeer(busy_web_server.irc_port, "talker")
    peer.join("#history")
    for number in range(1, 131):
        peer.send(f"PRIVMSG #history :history line {number:03}")
    peer.send("PING :sent")
    peer.read_until("PONG")

    page = open_chat(
        busy_web_server.url, "reader", "#history", init_script=RECORD_SENT_LINES
    )
    expect(page.line("history line 130")).to_be_visible()
    messages = page.page.locator("#lines li.kind-privmsg")
    # One page of CHATHISTORY LATEST (50 items, our JOIN among them).
    expect(messages).to_have_count(49)
    expect(page.line("history line 001")).to_have_count(0)
    # Joining asked for that page alone: an older page asked for at the same
    # time would still be on its way when the person scrolls up, and that
    # scroll would be lost.
    assert page.page.evaluate(SENT_HISTORY_REQUESTS) == [
        "CHATHISTORY LATEST #history * 50"
    ]

    log = page.page.locator("#log")
    counts = [49]
    while page.line("history line 001").count() == 0:
        assert len(counts) < 6, f"history stopped loading at {counts}"
        log.evaluate("element => { element.scrollTop = 0; }")
        expect(messages).not_to_have_count(counts[-1])
        counts.append(messages.count())
    assert counts == [49, 99, 130]  # pages of 50, older first
    expect(page.line("history line 001")).to_be_visible()
    expect(page.page.locator("#history-status")).to_have_text(
        "This is the beginning of the conversation."
    )
    texts = messages.locator(".text").all_inner_texts()
    assert texts == [f"history line {number:03}" for number in range(1, 131)]


def test_markup_in_messages_and_topics_is_shown_as_text(
    web_server: WebServer, open_chat: OpenChat
) -> None:
    peer = IrcPeer(web_server.irc_port, "mallory")
    peer.join("#test")
    page = open_chat(web_server.url, "victim")
    page.page.evaluate("window.pwned = 0")
    script = "<script>window.pwned = 1</script>"
    image = '<img src=x onerror="window.pwned = 2">'
    peer.send(f"PRIVMSG #test :{script}")
    peer.send(f"PRIVMSG #test :{image}")
    peer.send("TOPIC #test :<b>bold</b><svg onload=alert(1)>")
    peer.send("PRIVMSG #test :javascript:alert(1) and https://example.com/a?b=1&c=2.")
    peer.send("PRIVMSG #test :emoji as they are: 🎉👍🏽 ❤️")

    expect(page.line(script)).to_be_visible()
    expect(page.line(image)).to_be_visible()
    expect(page.page.locator("#buffer-topic")).to_have_text(
        "<b>bold</b><svg onload=alert(1)>"
    )
    expect(page.line("emoji as they are: 🎉👍🏽 ❤️")).to_be_visible()
    links = page.line("javascript:alert(1)").locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.com/a?b=1&c=2")
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    expect(links).to_have_attribute("target", "_blank")

    assert page.page.evaluate("window.pwned") == 0
    for selector in ("#lines script", "#lines img", "#lines b", "header svg[onload]"):
        expect(page.page.locator(selector)).to_have_count(0)
