"""File sharing: FILEHOST gives a client the upload address and a short-lived token.

Clients then POST the file to the web port (see transport/web.py) and send the
returned link as an ordinary message, as the soju.im/FILEHOST proposal
describes.
"""

from __future__ import annotations

from hubbub.core.commands.registry import command
from hubbub.core.context import Context
from hubbub.core.errors import StandardReplyError
from hubbub.protocol.message import Message


@command("FILEHOST")
async def handle_filehost(ctx: Context, msg: Message) -> None:
    """Where to upload files and a token for it: FILEHOST -> <url> <token> <seconds>."""
    base = ctx.engine.web_base_url
    if base is None or not ctx.config.files.enabled:
        raise StandardReplyError("FILEHOST", "UNAVAILABLE", text="File sharing is off")
    token = ctx.engine.issue_upload_token(ctx.user)
    seconds = str(ctx.config.files.token_seconds)
    ctx.send_line(f":{ctx.server_name} FILEHOST {base}/upload {token} {seconds}")
