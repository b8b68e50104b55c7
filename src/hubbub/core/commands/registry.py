"""The command table: `@command` registers a handler with its metadata."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from hubbub.protocol.message import Message

if TYPE_CHECKING:
    from hubbub.core.context import Context

# A handler either finishes inline and returns None, or returns what is left
# of it to await (any `async def` handler does; see core/dispatch.py).
Handler = Callable[["Context", Message], Awaitable[None] | None]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True, slots=True)
class Command:
    """A command's handler and the checks dispatch makes before calling it."""

    name: str
    handler: Handler
    min_params: int = 0
    before_registration: bool = False  # usable before NICK/USER complete
    help: str | None = None  # HELP's text, when not the handler's docstring


COMMANDS: Final[dict[str, Command]] = {}


def command(
    name: str,
    *,
    min_params: int = 0,
    before_registration: bool = False,
    help: str | None = None,
) -> Callable[[H], H]:
    """Register the decorated function as the handler of `name`.

    One handler may serve several commands, each with its own `help`.
    """

    def register(handler: H) -> H:
        assert name not in COMMANDS, f"{name} registered twice"
        COMMANDS[name] = Command(name, handler, min_params, before_registration, help)
        return handler

    return register
