"""The ISUPPORT tokens the client cares about: CASEMAPPING, CHANTYPES, PREFIX.

https://modern.ircdocs.horse/#rplisupport-005
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from hubbub.client.events import ServerFeatures


def parse_prefix(value: str) -> tuple[tuple[str, str], ...] | None:
    """`(ov)@+` as (("o", "@"), ("v", "+")), or None when malformed."""
    if not value.startswith("(") or ")" not in value:
        return None
    modes, _, symbols = value[1:].partition(")")
    if len(modes) != len(symbols):
        return None
    return tuple(zip(modes, symbols, strict=True))


def parse_isupport(features: ServerFeatures, tokens: Iterable[str]) -> ServerFeatures:
    """`features` updated by the tokens of one RPL_ISUPPORT line."""
    for token in tokens:
        key, _, value = token.partition("=")
        if key == "CASEMAPPING" and value:
            features = replace(features, casemapping=value.lower())
        elif key == "CHANTYPES":
            features = replace(features, chantypes=value)
        elif key == "PREFIX":
            prefixes = parse_prefix(value) if value else ()
            if prefixes is not None:
                features = replace(features, prefixes=prefixes)
        elif key == "CHANMODES":
            groups = [*value.split(","), "", "", "", ""][:4]
            features = replace(features, chanmodes=tuple(groups))
    return features
