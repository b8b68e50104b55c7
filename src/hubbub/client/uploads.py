"""`/upload PATH`: share a file through the server's FILEHOST service.

The server answers `FILEHOST` with `<upload-url> <token> <seconds>`; the file is
POSTed there (raw body, `Authorization: Bearer <token>`), and the link it
returns is sent to the conversation as an ordinary message.
"""

from __future__ import annotations

import asyncio
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp

MAX_SECONDS = 60.0
# Why the server refused, in words (HTTP status -> explanation).
_REFUSALS = {
    401: "the server did not accept the upload token",
    413: "the file is larger than the server accepts",
    415: "the server does not accept files of this type",
}


class UploadError(Exception):
    """The file could not be shared; the message says why in one sentence."""


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """What the server's FILEHOST reply grants: where to upload, and the token."""

    url: str
    token: str


def parse_grant(params: tuple[str, ...]) -> UploadGrant | None:
    """The grant in a `FILEHOST <url> <token> <seconds>` reply, if it is one."""
    if len(params) >= 2 and params[0].startswith(("http://", "https://")):
        return UploadGrant(params[0], params[1])
    return None


def read_file(path: str) -> tuple[str, bytes, str]:
    """(file name, bytes, content type) of the file at `path`.

    Raises:
        UploadError: the file cannot be read.
    """
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as error:
        raise UploadError(f"Cannot read {path}: {error.strerror or error}.") from None
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return file.name, data, content_type


async def upload(grant: UploadGrant, path: str) -> str:
    """Upload the file at `path`; return its link.

    Raises:
        UploadError: unreadable file, refused upload, or no answer.
    """
    name, data, content_type = await asyncio.to_thread(read_file, path)
    headers = {
        "Authorization": f"Bearer {grant.token}",
        "Content-Type": content_type,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    }
    timeout = aiohttp.ClientTimeout(total=MAX_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(grant.url, data=data, headers=headers) as reply,
        ):
            if reply.status == 201 and "Location" in reply.headers:
                return reply.headers["Location"]
            reason = _REFUSALS.get(reply.status, f"the server answered {reply.status}")
            raise UploadError(f"Upload of {name} failed: {reason}.")
    except (aiohttp.ClientError, TimeoutError) as error:
        raise UploadError(f"Upload of {name} failed: {error or 'no answer'}.") from None
