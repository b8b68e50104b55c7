"""The command table of contents: importing a topic module registers its commands."""

from hubbub.core.commands import (
    channels,
    connection,
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
    "channels",
    "command",
    "connection",
    "messaging",
    "modes",
    "operator",
    "queries",
    "registration",
]
