"""Wiring: engine and listeners from a `Config`; run them; shut down gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hubbub.config import Config
from hubbub.core.engine import Engine
from hubbub.core.events import ChannelRestored
from hubbub.core.ports import HistoryStore
from hubbub.storage.errors import StorageError
from hubbub.storage.open import open_storage
from hubbub.storage.passwords import Argon2Passwords
from hubbub.transport.stream import start_tcp_listener

logger = logging.getLogger(__name__)


@dataclass
class App:
    """A running server: its engine and listeners."""

    engine: Engine
    servers: list[asyncio.Server]

    @property
    def ports(self) -> list[int]:
        """The ports actually bound (useful with port 0)."""
        return [
            sock.getsockname()[1] for server in self.servers for sock in server.sockets
        ]


@asynccontextmanager
async def run_app(config: Config) -> AsyncIterator[App]:
    """Start everything; yield once listening; shut down gracefully on exit."""
    loop = asyncio.get_running_loop()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    storage = await open_storage(config.storage_url())
    engine = Engine(
        config,
        passwords=Argon2Passwords(),
        accounts=storage.accounts,
        history=storage.history,
        schedule=loop.call_soon,
    )
    for registration in await storage.accounts.list_channels():
        engine.apply(ChannelRestored(registration))
    try:
        server = await start_tcp_listener(engine, config.host, config.port)
    except BaseException:
        await storage.close()
        raise
    app = App(engine, [server])
    timers = [
        asyncio.create_task(_check_timeouts(engine, config)),
        asyncio.create_task(_apply_retention(storage.history, config)),
    ]
    logger.info("= listening for IRC on %s:%s", config.host, app.ports[0])
    try:
        yield app
    finally:
        # Graceful shutdown: stop accepting, stop the timers, tell every
        # client why and close its connection (queued output is still sent),
        # then commit the history still pending and close the database.
        server.close()
        for timer in timers:
            timer.cancel()
        engine.shutdown("Server shutting down")
        await asyncio.sleep(0)
        await server.wait_closed()
        await storage.close()
        logger.info("= stopped")


RETENTION_PERIOD_SECONDS = 3600.0


async def _apply_retention(history: HistoryStore, config: Config) -> None:
    """Hourly: drop history older than `history_days` or past `history_per_target`."""
    settings = config.storage
    if settings.history_days is None and settings.history_per_target is None:
        return
    while True:
        days = settings.history_days
        older_than = time.time() - days * 86400 if days is not None else None
        try:
            deleted = await history.apply_retention(
                older_than=older_than, keep_per_target=settings.history_per_target
            )
        except StorageError as error:
            logger.error("! history retention failed: %s", error)
        else:
            logger.info("= history retention deleted %d messages", deleted)
        await asyncio.sleep(RETENTION_PERIOD_SECONDS)


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


async def serve(config: Config) -> None:
    """Run until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with run_app(config):
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
