"""The one error the storage adapters raise: the database could not be reached."""

from __future__ import annotations

from hubbub.core.errors import StoreUnavailableError


class StorageError(StoreUnavailableError):
    """The database failed or stayed unreachable after retries.

    Raised by the stores once their retries with backoff are spent, and by
    `HistoryStore.commit()` for the items whose batch could not be written.
    The caller answers the client with a standard reply (`FAIL ...`), not a
    crash: whatever the user asked for was not stored. The core knows it as
    `StoreUnavailableError`.
    """
