"""Conversions between the core's values (`core/ports.py`) and table rows.

The only place that knows how a value is laid out in `storage/schema.py`:
JSON text for lists and tags, four nullable columns for SCRAM credentials.
Rows come from SQLAlchemy untyped; they are turned into typed values here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import Row

from hubbub.core.ports import (
    Account,
    HistoryItem,
    RegisteredChannel,
    ScramCredentials,
)
from hubbub.protocol.casemap import casefold


def account_values(account: Account) -> dict[str, Any]:
    """The `accounts` row of `account` (its certfps go in their own table)."""
    scram = account.scram
    return {
        "key": casefold(account.name),
        "name": account.name,
        "password_hash": account.password_hash,
        "scram_salt": scram.salt if scram else None,
        "scram_iterations": scram.iterations if scram else None,
        "scram_stored_key": scram.stored_key if scram else None,
        "scram_server_key": scram.server_key if scram else None,
        "email": account.email,
        "verified": account.verified,
        "verification_code": account.verification_code,
        "created_at": account.created_at,
    }


def certfp_values(account: Account) -> list[dict[str, Any]]:
    """The `account_certfps` rows of `account`."""
    key = casefold(account.name)
    return [{"account_key": key, "certfp": certfp} for certfp in set(account.certfps)]


def account_from_row(row: Row[Any], certfps: Iterable[str]) -> Account:
    """The `Account` of an `accounts` row and its certificate fingerprints (sorted)."""
    scram = None
    if row.scram_salt is not None:
        scram = ScramCredentials(
            salt=bytes(row.scram_salt),
            iterations=row.scram_iterations,
            stored_key=bytes(row.scram_stored_key),
            server_key=bytes(row.scram_server_key),
        )
    return Account(
        name=row.name,
        password_hash=row.password_hash,
        scram=scram,
        created_at=row.created_at,
        email=row.email,
        verified=bool(row.verified),
        verification_code=row.verification_code,
        certfps=tuple(sorted(certfps)),
    )


def channel_values(channel: RegisteredChannel) -> dict[str, Any]:
    """The `channels` row of `channel`."""
    return {
        "key": casefold(channel.name),
        "name": channel.name,
        "founder": channel.founder,
        "registered_at": channel.registered_at,
        "topic": channel.topic,
        "topic_by": channel.topic_by,
        "topic_at": channel.topic_at,
        "modes": channel.modes,
        "mode_key": channel.key,
        "mode_limit": channel.limit,
        "ops": json.dumps(list(channel.ops)),
        "public_history": channel.public_history,
    }


def channel_from_row(row: Row[Any]) -> RegisteredChannel:
    """The `RegisteredChannel` of a `channels` row."""
    return RegisteredChannel(
        name=row.name,
        founder=row.founder,
        registered_at=row.registered_at,
        topic=row.topic,
        topic_by=row.topic_by,
        topic_at=row.topic_at,
        modes=row.modes,
        key=row.mode_key,
        limit=row.mode_limit,
        ops=tuple(json.loads(row.ops)),
        public_history=bool(row.public_history),
    )


HISTORY_COLUMNS = [
    "owner",
    "target",
    "msgid",
    "at",
    "source",
    "account",
    "command",
    "params",
    "tags",
    "peer_owner",
    "peer_target",
]
_NO_TAGS = json.dumps({})


def params_json(params: tuple[str, ...]) -> str:
    """`json.dumps(list(params))`, exactly, at a fraction of its cost.

    json.dumps builds a new encoder on every call, which cost more than the
    rest of a history row; the strings go through the same C escaping.
    """
    return "[" + ", ".join(map(encode_basestring_ascii, params)) + "]"


def history_tuples(items: Iterable[HistoryItem]) -> list[tuple[Any, ...]]:
    """Rows for executemany, in HISTORY_COLUMNS order."""
    return [
        (
            item.owner,
            item.target,
            item.msgid,
            item.at,
            item.source,
            item.account,
            item.command,
            params_json(item.params),
            json.dumps(dict(item.tags)) if item.tags else _NO_TAGS,
            item.peer_owner or None,
            item.peer_target or None,
        )
        for item in items
    ]


def is_private_row(row: tuple[Any, ...]) -> bool:
    """Whether a `history_tuples` row is in private histories (its owner is
    not "", a channel's): those rows are staged first on SQLite
    (`schema.history_staged`), a channel's go straight to `history`."""
    return bool(row[0])


def history_item_from_row(row: Row[Any], owner: str, target: str) -> HistoryItem:
    """The `HistoryItem` of a `history` row, as the history (owner, target) holds it."""
    return HistoryItem(
        owner=row.owner,
        target=row.target,
        msgid=row.msgid,
        at=row.at,
        source=row.source,
        account=row.account,
        command=row.command,
        params=tuple(json.loads(row.params)),
        tags=json.loads(row.tags),
        seq=row.seq,
        peer_owner=row.peer_owner or "",
        peer_target=row.peer_target or "",
    ).seen_from(owner, target)
