"""The stores over an async SQLAlchemy engine, for SQLite and PostgreSQL.

One code path for both databases: the statements are SQLAlchemy Core in
`sql_accounts.py` and `sql_history.py`, and the differences live in
`dialect.py`. Every transaction goes through `Database.transaction`.
"""

from __future__ import annotations

from hubbub.storage.sql_accounts import SqlAccountStore
from hubbub.storage.sql_history import SqlHistoryStore

__all__ = ["SqlAccountStore", "SqlHistoryStore"]
