"""How services take commands and answer: a NOTICE from the service to the caller."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from hubbub.core.context import Context
from hubbub.core.errors import StoreUnavailableError
from hubbub.core.services.names import service_mask

logger = logging.getLogger(__name__)

ServiceCommand = Callable[[Context, list[str]], Awaitable[None]]


def notice(ctx: Context, service: str, text: str) -> None:
    """Send `text` to the caller as a NOTICE from `service`."""
    source = service_mask(service, ctx.server_name)
    ctx.send_line(f":{source} NOTICE {ctx.user.nick} :{text}")


async def run_command(
    ctx: Context, service: str, commands: Mapping[str, ServiceCommand], words: list[str]
) -> None:
    """Look the first word up in the service's table and run it (HELP by default)."""
    command, args = (words[0].upper(), words[1:]) if words else ("HELP", [])
    handler = commands.get(command)
    if handler is None:
        notice(ctx, service, f"Unknown command {command}. Try HELP.")
        return
    try:
        await handler(ctx, args)
    except StoreUnavailableError as error:
        logger.warning(
            "! %s %s of session %d failed: %s",
            service,
            command,
            ctx.user.session_id,
            error,
        )
        notice(
            ctx,
            service,
            f"{command} could not be done: the server's storage is not"
            " available. Try again later.",
        )
