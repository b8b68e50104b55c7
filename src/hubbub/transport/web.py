"""The web port (aiohttp): the browser client's files, IRC over WebSocket, uploads.

GET  /                 the browser client (static files shipped in the package)
GET  /ws               IRC over WebSocket
POST /upload           FILEHOST upload (Bearer token from IRC, or account Basic auth)
GET  /files/{id}/{name}  an uploaded file, with headers that keep it inert
"""

from __future__ import annotations

import base64
import binascii
import errno
import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote

from aiohttp import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    content_disposition_filename,
    parse_content_disposition,
    web,
)
from aiohttp.http_exceptions import HttpProcessingError

from hubbub.core.engine import Engine
from hubbub.core.errors import StoreUnavailableError
from hubbub.storage.files import FileStore
from hubbub.transport.websocket import origin_allowed, serve_websocket

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
# Types a browser may show in place; everything else downloads.
INLINE_TYPES = ("image/", "video/", "audio/", "text/plain", "application/pdf")

ENGINE = web.AppKey("engine", Engine)
FILES = web.AppKey("files", FileStore)


def make_web_app(engine: Engine, files: FileStore) -> web.Application:
    """The aiohttp application for the web port."""
    limit = engine.config.files.max_bytes
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(each, BadRequestLogFilter) for each in server_log.filters):
        server_log.addFilter(BadRequestLogFilter())
    app = web.Application(
        client_max_size=limit + 1024, middlewares=[_names_too_long_are_not_found]
    )
    app.on_response_prepare.append(_add_security_headers)
    app[ENGINE] = engine
    app[FILES] = files
    app.router.add_get("/ws", _websocket, allow_head=False)
    app.router.add_post("/upload", _upload)
    app.router.add_get("/files/{file_id}/{name}", _download)
    app.router.add_get("/", _index)
    if STATIC_DIR.is_dir():
        app.router.add_static("/static/", STATIC_DIR)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# The browser client's policy: its own scripts and styles only (no inline
# ones: a message can only ever be text), images from anywhere (previews),
# connections to its own server, and no other site may frame it.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' http: https: blob: data:; "
    "connect-src 'self' ws: wss: http: https:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,  # an uploaded file's is stricter
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors, for older browsers
    "Referrer-Policy": "no-referrer",
}


async def _add_security_headers(
    request: web.Request, response: web.StreamResponse
) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


