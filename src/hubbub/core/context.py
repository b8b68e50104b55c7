"""`Context`: what a command handler sees: the caller, the state, and how to answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubbub.core.events import Event
from hubbub.core.ports import HistoryItem
from hubbub.core.user import User
from hubbub.protocol.framing import encode_line
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
        self.server_name = engine.server_name

    def now(self) -> float:
        """The injected clock's time."""
        return self.engine.clock.now()

    def send_line(self, text: str) -> None:
        """Send one pre-rendered line (without CRLF) to the caller."""
        self.engine.send(self.user, encode_line(text))

    def reply(self, numeric: Numeric, *params: str, text: str | None = None) -> None:
        """Send a numeric to the caller: `:server CODE nick params... :text`."""
        self.engine.send_numeric(self.user, numeric, *params, text=text)

    def fail(self, command: str, code: str, *context: str, text: str) -> None:
        """Send an IRCv3 standard reply: `FAIL <command> <code> [context...] :text`."""
        parts = [":" + self.server_name, "FAIL", command, code, *context, ":" + text]
        self.send_line(" ".join(parts))

    def apply(self, event: Event) -> list[HistoryItem]:
        """Deliver `event` and apply it to the state; return what history kept."""
        return self.engine.apply(event)
