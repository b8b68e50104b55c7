"""The services' nicks: reserved, no user may take them or name an account so."""

from __future__ import annotations

from typing import Final

from hubbub.protocol.casemap import casefold

SERVICE_NICKS = ("NickServ", "ChanServ")
_RESERVED: Final = frozenset(casefold(nick) for nick in SERVICE_NICKS)
# Their lengths (casefolding keeps a name's length): asked for every message's
# target, most of which are then told apart without being casefolded.
_LENGTHS: Final = frozenset(len(nick) for nick in SERVICE_NICKS)


def service_mask(service: str, server_name: str) -> str:
    """The source of what `service` says: `nick!nick@services.<server>`."""
    return f"{service}!{service}@services.{server_name}"


def is_service(nick: str) -> bool:
    """Is `nick` one of the services' nicks (in any case)?"""
    return len(nick) in _LENGTHS and casefold(nick) in _RESERVED
