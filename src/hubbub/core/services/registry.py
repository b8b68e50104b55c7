"""The services table: which nick runs which handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hubbub.core.context import Context
from hubbub.core.services import chanserv, nickserv
from hubbub.core.services.names import is_service
from hubbub.protocol.casemap import Casefolded, casefold

ServiceHandler = Callable[[Context, list[str]], Awaitable[None]]

__all__ = ["SERVICES", "is_service", "message_service"]

SERVICES: dict[Casefolded, tuple[str, ServiceHandler]] = {
    casefold("NickServ"): ("NickServ", nickserv.handle),
    casefold("ChanServ"): ("ChanServ", chanserv.handle),
}


async def message_service(ctx: Context, nick: str, text: str) -> None:
    """Run a service command sent as a message to the service `nick`."""
    _, handler = SERVICES[casefold(nick)]
    await handler(ctx, text.split())
