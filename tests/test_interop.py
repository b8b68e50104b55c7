"""A third-party IRC library (jaraco's `irc`) chats through a real hubbub process."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import irc.client

from tests.server_process import hubbub_serve


def test_irc_library_clients_exchange_messages(tmp_path: Path) -> None:
    with hubbub_serve(tmp_path) as server:
        reactor = irc.client.Reactor()
        received: list[tuple[str, str, str]] = []
        joined: list[str] = []

        def on_pubmsg(connection: Any, event: Any) -> None:
            received.append(("pub", event.source.nick, event.arguments[0]))

        def on_privmsg(connection: Any, event: Any) -> None:
            received.append(("priv", event.source.nick, event.arguments[0]))

        def on_join(connection: Any, event: Any) -> None:
            joined.append(event.source.nick)

        reactor.add_global_handler("pubmsg", on_pubmsg)
        reactor.add_global_handler("privmsg", on_privmsg)
        reactor.add_global_handler("join", on_join)
        alice = reactor.server().connect("127.0.0.1", server.port, "alice")
        bob = reactor.server().connect("127.0.0.1", server.port, "bob")

        def pump(until: Any, seconds: float = 10) -> None:
            deadline = time.monotonic() + seconds
            while not until() and time.monotonic() < deadline:
                reactor.process_once(0.05)
            assert until(), "timed out"

        pump(
            lambda: alice.is_connected() and bob.is_connected() and alice.real_nickname
        )
        alice.join("#lobby")
        pump(lambda: "alice" in joined)
        bob.join("#lobby")
        pump(lambda: joined.count("bob") >= 2)
        bob.privmsg("#lobby", "Hello everyone!")
        alice.privmsg("bob", "hi bob")
        pump(lambda: len(received) >= 2)
        assert ("pub", "bob", "Hello everyone!") in received
        assert ("priv", "alice", "hi bob") in received
        alice.disconnect("bye")
        bob.disconnect("bye")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
