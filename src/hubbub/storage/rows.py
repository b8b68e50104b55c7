"""Conversions between the core's values (`core/ports.py`) and table rows.

The only place that knows how a value is laid out in `storage/schema.py`:
JSON text for lists and tags, four nullable columns for SCRAM credentials.
Rows come from SQLAlchemy untyped; they are turned into typed values here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row

from hubbub.core.ports import (
    Account,
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
