"""Wiring: engine and listeners from a `Config`; run them; shut down gracefully."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import cast

from aiohttp import web

from hubbub import compiled
from hubbub.capacity import client_capacity, open_file_limit, raise_open_file_limit
from hubbub.config import Config
from hubbub.core.accounts import (
    forget_orphaned_account_histories,
    log_out_deleted_accounts,
    recheck_unchecked_nicks,
)
from hubbub.core.engine import Engine
from hubbub.core.events import ChannelRestored
from hubbub.core.ports import HistoryStore
from hubbub.core.user import of_this_process
from hubbub.storage.errors import StorageError
from hubbub.storage.files import FileStore
from hubbub.storage.open import open_storage
from hubbub.storage.passwords import Argon2Passwords
from hubbub.transport.linger import Lingering
from hubbub.transport.session import PendingCommands
from hubbub.transport.stream import start_tcp_listener, start_tls_listener
from hubbub.transport.tls import TlsServerContext, certificate_files, make_context
from hubbub.transport.web import make_web_app

logger = logging.getLogger(__name__)


@dataclass
class App:
    """A running server: its engine, and the port each listener bound."""

    engine: Engine
    ports: dict[str, int]  # "irc", and "tls" and "web" when enabled
    tls: TlsServerContext | None = None

    def reload_tls(self) -> bool:
        """Read the TLS certificate again (SIGHUP); connections keep theirs."""
        return self.tls.reload() if self.tls is not None else False


def _bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


class _Listeners:
    """Everything that listens, started in order and stopped in reverse."""

    def __init__(self) -> None:
        self.servers: list[asyncio.Server] = []
        self.web: web.AppRunner | None = None
        self.pending = PendingCommands()  # IRC commands finishing as tasks
        self.lingering = Lingering()  # IRC connections closing (TCP, TLS)

    async def stop_accepting(self) -> None:
        for server in self.servers:
            server.close()
        if self.web is not None:
            await self.web.shutdown()

    async def wait_closed(self) -> None:
        for server in self.servers:
            await server.wait_closed()
        if self.web is not None:
            await self.web.cleanup()


@contextmanager
def _naming(listener: str, host: str, port: int) -> Iterator[None]:
    """An OSError from opening `listener` says which one, and where."""
    try:
        yield
    except OSError as error:
        where = f"{url_host(host)}:{port}"
        raise OSError(
            error.errno, f"{error.strerror or error} (for {listener} on {where})"
        ) from error


def url_host(host: str) -> str:
    """`host` as it goes before `:port` in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


async def _start_listeners(
    engine: Engine, config: Config, files: FileStore, listeners: _Listeners
) -> App:
    tls: TlsServerContext | None = None
    if config.tls.enabled:
        # Before any port opens: an unusable certificate stops the start.
        cert, key = certificate_files(
            config.tls.cert_file,
            config.tls.key_file,
            config.data_dir,
            config.server_name,
        )
        tls = TlsServerContext(lambda: make_context(cert, key))
    with _naming("IRC", config.host, config.port):
        irc = await start_tcp_listener(
            engine, config.host, config.port, listeners.pending, listeners.lingering
        )
    listeners.servers.append(irc)
    app = App(engine, {"irc": _bound_port(irc)})
    logger.info("= listening for IRC on %s:%s", url_host(config.host), app.ports["irc"])
    logger.info("= hot path: %s", compiled.describe())
    if tls is not None:
        app.tls = tls
        host = config.tls.host or config.host
        with _naming("IRC over TLS", host, config.tls.port):
            server = await start_tls_listener(
                engine,
                host,
                config.tls.port,
                tls,
                listeners.pending,
                listeners.lingering,
            )
        listeners.servers.append(server)
        app.ports["tls"] = engine.tls_port = _bound_port(server)
        logger.info(
            "= listening for IRC over TLS on %s:%s", url_host(host), app.ports["tls"]
        )
    if config.web.enabled:
        host = config.web.host or config.host
        runner = web.AppRunner(make_web_app(engine, files), access_log=None)
        await runner.setup()
        listeners.web = runner
        site = web.TCPSite(runner, host, config.web.port, reuse_address=True)
        with _naming("the web port", host, config.web.port):
            await site.start()
        server = cast("asyncio.Server", site._server)  # aiohttp keeps it private
        app.ports["web"] = _bound_port(server)
        engine.set_web_base_url(
            config.web.public_url or f"http://{url_host(host)}:{app.ports['web']}"
        )
        logger.info("= listening for the web client on %s", engine.web_base_url)
    return app


