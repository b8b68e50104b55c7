"""The tables, as SQLAlchemy Core: one schema for SQLite and PostgreSQL.

This is the schema at the newest migration; `storage/migrations/` builds it
step by step, and a test checks that the two agree. Names of accounts and
channels are stored twice: `key` is the casefolded name (rfc1459,
`hubbub.protocol.casemap.casefold`) that lookups use, `name` the display form.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)

# Constraint names that Alembic can find again on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite makes only "INTEGER PRIMARY KEY" an alias of its rowid (autoincrement).
Seq = BigInteger().with_variant(Integer(), "sqlite")

accounts = Table(
    "accounts",
    metadata,
    Column("key", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id
    # SCRAM-SHA-256 (RFC 5802/7677); all four NULL when the account has none.
    Column("scram_salt", LargeBinary),
    Column("scram_iterations", Integer),
    Column("scram_stored_key", LargeBinary),
    Column("scram_server_key", LargeBinary),
    Column("email", Text),
    Column("verified", Boolean, nullable=False),
    Column("verification_code", Text),
    Column("created_at", Double, nullable=False),  # seconds since the epoch
)

account_certfps = Table(
    "account_certfps",
    metadata,
    Column(
        "account_key",
        Text,
        ForeignKey("accounts.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("certfp", Text, primary_key=True),  # SHA-256, as the core gives it
    Index(None, "certfp"),
)

channels = Table(
    "channels",
    metadata,
    Column("key", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("founder", Text, nullable=False),  # account name
    Column("registered_at", Double, nullable=False),
    Column("topic", Text, nullable=False),
    Column("topic_by", Text, nullable=False),
    Column("topic_at", Double, nullable=False),
    Column("modes", Text, nullable=False),  # flag letters
    Column("mode_key", Text),  # +k
    Column("mode_limit", Integer),  # +l
    Column("ops", Text, nullable=False),  # JSON list of account names
    Column("public_history", Boolean, nullable=False),
)

history = Table(
    "history",
    metadata,
    # Storage order; AUTOINCREMENT so SQLite never reuses a deleted seq.
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("owner", Text, nullable=False),  # "" for a channel; see HistoryItem
    Column("target", Text, nullable=False),  # casefolded
    Column("msgid", Text, nullable=False),
    Column("at", Double, nullable=False),  # server time, seconds since the epoch
    Column("source", Text, nullable=False),
    Column("account", Text),
    Column("command", Text, nullable=False),
    Column("params", Text, nullable=False),  # JSON list of strings
    Column("tags", Text, nullable=False),  # JSON object of client-only tags
    # A private message's other history (HistoryItem.peer_*; NULL otherwise):
    # one row in both parties' histories (r0004).
    Column("peer_owner", Text),
    Column("peer_target", Text),
    Index(None, "msgid", "owner", "target"),  # msgid lookups (r0003)
    Index(None, "owner", "target", "at", "seq"),
    Index(
        None,
        "peer_owner",
        "peer_target",
        "at",
        "seq",
        sqlite_where=text("peer_owner IS NOT NULL"),
        postgresql_where=text("peer_owner IS NOT NULL"),
    ),
    sqlite_autoincrement=True,
)

# Where SQLite's history writer puts private messages first (r0005): the same
# columns, no index but the key. A private message's two index entries land
# in its conversation's place in two indexes, one page each; with many
# conversations a batch touched a page per conversation and index, which was
# most of a row's cost (benchmarks/sqlite_rows.py). Appended here instead,
# the rows are moved into `history` in one statement every `SETTLE_ROWS`
# rows and before any read of a private history (sqlite_writer.py), so reads
# only ever look at `history`. The writer numbers every row, staged or not,
# past every seq `history` has used. A channel's rows, whose entries land
# together, go straight to `history`, as PostgreSQL's all do: there this
# table stays empty.
history_staged = Table(
    "history_staged",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=False),
    *(
        Column(column.name, column.type, nullable=column.nullable)
        for column in history.columns
        if column.name != "seq"
    ),
)
