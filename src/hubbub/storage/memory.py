"""In-memory `AccountStore` and `HistoryStore`: for tests and `--storage memory`.

They keep the same contract as the SQL stores (the contract tests run over
both) and nothing survives the process.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections import defaultdict

from hubbub.core.ports import Account, Cursor, HistoryItem, RegisteredChannel
from hubbub.protocol.casemap import Casefolded, casefold


class MemoryAccountStore:
    """`AccountStore` in dictionaries keyed by casefolded name."""

    def __init__(self) -> None:
        self._accounts: dict[Casefolded, Account] = {}
        self._channels: dict[Casefolded, RegisteredChannel] = {}

    # Accounts

    async def get_account(self, name: str) -> Account | None:
        """The account called `name`, if any."""
        return self._accounts.get(casefold(name))

    async def account_exists(self, name: str) -> bool:
        """Whether an account is called `name`."""
        return casefold(name) in self._accounts

    async def account_created_at(self, name: str) -> float | None:
        """When the account called `name` was created (None: there is none)."""
        account = self._accounts.get(casefold(name))
        return None if account is None else account.created_at

    async def create_account(self, account: Account) -> bool:
        """Store a new account; False when the name is taken."""
        key = casefold(account.name)
        if key in self._accounts:
            return False
        self._accounts[key] = _with_sorted_certfps(account)
        return True

    async def update_account(self, account: Account) -> bool:
        """Replace the account with the same name; False when there is none."""
        key = casefold(account.name)
        if key not in self._accounts:
            return False
        self._accounts[key] = _with_sorted_certfps(account)
        return True

    async def delete_account(self, name: str) -> bool:
        """Remove an account (and nothing else); False when there was none."""
        return self._accounts.pop(casefold(name), None) is not None

    async def list_accounts(self) -> list[Account]:
        """Every account, by casefolded name."""
        return [self._accounts[key] for key in sorted(self._accounts)]

    async def find_account_by_certfp(self, certfp: str) -> Account | None:
        """The account holding this certificate fingerprint (the first by name)."""
        holders = (a for _, a in sorted(self._accounts.items()) if certfp in a.certfps)
        return next(holders, None)

    # Registered channels

    async def get_channel(self, name: str) -> RegisteredChannel | None:
        """The registration of channel `name`, if any."""
        return self._channels.get(casefold(name))

    async def save_channel(self, channel: RegisteredChannel) -> None:
        """Insert or replace a channel registration."""
        self._channels[casefold(channel.name)] = channel

    async def delete_channel(self, name: str) -> bool:
        """Drop a channel registration; False when there was none."""
        return self._channels.pop(casefold(name), None) is not None

    async def list_channels(self) -> list[RegisteredChannel]:
        """Every registered channel, by casefolded name."""
        return [self._channels[key] for key in sorted(self._channels)]

    async def close(self) -> None:
        """Nothing runs in the background here."""


def _with_sorted_certfps(account: Account) -> Account:
    # As the SQL store returns them: a set, sorted.
    return dataclasses.replace(account, certfps=tuple(sorted(set(account.certfps))))


def _position(item: HistoryItem) -> tuple[float, int]:
    return (item.at, item.seq)


class MemoryHistoryStore:
    """`HistoryStore` in lists kept sorted by (at, seq); appends are durable at once.

    Nothing survives a restart, and each history keeps only its newest
    `max_per_history` items, so a long-running server's memory stays bounded.
    """

    def __init__(self, max_per_history: int = 10_000) -> None:
        self.max_per_history = max_per_history
        # (owner, target) -> that history, sorted by _position
        self._histories: defaultdict[tuple[str, str], list[HistoryItem]] = defaultdict(
            list
        )
        self._next_seq = itertools.count(1)

    def append(self, item: HistoryItem) -> None:
        """Store an item now, with the next storage order `seq`, in its history
        and (a private message) its peer's."""
        stored = item.replace(seq=next(self._next_seq))
        self._insert(stored, item.owner, item.target)
        if item.peer_owner:
            peer_view = stored.seen_from(item.peer_owner, item.peer_target)
            self._insert(peer_view, item.peer_owner, item.peer_target)

    def _insert(self, stored: HistoryItem, owner: str, target: str) -> None:
        history = self._histories[(owner, target)]
        bisect.insort(history, stored, key=_position)
        if len(history) > self.max_per_history * 1.1:
            del history[: len(history) - self.max_per_history]

    async def commit(self) -> None:
        """Nothing is ever pending here."""

    async def find(self, owner: str, target: str, msgid: str) -> HistoryItem | None:
        """The item with this msgid in this history (the first stored), if any."""
        matches = [
            i for i in self._histories.get((owner, target), []) if i.msgid == msgid
        ]
        return min(matches, key=lambda item: item.seq, default=None)

    async def select(
        self,
        owner: str,
        target: str,
        *,
        after: Cursor | None,
        before: Cursor | None,
        limit: int,
        newest_first: bool,
    ) -> list[HistoryItem]:
        """Up to `limit` items strictly between the cursors, oldest first, or
        the newest ones, newest first, when `newest_first`."""
        history = self._histories.get((owner, target), [])
        start = 0 if after is None else _index_after(history, after)
        end = len(history) if before is None else _index_before(history, before)
        between = history[start:end]
        if newest_first:
            return between[::-1][:limit]
        return between[:limit]

    async def targets(
        self, owner: str, channels: list[str], after: float, before: float, limit: int
    ) -> list[tuple[str, float]]:
        """Conversations with activity in (after, before): this owner's private
        ones and the given channels, as (target, latest time), most recent first."""
        wanted = set(channels)
        latest: list[HistoryItem] = []
        for (history_owner, target), history in self._histories.items():
            mine = history_owner == owner or (history_owner == "" and target in wanted)
            if mine and history and after < history[-1].at < before:
                latest.append(history[-1])
        latest.sort(key=_position, reverse=True)
        return [(item.target, item.at) for item in latest[:limit]]

    async def apply_retention(
        self, *, older_than: float | None, keep_per_target: int | None
    ) -> int:
        """Delete items older than `older_than` and beyond the newest
        `keep_per_target` of each history; return how many items are gone
        from every history (a private message trimmed from one party's
        history only is still the other's)."""
        dropped: set[int] = set()  # seqs let go of by some history
        for key, history in list(self._histories.items()):
            kept = history
            if older_than is not None:
                kept = kept[bisect.bisect_left(kept, older_than, key=lambda i: i.at) :]
            if keep_per_target is not None:
                kept = kept[max(0, len(kept) - keep_per_target) :]
            dropped.update(item.seq for item in history[: len(history) - len(kept)])
            if kept:
                self._histories[key] = kept
            else:
                del self._histories[key]
        return self._gone(dropped)

    async def forget(self, owner: str) -> int:
        """Delete every history `owner` holds (a private message stays the
        other party's); return how many items are gone from every history.

        Raises:
            ValueError: `owner` is "", the channels' (never forgotten so).
        """
        if not owner:
            raise ValueError("channel histories are not forgotten by owner")
        dropped: set[int] = set()
        for key in [key for key in self._histories if key[0] == owner]:
            dropped.update(item.seq for item in self._histories.pop(key))
        return self._gone(dropped)

    async def owners(self, prefix: str) -> list[str]:
        """Every owner of a private history whose name starts with `prefix`."""
        return sorted(
            {
                owner
                for owner, _ in self._histories
                if owner and owner.startswith(prefix)
            }
        )

    def _gone(self, dropped: set[int]) -> int:
        """How many of the `dropped` seqs no history holds any more."""
        still_held = {
            item.seq
            for history in self._histories.values()
            for item in history
            if item.seq in dropped
        }
        return len(dropped - still_held)

    async def close(self) -> None:
        """Nothing to release."""


def _index_after(history: list[HistoryItem], cursor: Cursor) -> int:
    return bisect.bisect_right(history, (cursor.at, cursor.seq), key=_position)


def _index_before(history: list[HistoryItem], cursor: Cursor) -> int:
    return bisect.bisect_left(history, (cursor.at, cursor.seq), key=_position)
