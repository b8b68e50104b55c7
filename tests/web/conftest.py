"""Fixtures for the browser tests: Debian's Chromium driven by Playwright,
against a real `hubbub serve`.

Playwright's own browser download is not available on these machines, so the
tests launch /usr/bin/chromium (`apt-get install chromium`; `.ci/run` does)
and are skipped, saying so, when it is missing.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.server_process import NO_FLOOD_LIMITS, ServerProcess, hubbub_serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
]
WIDE: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by a module's tests (each page has its own context)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class WebServer:
    """A running `hubbub serve`: its web address, IRC port and log."""

    server: ServerProcess
    data_dir: Path
    log: list[str] = field(default_factory=list)

    @property
    def web_port(self) -> int:
        return self.server.web_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/"

    @property
    def irc_port(self) -> int:
        return self.server.port


def drain_log(server: ServerProcess, log: list[str]) -> threading.Thread:
    """Keep reading the server's stderr (so it never blocks on a full pipe)."""

    def read() -> None:
        stream = server.process.stderr
        assert stream is not None
        try:
            for line in stream:
                log.append(line.rstrip("\n"))
        except (OSError, ValueError):
            return  # closed by hubbub_serve at the end

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


class ServerFactory:
    """Start `hubbub serve` processes (all stopped at the end of the test)."""

    def __init__(self, tmp_path: Path, stack: ExitStack) -> None:
        self.tmp_path = tmp_path
        self.stack = stack

    def start(
        self, *args: str, data_dir: Path | None = None, config: str | None = None
    ) -> WebServer:
        directory = data_dir or self.tmp_path / "data"
        server = self.stack.enter_context(hubbub_serve(directory, *args, config=config))
        running = WebServer(server, directory)
        server.web_port()
        drain_log(server, running.log)
        return running


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """A way to start (and restart) servers within one test."""
    with ExitStack() as stack:
        yield ServerFactory(tmp_path, stack)


@pytest.fixture
def web_server(servers: ServerFactory) -> WebServer:
    """A fresh `hubbub serve` with its web port on a free port."""
    return servers.start()


@pytest.fixture
def busy_web_server(servers: ServerFactory) -> WebServer:
    """The same, for a peer that stands for a busy channel's many senders:
    flood control, which would slow one sender that fast, is off."""
    return servers.start(config=NO_FLOOD_LIMITS)


def create_account(data_dir: Path, name: str, password: str) -> None:
    """An account in the server's storage, made with `hubbub accounts create`."""
    command = [sys.executable, "-m", "hubbub", "accounts", "create", name]
    command += ["--data-dir", str(data_dir), "--password", password]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


class ChatPage:
    """One person in the browser client: a page in its own browser context."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def sign_in(
        self,
        url: str,
        nick: str,
        rooms: str = "#test",
        *,
        account: str | None = None,
        password: str | None = None,
    ) -> None:
        """Open the client, fill in the sign-in form and start."""
        self.page.goto(url)
        self.page.fill("#login-nick", nick)
        self.page.fill("#login-rooms", rooms)
        if account is not None or password is not None:
            self.page.check("#login-use-account")
            self.page.fill("#login-account", account or "")
            self.page.fill("#login-password", password or "")
        self.page.click("#login-submit")

    def buffer(self, name: str) -> Locator:
        """The sidebar entry of a room or conversation."""
        return self.page.locator(f'#buffer-list li[data-buffer="{name}"]')

    def select(self, name: str) -> None:
        self.buffer(name).locator(".buffer-name").click()
        expect(self.page.locator("#buffer-title")).to_have_text(name)

    @property
    def lines(self) -> Locator:
        return self.page.locator("#lines")

    def line(self, text: str) -> Locator:
        """The message line showing `text`."""
        return self.page.locator("#lines li.line", has_text=text)

    def say(self, text: str) -> None:
        """Type a line and press Enter."""
        self.page.fill("#input", text)
        self.page.press("#input", "Enter")

    def wait_joined(self, room: str, nick: str) -> None:
        """In `room`, with ourselves in its member list."""
        expect(self.buffer(room)).to_be_visible()
        expect(self.page.locator("#buffer-title")).to_have_text(room)
        expect(
            self.page.locator(f'#member-list li[data-nick="{nick}"]')
        ).to_be_visible()


@pytest.fixture
def open_chat(browser: Browser) -> Iterator[Callable[..., ChatPage]]:
    """Make signed-in chat pages; fails the test if any page threw an error."""
    pages: list[ChatPage] = []

    def make(
        url: str,
        nick: str,
        rooms: str = "#test",
        *,
        viewport: ViewportSize = WIDE,
        wait: bool = True,
        init_script: str | None = None,
        **sign_in: str,
    ) -> ChatPage:
        context = browser.new_context(viewport=viewport)
        if init_script is not None:
            context.add_init_script(init_script)
        chat = ChatPage(context, context.new_page())
        pages.append(chat)
        chat.sign_in(url, nick, rooms, **sign_in)
        if wait and rooms:
            chat.wait_joined(rooms.split()[0], nick)
        return chat

    yield make
    errors = [error for chat in pages for error in chat.errors]
    for chat in pages:
        chat.context.close()
    assert not errors, f"errors in the page: {errors}"
