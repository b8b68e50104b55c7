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

# History in blocks (r0006, `storage/blocks.py`): one row per history per
# group commit, its new items' entries in one pickle (r0007; JSON before;
# column by column since r0009, with each sender's head once per side since
# r0010).
# The two parties of a private conversation share its blocks (r0007): the
# second party's history is the peer's, NULL in any other block. Nothing is
# indexed per message: a block is found by either of its histories and the
# span of its items' times (and of their seqs, to find a private message's
# other copy).
_shared = text("peer_owner IS NOT NULL")  # what the peer's indexes cover

history_blocks = Table(
    "history_blocks",
    metadata,
    # Block order; AUTOINCREMENT so SQLite never reuses a deleted one.
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("owner", Text, nullable=False),  # "" for a channel; see HistoryItem
    Column("target", Text, nullable=False),  # casefolded
    Column("peer_owner", Text),  # the other party's history, if shared
    Column("peer_target", Text),
    Column("first_at", Double, nullable=False),  # the earliest item's time
    Column("last_at", Double, nullable=False),  # the latest item's time
    Column("first_seq", BigInteger, nullable=False),  # the items' storage order
    Column("last_seq", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("entries", LargeBinary, nullable=False),  # a pickle (blocks.py)
    Index(None, "owner", "target", "last_at", "seq"),  # newest first
    Index(None, "owner", "target", "first_at", "seq"),  # oldest first
    # The same for the peer's side, of shared blocks only: channels' blocks
    # pay nothing for them.
    Index(
        None,
        "peer_owner",
        "peer_target",
        "last_at",
        "seq",
        sqlite_where=_shared,
        postgresql_where=_shared,
    ),
    Index(
        None,
        "peer_owner",
        "peer_target",
        "first_at",
        "seq",
        sqlite_where=_shared,
        postgresql_where=_shared,
    ),
    sqlite_autoincrement=True,
)

# Blocks on their way into `history_blocks` (r0008): SQLite's history writer
# appends a batch's small blocks here, where nothing is indexed, and moves
# them in bulk (in the order staged) once enough have gathered and before any
# read (`sql_history.py`). A commit then writes those blocks' pages only, and
# the index pages of a conversation are written once for many of its blocks,
# instead of two to four index pages per block per commit. PostgreSQL leaves
# it empty.
history_blocks_staged = Table(
    "history_blocks_staged",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),  # staging order
    Column("owner", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("peer_owner", Text),
    Column("peer_target", Text),
    Column("first_at", Double, nullable=False),
    Column("last_at", Double, nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("entries", LargeBinary, nullable=False),
)

# Counters that must never go back, whatever is deleted: "history_seq" is
# the last seq given to a history item.
counters = Table(
    "counters",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
)
