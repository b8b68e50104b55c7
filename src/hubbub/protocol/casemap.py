"""Casemapping and name validation: `casefold()` and the nick/channel rules.

hubbub uses the `rfc1459` casemapping (advertised as CASEMAPPING in ISUPPORT):
ASCII letters plus `[]\\~` fold to `{}|^`.
https://modern.ircdocs.horse/#casemapping-parameter
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "CHANTYPES",
    "Casefolded",
    "casefold",
    "is_valid_channel",
    "is_valid_nick",
]

Casefolded = NewType("Casefolded", str)

CASEMAPPING = "rfc1459"
CHANTYPES = "#&"

_RFC1459 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~", "abcdefghijklmnopqrstuvwxyz{}|^"
)

# Characters that may not appear in a nick: they have a meaning in masks,
# prefixes or the wire format (Modern, "Clients" / nicknames).
_NICK_FORBIDDEN = frozenset(" ,*?!@.:#&$%+~\0\r\n")
_NICK_FORBIDDEN_FIRST = frozenset("0123456789-'")
_CHANNEL_FORBIDDEN = frozenset(" ,\x07\0\r\n:")


_RFC1459_SPECIALS = str.maketrans("[]\\~", "{}|^")


def casefold(name: str) -> Casefolded:
    """Fold a nick or channel name for comparison (rfc1459)."""
    # On the hot path (every message folds its target and sender): an ASCII
    # name folds with str.lower, three times faster than a translate table.
    if name.isascii():
        folded = name.lower()
        if "[" in folded or "]" in folded or "\\" in folded or "~" in folded:
            folded = folded.translate(_RFC1459_SPECIALS)
        return Casefolded(folded)
    return Casefolded(name.translate(_RFC1459))


def is_valid_nick(nick: str, max_length: int) -> bool:
    """Is `nick` an acceptable nickname of at most `max_length` characters?"""
    if not nick or len(nick) > max_length:
        return False
    if nick[0] in _NICK_FORBIDDEN_FIRST:
        return False
    return not any(char in _NICK_FORBIDDEN or ord(char) < 33 for char in nick)


def is_valid_channel(name: str, max_length: int) -> bool:
    """Is `name` an acceptable channel name of at most `max_length` characters?"""
    if len(name) < 2 or len(name) > max_length or name[0] not in CHANTYPES:
        return False
    return not any(char in _CHANNEL_FORBIDDEN for char in name)