def with_client_capacity(config: Config, file_limit: int) -> Config:
    """`config` with `[limits] max_clients` set: as given, else what the
    open-file limit leaves room for (`hubbub.capacity`); logged."""
    max_clients = client_capacity(config.limits.max_clients, file_limit)
    logger.info(
        "= up to %d clients at once (open-file limit %d%s)",
        max_clients,
        file_limit,
        ", limits.max_clients" if config.limits.max_clients is not None else "",
    )
    limits = config.limits.model_copy(update={"max_clients": max_clients})
    return config.model_copy(update={"limits": limits})


@asynccontextmanager
async def run_app(config: Config) -> AsyncIterator[App]:
    """Start everything; yield once listening; shut down gracefully on exit."""
    loop = asyncio.get_running_loop()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config = with_client_capacity(config, open_file_limit())
    storage = await open_storage(
        config.storage_url(), wait_seconds=STARTUP_WAIT_SECONDS
    )
    engine = Engine(
        config,
        passwords=Argon2Passwords(),
        accounts=storage.accounts,
        history=storage.history,
        schedule=loop.call_soon,
    )
    for registration in await storage.accounts.list_channels():
        engine.apply(ChannelRestored(registration))
    files = FileStore(config.data_dir / "uploads")
    listeners = _Listeners()
    try:
        app = await _start_listeners(engine, config, files, listeners)
    except BaseException:
        await listeners.stop_accepting()
        await listeners.wait_closed()
        await storage.close()
        raise
    timers = [
        asyncio.create_task(_check_timeouts(engine, config)),
        asyncio.create_task(_apply_retention(storage.history, files, config)),
        asyncio.create_task(_forget_ended_sessions(engine, storage.history)),
        asyncio.create_task(_check_accounts(engine)),
    ]
    if storage.database is not None and storage.database.sqlite_file is not None:
        timers.append(
            asyncio.create_task(_watch_database_file(storage.database.sqlite_file))
        )
    for timer in timers:
        timer.add_done_callback(_report_stopped_timer)
    try:
        yield app
    finally:
        # Graceful shutdown: stop accepting, stop the timers, tell every
        # client why and close its connection (queued output is still sent),
        # let the commands under way end (they may be inside a transaction),
        # give the clients a moment to read their last lines and close
        # (`Lingering.settle`),
        # delete the private histories of the sessions that ended (for up to
        # SHUTDOWN_FORGET_SECONDS; the next start deletes the rest: see
        # `_forget_ended_sessions`), then commit the history still pending
        # and close the database.
        await listeners.stop_accepting()
        for timer in timers:
            timer.cancel()
        engine.shutdown("Server shutting down")
        await asyncio.sleep(0)
        await listeners.wait_closed()
        await listeners.pending.finish(COMMANDS_GRACE_SECONDS)
        await listeners.lingering.settle()
        await asyncio.gather(*timers, return_exceptions=True)
        await _forget(
            storage.history,
            engine.take_ended_histories(),
            until=time.monotonic() + SHUTDOWN_FORGET_SECONDS,
        )
        await storage.close()
        logger.info("= stopped")


