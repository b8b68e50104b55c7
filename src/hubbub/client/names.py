"""Names on the client side: sources, casemapping per the server's ISUPPORT, prefixes.

https://modern.ircdocs.horse/#casemapping-parameter
"""

from __future__ import annotations

import re

from hubbub.protocol.casemap import casefold

# Characters a nick may contain besides letters and digits (Modern, nicknames).
_NICK_CHARS = r"[\w\-\[\]\\`^{}|]"

_STRICT_RFC1459 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\", "abcdefghijklmnopqrstuvwxyz{}|"
)
_ASCII = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_name(name: str, casemapping: str) -> str:
    """Fold a nick or channel name the way the server compares them."""
    if casemapping == "ascii":
        return name.translate(_ASCII)
    if casemapping == "strict-rfc1459":
        return name.translate(_STRICT_RFC1459)
    # rfc1459 is the default when a server names none (Modern, CASEMAPPING).
    return casefold(name)


def nick_of(source: str | None) -> str:
    """The nick in a `nick!user@host` source (the whole source for a server)."""
    if not source:
        return ""
    return source.split("!", 1)[0].split("@", 1)[0]


def split_prefixes(entry: str, prefix_chars: str) -> tuple[str, str]:
    """Split a NAMES entry `@+alice!a@host` into ("alice", "@+") (multi-prefix)."""
    index = 0
    while index < len(entry) and entry[index] in prefix_chars:
        index += 1
    # userhost-in-names may add `!user@host`: keep the nick only.
    return nick_of(entry[index:]), entry[:index]


def mentions(text: str, nick: str) -> bool:
    """Does `text` name `nick` as a whole word (not `alicebot` for `alice`)?"""
    if not nick:
        return False
    pattern = rf"(?<!{_NICK_CHARS}){re.escape(nick)}(?!{_NICK_CHARS})"
    return re.search(pattern, text, re.IGNORECASE) is not None
