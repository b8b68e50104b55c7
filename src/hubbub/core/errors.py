"""Errors that handlers raise and `dispatch` turns into replies."""

from __future__ import annotations

from hubbub.protocol.numerics import Numeric


class IrcError(Exception):
    """A command failed in a way the client must hear about, as a numeric."""

    def __init__(self, numeric: Numeric, *params: str, text: str | None = None) -> None:
        super().__init__(numeric.code, *params)
        self.numeric = numeric
        self.params = params
        self.text = text  # overrides the numeric's default text


class StandardReplyError(Exception):
    """An IRCv3 standard reply: `FAIL <command> <code> [context...] :<text>`."""

    def __init__(self, command: str, code: str, *context: str, text: str) -> None:
        super().__init__(command, code, *context, text)
        self.command = command
        self.code = code
        self.context = context
        self.text = text


class StoreUnavailableError(Exception):
    """A store could not do what was asked: its database failed, or stayed
    unreachable after retries (a full disk, a broken file, a lost server).

    Every store behind the core's ports (`hubbub.core.ports`) raises this,
    or a subclass (`hubbub.storage.errors.StorageError`), so the core can
    answer the client with a standard reply instead of dropping the
    connection, knowing no storage. Nothing the client asked for was
    stored, or read.
    """