def _report_stopped_timer(task: asyncio.Task[None]) -> None:
    """A timer ends only at shutdown (cancelled): anything else is a bug,
    which must not go unnoticed until then."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("! %s stopped", task.get_name(), exc_info=task.exception())


# How long a shutdown waits for the commands under way before it cancels
# them (and then as long again for them to unwind).
COMMANDS_GRACE_SECONDS = 5.0

# How long a shutdown spends deleting the private histories of the sessions
# it ended (a few milliseconds each); what is left is deleted at the next start.
SHUTDOWN_FORGET_SECONDS = 5.0

RETENTION_PERIOD_SECONDS = 3600.0


async def _apply_retention(
    history: HistoryStore, files: FileStore, config: Config
) -> None:
    """Hourly: expire history and uploads as the retention settings say."""
    while True:
        try:
            await _expire_uploads(files, config)
        except OSError as error:
            logger.error("! file retention failed: %s", error)
        await _expire_history(history, config)
        await asyncio.sleep(RETENTION_PERIOD_SECONDS)


async def _expire_uploads(files: FileStore, config: Config) -> None:
    days = config.files.retention_days
    if days is not None:
        deleted = await files.expire(time.time() - days * 86400)
        if deleted:
            logger.info("= file retention deleted %d uploads", deleted)


async def _expire_history(history: HistoryStore, config: Config) -> None:
    days, per_target = config.storage.history_days, config.storage.history_per_target
    if days is None and per_target is None:
        return
    older_than = time.time() - days * 86400 if days is not None else None
    try:
        deleted = await history.apply_retention(
            older_than=older_than, keep_per_target=per_target
        )
    except StorageError as error:
        logger.error("! history retention failed: %s", error)
    else:
        logger.info("= history retention deleted %d messages", deleted)


# How often the private histories of ended sessions are deleted.
FORGET_PERIOD_SECONDS = 5.0


async def _forget_ended_sessions(engine: Engine, history: HistoryStore) -> None:
    """Delete the private histories of sessions without an account once they
    end, which nobody can read any more (`User.history_owner`).

    First those that earlier runs of the server left (sessions that ended
    with a shutdown or a crash), then, every few seconds, those of the
    sessions that ended since. The sweep takes every "n:" history whose
    scope is not this process's for an earlier run's: one server per
    database. Servers sharing one database (several nodes) will need to
    know which of them are still running before they sweep. The start-up
    also deletes the histories of accounts that no longer exist
    (`forget_orphaned_account_histories`; safe with any number of servers).
    """
    try:
        earlier = [
            owner for owner in await history.owners("n:") if not of_this_process(owner)
        ]
    except StorageError as error:
        logger.error("! could not list ended sessions' histories: %s", error)
        earlier = []
    if earlier:
        forgotten = await _forget(history, earlier)
        if forgotten:
            logger.info("= deleted the private history of %d ended sessions", forgotten)
    # Then what deleted accounts left (one sweep at a time: two would
    # rewrite the same shared blocks in turn).
    try:
        await forget_orphaned_account_histories(engine)
    except StorageError as error:
        logger.error("! could not delete deleted accounts' histories: %s", error)
    while True:
        await asyncio.sleep(FORGET_PERIOD_SECONDS)
        await _forget(history, engine.take_ended_histories())


async def _forget(
    history: HistoryStore, owners: list[str], *, until: float | None = None
) -> int:
    """Forget each owner's history in turn; stop before the next once the
    monotonic clock passes `until`, if given. Return how many were forgotten.
    After one failure the rest wait for the next start-up's sweep: a broken
    database would fail them all, one log line each."""
    for done, owner in enumerate(owners):
        if until is not None and time.monotonic() > until:
            logger.info(
                "= left %d ended sessions' histories for the next start",
                len(owners) - done,
            )
            return done
        try:
            await history.forget(owner)
        except StorageError as error:
            logger.error(
                "! could not delete the private history of %d ended sessions"
                " (the next start tries again): %s",
                len(owners) - done,
                error,
            )
            return done
    return len(owners)


# How often sessions are checked for accounts deleted under them.
ACCOUNTS_CHECK_SECONDS = 5.0


async def _check_accounts(engine: Engine) -> None:
    """Log out sessions whose account was deleted (from the shell) under them,
    and protect the registered nicks taken while the store was down."""
    while True:
        await asyncio.sleep(ACCOUNTS_CHECK_SECONDS)
        try:
            await log_out_deleted_accounts(engine)
        except StorageError as error:
            logger.error("! could not check for deleted accounts: %s", error)
        await recheck_unchecked_nicks(engine)


# How often the SQLite file is checked for having been removed or replaced.
DATABASE_CHECK_SECONDS = 5.0


async def _watch_database_file(path: str) -> None:
    """Say so (once) when the SQLite file is deleted or replaced under the
    running server: its connections go on writing to the file they opened,
    which nothing will read after the server stops."""
    first = _identity(path)
    while True:
        await asyncio.sleep(DATABASE_CHECK_SECONDS)
        if _identity(path) != first:
            logger.error(
                "! the database file %s was removed or replaced while the server"
                " runs: what is stored from now on is lost when it stops;"
                " restore the file, or restart the server",
                path,
            )
            return


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


async def _check_timeouts(engine: Engine, config: Config) -> None:
    """One timer for every connection's keepalive and registration deadline."""
    shortest = min(
        config.ping_interval_seconds,
        config.ping_timeout_seconds,
        config.registration_timeout_seconds,
    )
    period = min(1.0, shortest / 4)
    while True:
        await asyncio.sleep(period)
        engine.check_timeouts()


# How long start-up waits for a database that cannot be reached yet (a
# PostgreSQL started at the same time, still starting up).
STARTUP_WAIT_SECONDS = 30.0

# Young objects a garbage collection waits for (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Once started: keep the collector off what start-up made, and run it less.

    Every message allocates a few short-lived objects (the parsed line, the
    event, its history items), which set off CPython's cyclic collector every
    700 allocations, and each older collection walked every module, class and
    function loaded at start-up as well. Frozen, those are never scanned
    again; with a higher young threshold, collections are rarer. Measured on
    private-message ping-pong with history: 35.7 -> 32.4 µs of server CPU per
    message (benchmarks/RESULTS.md).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


async def serve(config: Config) -> None:
    """Run until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    raise_open_file_limit()
    async with run_app(config) as app:
        # SIGHUP: read the TLS certificate again without dropping anyone.
        loop.add_signal_handler(signal.SIGHUP, app.reload_tls)
        tune_garbage_collector()
        await stop.wait()
        logger.info("= signal received, shutting down")


def run_server(config: Config) -> None:
    """Run the server on uvloop when available."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux/macOS
        asyncio.run(serve(config))
    else:
        uvloop.run(serve(config))
