"""Values to store in the storage tests: accounts, channels and history items."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from hubbub.core.ports import Account, HistoryItem, RegisteredChannel, ScramCredentials

T0 = 1_700_000_000.0  # a server time, in seconds since the epoch

SCRAM = ScramCredentials(
    salt=b"\x00salt\xff",
    iterations=4096,
    stored_key=b"\x01" * 32,
    server_key=b"\x02" * 32,
)


ALICE = Account(
    name="Alice",
    password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    scram=SCRAM,
    created_at=T0,
)
TEA = RegisteredChannel(name="#Tea", founder="Alice", registered_at=T0)


def account(name: str = "Alice", **changes: Any) -> Account:
    """An account called `name`, with `changes` to its other fields."""
    return dataclasses.replace(ALICE, name=name, **changes)


def channel(name: str = "#Tea", **changes: Any) -> RegisteredChannel:
    """A channel registration for `name`, with `changes` to its other fields."""
    return dataclasses.replace(TEA, name=name, **changes)


def item(
    text: str,
    *,
    at: float = T0,
    owner: str = "",
    target: str = "#tea",
    msgid: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> HistoryItem:
    """A PRIVMSG of `text` from alice, in the history (owner, target)."""
    return HistoryItem(
        owner=owner,
        target=target,
        msgid=msgid or f"id-{text}",
        at=at,
        source="alice!alice@example.org",
        account="Alice",
        command="PRIVMSG",
        params=(target, text),
        tags=tags or {},
    )


def texts(items: list[HistoryItem]) -> list[str]:
    """The message texts of `items`, in order."""
    return [found.params[-1] for found in items]
