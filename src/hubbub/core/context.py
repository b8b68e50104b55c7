"""`Context`: what a command handler sees: the caller, the state, and how to answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubbub.core.events import Event
from hubbub.core.user import User
from hubbub.protocol.message import Message
from hubbub.protocol.numerics import Numeric

if TYPE_CHECKING:
    from hubbub.core.engine import Engine


class Context:
    """One command being handled."""

    __slots__ = ("config", "engine", "msg", "server_name", "state", "user")

    def __init__(self, engine: Engine, user: User, msg: Message) -> None:
        self.engine = engine
        self.user = user
        self.msg = msg
        self.state = engine.state
        self.config = engine.config
        self.server_name = engine.config.server_name

    def now(self) -> float:
        """The injected clock's time."""
        return self.engine.clock.now()

    def send_line(self, text: str) -> None:
        """Send one pre-rendered line (without CRLF) to the caller."""
        self.engine.send(self.user, (text + "\r\n").encode("utf-8", errors="replace"))

    def reply(self, numeric: Numeric, *params: str, text: str | None = None) -> None:
        """Send a numeric to the caller: `:server CODE nick params... :text`."""
        trailing = text if text is not None else numeric.text
        parts = [":" + self.server_name, numeric.code, self.user.nick, *params]
        if trailing is not None:
            parts.append(":" + trailing)
        elif params:
            last = parts[-1]
            if not last or " " in last or last.startswith(":"):
                parts[-1] = ":" + last
        self.send_line(" ".join(parts))

    def fail(self, command: str, code: str, *context: str, text: str) -> None:
        """Send an IRCv3 standard reply: `FAIL <command> <code> [context...] :text`."""
        parts = [":" + self.server_name, "FAIL", command, code, *context, ":" + text]
        self.send_line(" ".join(parts))

    def apply(self, event: Event) -> None:
        """Deliver `event` and apply it to the state."""
        self.engine.apply(event)
