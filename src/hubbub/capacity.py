"""How many clients the process can hold: its open-file limit, and the cap it sets.

Every connection is a file descriptor. A process that runs out of them
cannot accept: the kernel keeps completing handshakes into the listen
backlog, where new clients wait with no answer, and nothing is logged
(uvloop retries quietly). So at start-up the server raises its soft
open-file limit to the hard one (what an unprivileged process may do; many
systems start processes at 1,024 with a hard limit far above), and, unless
`[limits] max_clients` says otherwise, caps connections at that limit less
`FD_RESERVE`: what the database, the log, the listeners, the web client's
plain HTTP requests and the file store need beside the clients. A client
over the cap gets an ERROR ("Server is full") and is closed at once.
"""

from __future__ import annotations

import logging
import resource

logger = logging.getLogger(__name__)

# Descriptors kept for everything that is not a client connection.
FD_RESERVE = 128

# What an "unlimited" hard limit is raised to (Linux's default nr_open).
UNLIMITED_FILES = 1_048_576


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one; return the soft limit.

    A limit the system refuses to raise is left as it is (and logged).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = UNLIMITED_FILES if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError) as error:
            logger.warning(
                "! could not raise the open-file limit from %d to %d: %s",
                soft,
                target,
                error,
            )
            return soft
        return target
    return soft if soft != resource.RLIM_INFINITY else UNLIMITED_FILES


def open_file_limit() -> int:
    """The process's soft open-file limit (a number even when unlimited)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return UNLIMITED_FILES if soft == resource.RLIM_INFINITY else soft


def client_capacity(max_clients: int | None, file_limit: int) -> int:
    """The connections the server accepts at once: `max_clients` when set,
    else what `file_limit` leaves after `FD_RESERVE` (at least 1)."""
    if max_clients is not None:
        return max_clients
    return max(1, file_limit - FD_RESERVE)