@web.middleware
async def _names_too_long_are_not_found(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    # A path with a part longer than the file system takes names no file:
    # 404, not the 500 of the OSError that looking it up raises (the static
    # files' handler lets it through).
    try:
        return await handler(request)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise
        raise web.HTTPNotFound(text="no such file\n") from None


class BadRequestLogFilter(logging.Filter):
    """Log a request that aiohttp refuses as malformed in one line, not a
    traceback at ERROR: any client can send one, and the log is the
    operator's (`make_web_app` installs it on aiohttp's server logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Let everything but a malformed request's traceback through."""
        error = record.exc_info[1] if record.exc_info else None
        if (
            record.levelno < logging.ERROR  # aiohttp's own debug line for a probe
            or not isinstance(error, HttpProcessingError)
            or error.code != HTTPStatus.BAD_REQUEST  # not the client's fault
            or not str(record.msg).startswith("Error handling request")
        ):
            return True
        remote = record.args[0] if isinstance(record.args, tuple) else None
        logger.info("- refused a malformed HTTP request from %s: %s", remote, error)
        return False


async def _websocket(request: web.Request) -> web.StreamResponse:
    return await serve_websocket(request, request.app[ENGINE])


async def _index(request: web.Request) -> web.StreamResponse:
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    if upgrade and request.method == "GET":
        # IRC-over-WebSocket clients that give no path (ws://host:port) land here.
        return await serve_websocket(request, request.app[ENGINE])
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        raise web.HTTPNotFound(text="the browser client is not installed\n")
    return web.FileResponse(index, headers={"Cache-Control": "no-cache"})


async def _uploader(request: web.Request, engine: Engine) -> str:
    """Who is uploading: a connected user's token, or account credentials.

    Raises:
        HTTPUnauthorized: neither is valid.
        HTTPServiceUnavailable: the account store cannot be read now.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        user = engine.upload_token_user(value.strip())
        if user is not None:
            return user.account or user.nick
    elif scheme.lower() == "basic":
        try:
            name, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, ValueError):  # not base64, or not UTF-8 inside
            name, password = "", ""
        try:
            account = await engine.accounts.get_account(name) if name else None
        except StoreUnavailableError as error:
            logger.error("! upload by account %s not checked: %s", name, error)
            raise web.HTTPServiceUnavailable(
                text="accounts cannot be checked now; try again later\n"
            ) from error
        if account is not None and await engine.verify_password(
            account.password_hash, password
        ):
            return account.name
    raise web.HTTPUnauthorized(
        text="a valid upload token or account is required\n",
        headers={"WWW-Authenticate": 'Basic realm="hubbub", charset="UTF-8"'},
    )


def _filename(request: web.Request) -> str:
    """The upload's file name from Content-Disposition (RFC 6266, with an
    RFC 5987 `filename*`), reduced to a last path part that is safe to show
    and to put in a link; "upload" when none is left."""
    header = request.headers.get("Content-Disposition", "")
    try:
        with warnings.catch_warnings():
            # It warns of each header it refuses: read leniently below instead.
            warnings.simplefilter("ignore", BadContentDispositionHeader)
            warnings.simplefilter("ignore", BadContentDispositionParam)
            _, params = parse_content_disposition(header)
            raw = content_disposition_filename(params, "filename")
    except (LookupError, ValueError):  # an unknown charset, bytes not in it
        raw = None
    if raw is None:
        raw = _lenient_filename(header) or "upload"
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')
    cleaned = cleaned[:120]
    # "." and ".." would make the link's last part a path step.
    return "upload" if cleaned in ("", ".", "..") else cleaned


# What clients send that RFC 6266 does not allow, and aiohttp's parser
# refuses: a `filename*` with characters left unescaped ("(1)"), a name with
# spaces and no quotes, a quoted name holding ";", a trailing ";".
_LOOSE_FILENAME_STAR = re.compile(r"filename\*=(?:[\w-]*'[\w-]*')?([^;]+)", re.I)
_LOOSE_FILENAME = re.compile(r'filename=(?:"([^"]*)"|([^;]+))', re.I)


def _lenient_filename(header: str) -> str | None:
    star = _LOOSE_FILENAME_STAR.search(header)
    if star is not None:
        return unquote(star.group(1).strip(), errors="replace")
    plain = _LOOSE_FILENAME.search(header)
    if plain is not None:
        return plain.group(1) if plain.group(1) is not None else plain.group(2)
    return None


async def _read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over `limit` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=declared)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
            chunks.append(chunk)
    except web.RequestPayloadError as error:  # e.g. a gzip body that is not gzip
        raise web.HTTPBadRequest(
            text=f"the body could not be read: {error}\n"
        ) from None
    except ConnectionError:
        # The client went away mid-upload: nobody is left to answer.
        logger.info("- an upload from %s ended early", request.remote)
        raise web.HTTPBadRequest(text="the upload ended early\n") from None
    return b"".join(chunks)


async def _upload(request: web.Request) -> web.StreamResponse:
    engine, files = request.app[ENGINE], request.app[FILES]
    settings = engine.config.files
    if not origin_allowed(request, engine.config.web.allowed_origins):
        # A form on another site, posted with credentials the browser keeps
        # (Basic): what the WebSocket refuses, uploads refuse too.
        raise web.HTTPForbidden(text="uploads from other sites are not allowed\n")
    uploader = await _uploader(request, engine)
    content_type = (
        request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    )
    if content_type not in settings.allowed_types:
        raise web.HTTPUnsupportedMediaType(
            text=f"files of type {content_type!r} are not allowed\n"
        )
    data = await _read_body(request, settings.max_bytes)
    if not data:
        raise web.HTTPBadRequest(text="the file is empty\n")
    try:
        stored = await files.save(
            data, name=_filename(request), content_type=content_type, uploader=uploader
        )
    except OSError as error:
        # The server's trouble, not the client's: one line in the log.
        logger.error("! upload by %s not stored: %s", uploader, error)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise web.HTTPInsufficientStorage(
                text="the server has no room for this file now\n"
            ) from error
        raise web.HTTPServiceUnavailable(
            text="the file could not be stored; try again later\n"
        ) from error
    url = f"{engine.web_base_url}/files/{stored.file_id}/{quote(stored.name)}"
    logger.info("= %s uploaded %s (%d bytes)", uploader, url, stored.size)
    return web.Response(status=201, text=url + "\n", headers={"Location": url})


async def _download(request: web.Request) -> web.StreamResponse:
    try:
        found = request.app[FILES].find(request.match_info["file_id"])
    except OSError as error:  # out of file descriptors, say
        logger.error("! upload %s not read: %s", request.match_info["file_id"], error)
        raise web.HTTPServiceUnavailable(
            text="the file cannot be read now; try again later\n"
        ) from error
    if found is None:
        raise web.HTTPNotFound(text="no such file\n")
    path, stored = found
    inline = stored.content_type.startswith(INLINE_TYPES)
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Type": stored.content_type,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored.name)}",
        "X-Content-Type-Options": "nosniff",
        # Even a file that slipped through is inert: no scripts, no frames.
        "Content-Security-Policy": (
            "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
        ),
        "Cache-Control": "private, max-age=86400",
    }
    return web.FileResponse(path, headers=headers)
