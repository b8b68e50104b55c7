"""Whose command is running: the engine's `acting` user, step by step.

A command that waits (a group commit, a database read) is suspended between
steps, and other sessions' lines run meanwhile. What the engine sends a user
is that user's command's own output only while that command is the one
running: `Acting` wraps the rest of a command and sets `Engine.acting` to its
user for each of its steps, and back after. Lines others' actions send the
user meanwhile are not its command's output (`Engine.send`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hubbub.core.engine import Engine
    from hubbub.core.user import User


class Acting:
    """`await Acting(engine, user, rest)`: await `rest` as `user`'s steps."""

    __slots__ = ("_engine", "_rest", "_user")

    def __init__(self, engine: Engine, user: User, rest: Awaitable[None]) -> None:
        self._engine = engine
        self._user = user
        self._rest = rest

    def __await__(self) -> Generator[Any, Any, None]:
        steps = self._rest.__await__()
        engine = self._engine
        value: Any = None
        error: BaseException | None = None
        while True:
            before = engine.acting
            engine.acting = self._user
            try:
                waiting = steps.send(value) if error is None else steps.throw(error)
            except StopIteration:
                return
            finally:
                engine.acting = before
            try:
                value = yield waiting
                error = None
            except BaseException as thrown:  # cancelled, say: passed on in
                value, error = None, thrown
