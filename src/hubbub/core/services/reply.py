"""How services answer: a NOTICE from the service to the caller."""

from __future__ import annotations

from hubbub.core.context import Context


def notice(ctx: Context, service: str, text: str) -> None:
    """Send `text` to the caller as a NOTICE from `service`."""
    source = f"{service}!{service}@services.{ctx.server_name}"
    ctx.send_line(f":{source} NOTICE {ctx.user.nick} :{text}")
