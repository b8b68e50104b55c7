"""Casemapping and name validation: `casefold()` and the nick/channel rules.

hubbub uses the `rfc1459` casemapping (advertised as CASEMAPPING in ISUPPORT):
ASCII letters plus `[]\\~` fold to `{}|^`.
https://modern.ircdocs.horse/#casemapping-parameter
"""

from __future__ import annotations

import unicodedata
from typing import Final, NewType

__all__ = [
    "CHANTYPES",
    "Casefolded",
    "casefold",
    "is_valid_channel",
    "is_valid_nick",
]

Casefolded = NewType("Casefolded", str)

CASEMAPPING = "rfc1459"
CHANTYPES: Final = "#&"

_RFC1459 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~", "abcdefghijklmnopqrstuvwxyz{}|^"
)

# Characters that may not appear in a nick: they have a meaning in masks,
# prefixes or the wire format (Modern, "Clients" / nicknames).
_NICK_FORBIDDEN = frozenset(" ,*?!@.:#&$%+~\0\r\n")
_NICK_FORBIDDEN_FIRST = frozenset("0123456789-'")
_CHANNEL_FORBIDDEN = frozenset(" ,\x07\0\r\n:")
# Beyond ASCII, what a name may not hold either: controls, lone surrogates,
# spaces and line breaks of every kind, and the invisible characters that
# would let a name pass for another ("admin" written with U+202E, or
# followed by U+200B) or read as a sentence. Not every formatting character:
# U+200C/U+200D (ZWNJ, ZWJ) belong to Persian and Indic spelling and to
# emoji sequences, and tag characters to flags.
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cs", "Zs", "Zl", "Zp"))
_INVISIBLE = frozenset(
    "\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u3164\ufeff\uffa0"
)


_RFC1459_SPECIALS = str.maketrans("[]\\~", "{}|^")


# Names folded lately, and what they fold to. Every message folds its
# sender's and target's names several times over (to find the sender, the
# target, the recipient and the service names), and nearly always names it
# has folded before: a dictionary lookup costs half of folding again. Bounded:
# emptied when it reaches `FOLDED_NAMES_KEPT` names, and longer names than
# any nick or channel may have are folded but not kept.
_folded: Final[dict[str, Casefolded]] = {}
FOLDED_NAMES_KEPT: Final = 8192
_LONGEST_KEPT: Final = 64


def casefold(name: str) -> Casefolded:
    """Fold a nick or channel name for comparison (rfc1459)."""
    folded = _folded.get(name)
    if folded is None:
        folded = _fold(name)
        if len(name) <= _LONGEST_KEPT:
            if len(_folded) >= FOLDED_NAMES_KEPT:
                _folded.clear()
            _folded[name] = folded
    return folded


def _fold(name: str) -> Casefolded:
    # An ASCII name folds with str.lower, three times faster than a
    # translate table.
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
    if any(char in _NICK_FORBIDDEN or ord(char) < 33 for char in nick):
        return False
    return nick.isascii() or _all_visible(nick)


def is_valid_channel(name: str, max_length: int) -> bool:
    """Is `name` an acceptable channel name of at most `max_length` characters?"""
    if len(name) < 2 or len(name) > max_length or name[0] not in CHANTYPES:
        return False
    if any(char in _CHANNEL_FORBIDDEN for char in name):
        return False
    return name.isascii() or _all_visible(name)


def _all_visible(name: str) -> bool:
    return not any(
        char in _INVISIBLE or unicodedata.category(char) in _INVISIBLE_CATEGORIES
        for char in name
        if not char.isascii()
    )
