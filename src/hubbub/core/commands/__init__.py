"""The command table of contents: importing a topic module registers its commands."""

from hubbub.core.commands import (
    accounts,
    channels,
    connection,
    files,
    history,
    messaging,
    modes,
    operator,
    queries,
    registration,
)
from hubbub.core.commands.registry import COMMANDS, Command, command

__all__ = [
    "COMMANDS",
    "Command",
    "accounts",
    "channels",
    "command",
    "connection",
    "files",
    "history",
    "messaging",
    "modes",
    "operator",
    "queries",
    "registration",
]
