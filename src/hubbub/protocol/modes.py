"""Mode letters, and parsing/formatting of mode strings.

https://modern.ircdocs.horse/#channel-modes and #user-modes
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# ISUPPORT CHANMODES groups: A = list, B = always a parameter,
# C = a parameter when set, D = never a parameter.
CHANMODES_LIST = "beI"
CHANMODES_PARAM_ALWAYS = "k"
CHANMODES_PARAM_WHEN_SET = "l"
CHANMODES_FLAGS = "Cimnpst"  # C: no CTCP except ACTION
# PREFIX=(ov)@+ : membership modes, highest first.
PREFIX_MODES = "ov"
PREFIX_SYMBOLS: Final = "@+"
PREFIX_BY_MODE = dict(zip(PREFIX_MODES, PREFIX_SYMBOLS, strict=True))
USER_MODES = "Biow"


@dataclass(frozen=True, slots=True)
class ModeChange:
    """One mode letter being set or unset, with its argument if it takes one."""

    adding: bool
    letter: str
    argument: str | None = None


def takes_argument(letter: str, adding: bool) -> bool:
    """Does channel mode `letter` consume an argument in this direction?"""
    if letter in CHANMODES_LIST or letter in CHANMODES_PARAM_ALWAYS:
        return True
    if letter in PREFIX_MODES:
        return True
    return letter in CHANMODES_PARAM_WHEN_SET and adding


def parse_mode_string(
    modestring: str, arguments: list[str], *, channel: bool
) -> tuple[list[ModeChange], list[str]]:
    """Split `+ov-k alice bob` into changes; return them and any unknown letters.

    A list mode with no argument left is returned with `argument=None` (a list
    query). A mode that needs an argument and has none is dropped.
    """
    changes: list[ModeChange] = []
    unknown: list[str] = []
    args = list(arguments)
    adding = True
    known = (
        CHANMODES_LIST
        + CHANMODES_PARAM_ALWAYS
        + CHANMODES_PARAM_WHEN_SET
        + CHANMODES_FLAGS
        + PREFIX_MODES
        if channel
        else USER_MODES
    )
    for letter in modestring:
        if letter in "+-":
            adding = letter == "+"
        elif letter not in known:
            unknown.append(letter)
        elif channel and takes_argument(letter, adding):
            if args:
                changes.append(ModeChange(adding, letter, args.pop(0)))
            elif letter in CHANMODES_LIST or (letter == "k" and not adding):
                changes.append(ModeChange(adding, letter, None))
        else:
            changes.append(ModeChange(adding, letter))
    return changes, unknown


def format_mode_changes(changes: list[ModeChange]) -> list[str]:
    """Render changes as `["+o-v", "alice", "bob"]` for a MODE message."""
    letters: list[str] = []
    arguments: list[str] = []
    direction = ""
    for change in changes:
        sign = "+" if change.adding else "-"
        if sign != direction:
            letters.append(sign)
            direction = sign
        letters.append(change.letter)
        if change.argument is not None:
            arguments.append(change.argument)
    return ["".join(letters), *arguments]
