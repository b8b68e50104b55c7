"""What a database failure means: worth another attempt, an outage, or neither.

`Database.transaction` asks these of every failure it catches; the
answers depend on the driver (asyncpg's SQLSTATEs, SQLite's messages) and
on what SQLAlchemy made of its error.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Failures worth retrying: the database is busy, restarting or unreachable,
# or every pooled connection is in use. (OSError: a refused connection.)
# Not an `InterfaceError` as such: asyncpg raises one for a connection that
# is closed (SQLAlchemy then marks it `connection_invalidated`, which is
# retried) but also for misuse ("the server expects 1 argument for this
# query, 0 were passed", "another operation is in progress"), a bug that
# another attempt would repeat, and no outage.
TRANSIENT = (OperationalError, PoolTimeoutError, OSError)

# PostgreSQL's SQLSTATEs worth another attempt (asyncpg's errors carry them;
# SQLAlchemy wraps most as a plain DBAPIError): too many connections, a
# server shutting down or starting up, a serialization failure or deadlock.
_RETRY_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03", "40001", "40P01"})

# SQLite's failures that another attempt a moment later will not mend.
_SQLITE_LASTING = (
    "disk is full",
    "disk i/o error",
    "not a database",
    "readonly database",
    "malformed",
    "unable to open database file",
)


def sqlstate(error: Exception) -> str | None:
    """PostgreSQL's SQLSTATE for `error`, when the driver gave one."""
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return code if isinstance(code, str) else None


def worth_retrying(error: Exception) -> bool:
    """Whether `error` may pass if the transaction is tried again: not a
    full disk or a broken file, and for a PostgreSQL error, one of the
    SQLSTATEs above or a connection exception (class 08). (A connection
    SQLAlchemy saw lost, `connection_invalidated`, is retried whatever
    the error.)"""
    code = sqlstate(error)
    if code is not None:
        return code in _RETRY_SQLSTATES or code.startswith("08")
    if isinstance(error, OperationalError) and error.orig is not None:
        text = str(error.orig).lower()
        return not any(lasting in text for lasting in _SQLITE_LASTING)
    return isinstance(error, TRANSIENT)


def unreachable(error: Exception) -> bool:
    """Whether `error` says the database cannot be reached (refused, lost,
    restarting, too many connections), rather than that it is busy."""
    if isinstance(error, (OSError, PoolTimeoutError)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True  # a connection lost or closed (SQLAlchemy's is_disconnect)
    code = sqlstate(error)
    return code is not None and (code.startswith(("08", "57P")) or code == "53300")


def describe(error: BaseException) -> str:
    """One line for the log: what the driver said, without SQLAlchemy's
    statement, parameters and link (`str` of a `DBAPIError` has all three)."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        return f"{type(error.orig).__name__}: {error.orig}".splitlines()[0]
    return str(error).splitlines()[0] if str(error) else type(error).__name__
