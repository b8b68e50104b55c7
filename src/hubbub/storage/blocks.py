"""History blocks: how a batch of `HistoryItem`s becomes `history_blocks` rows.

A row per message, with an entry in two or three indexes each, was most of
what history cost the server (benchmarks/RESULTS.md): SQLite's B-tree work
for every message, and for private messages a leaf page per conversation and
index rewritten by every commit. So each group commit writes one row per
*history* it touched (a *block*), holding the entries of that history's new
items, in the order they were appended. A block is indexed by its
history and the span of its items' times; nothing is indexed per message.

A channel's items go to the channel's history. A private message belongs to
both parties' histories, so the two histories of a conversation share a
block: `owner`/`target` name one, `peer_owner`/`peer_target` the other, and
each of its entries is held by both. A block of one history alone (a
channel's; a message to oneself; what retention leaves to one party when it
trims the other) has no peer.

Each entry is a tuple: `(seq, msgid, at, source, account, command, params,
tags)` (tags None when there are none), then, for a private message,
`owner, target, peer_owner, peer_target` as the sender's history holds it
(`HistoryItem`); any other item is its block's history's own. A block's
entries are stored as one pickle (`entries`, binary). It costs a third of
the CPU of JSON to write (no escaping, no decimal floats;
`benchmarks/history_writes.py`), and storing a batch is what history adds
to every message. Only built-in values are in it, and
they are all a block is read back with: loading refuses anything that names
a class or a function, so a block cannot run code (`builtin_pickle.py`).

Pure functions, no I/O: the SQL store (`sql_history.py`) reads and writes
the rows.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hubbub.core.ports import HistoryItem
from hubbub.protocol.message import NO_TAGS
from hubbub.storage import builtin_pickle

# `history_blocks` columns that a write fills, in this order.
BLOCK_COLUMNS = [
    "owner",
    "target",
    "peer_owner",
    "peer_target",
    "first_at",
    "last_at",
    "first_seq",
    "last_seq",
    "count",
    "entries",
]

# A history's block holds at most this many entries (a bigger batch makes
# several): a read decodes whole blocks, so this bounds what it decodes.
MAX_BLOCK_ENTRIES = 256

# `block_rows` calls its `pause` after this many items.
PAUSE_EVERY = 1024

# Pickle protocol 5 (Python 3.8+): what every supported Python reads.
PICKLE_PROTOCOL = 5

Entry = tuple[Any, ...]  # one entry, as described above
History = tuple[str, str]  # (owner, target)
# (history, peer history or None): whose a block is.
BlockKey = tuple[History, History | None]

# Positions in an entry.
SEQ = 0
MSGID = 1
AT = 2
SENDER_VIEW = 8  # where a private message's four names start


def packed(entries: Sequence[Entry]) -> bytes:
    """The `entries` column of a block of these entries."""
    return pickle.dumps(list(entries), protocol=PICKLE_PROTOCOL)


def entries_of(data: bytes) -> list[Entry]:
    """The entries of a block's `entries` column."""
    entries = builtin_pickle.loads(data)
    if not isinstance(entries, list):
        raise pickle.UnpicklingError("not a history block: not a list")
    return entries


def block_rows(
    items: Sequence[HistoryItem],
    first_seq: int,
    pause: Callable[[], object] | None = None,
) -> list[tuple[Any, ...]]:
    """The `history_blocks` rows (BLOCK_COLUMNS) of `items`, numbered from
    `first_seq` in order: one per history, or per conversation for private
    messages (more past MAX_BLOCK_ENTRIES), in the order each was met.

    `pause`, if given, is called after every `PAUSE_EVERY` items: the
    history writer's thread lets the event loop have the interpreter lock
    there, so that building a big batch does not hold the loop up for
    milliseconds.
    """
    # What every message stored costs (compiled, see hubbub.compiled): per
    # item, one entry and one lookup of the sender's side of its history.
    # The two directions of a conversation are joined afterwards, per block.
    sides: dict[tuple[str, str, str, str], list[Entry]] = {}
    seq = first_seq
    next_pause = first_seq + PAUSE_EVERY - 1
    no_tags = NO_TAGS  # a local: compiled, a global is a lookup by name
    for item in items:
        if seq == next_pause:
            next_pause += PAUSE_EVERY
            if pause is not None:
                pause()
        tags = item.tags
        kept_tags = None if tags is no_tags or not tags else dict(tags)
        owner, target = item.owner, item.target
        peer_owner, peer_target = item.peer_owner, item.peer_target
        # The two shapes written out in full: one tuple built per item, where
        # adding the four names to the shorter one would build two.
        entry: Entry
        if peer_owner:
            entry = (
                seq,
                item.msgid,
                item.at,
                item.source,
                item.account,
                item.command,
                item.params,
                kept_tags,
                owner,
                target,
                peer_owner,
                peer_target,
            )
        else:
            entry = (
                seq,
                item.msgid,
                item.at,
                item.source,
                item.account,
                item.command,
                item.params,
                kept_tags,
            )
        side = (owner, target, peer_owner, peer_target)
        entries = sides.get(side)
        if entries is None:
            sides[side] = [entry]
        else:
            entries.append(entry)
        seq += 1
    rows: list[tuple[Any, ...]] = []
    for key, entries in _blocks(sides).items():
        history, peer = key
        names = (*history, *(peer or (None, None)))
        for start in range(0, len(entries), MAX_BLOCK_ENTRIES):
            block = entries[start : start + MAX_BLOCK_ENTRIES]
            times = [entry[AT] for entry in block]
            rows.append(
                (
                    *names,
                    min(times),
                    max(times),
                    block[0][SEQ],
                    block[-1][SEQ],
                    len(block),
                    pickle.dumps(block, protocol=PICKLE_PROTOCOL),
                )
            )
    return rows


def _blocks(
    sides: dict[tuple[str, str, str, str], list[Entry]],
) -> dict[BlockKey, list[Entry]]:
    """Each block's entries in seq order, from each sender's side's: a
    conversation's key is the same both ways (the lesser history first)."""
    found: dict[BlockKey, list[Entry]] = {}
    for (owner, target, peer_owner, peer_target), entries in sides.items():
        key: BlockKey
        if peer_owner:
            mine = (owner, target)
            theirs = (peer_owner, peer_target)
            key = (mine, theirs) if mine < theirs else (theirs, mine)
        else:
            key = ((owner, target), None)
        earlier = found.get(key)
        found[key] = entries if earlier is None else _merged(earlier, entries)
    return found


def _merged(first: list[Entry], second: list[Entry]) -> list[Entry]:
    """Two lists of entries in seq order as one (seqs are unique)."""
    merged: list[Entry] = []
    i = j = 0
    while i < len(first) and j < len(second):
        mine: int = first[i][SEQ]
        theirs: int = second[j][SEQ]
        if mine < theirs:
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    merged.extend(first[i:])
    merged.extend(second[j:])
    return merged


def rebuilt_row(entries: Sequence[Entry]) -> dict[str, Any]:
    """The new values of a block that keeps only `entries` (not empty)."""
    times = [entry[AT] for entry in entries]
    return {
        "first_at": min(times),
        "last_at": max(times),
        "first_seq": entries[0][SEQ],
        "last_seq": entries[-1][SEQ],
        "count": len(entries),
        "entries": packed(entries),
    }


def item_of(entry: Entry, owner: str, target: str) -> HistoryItem:
    """The `HistoryItem` of an entry of the history (owner, target), as that
    history holds it."""
    seq, msgid, at, source, account, command, params, tags = entry[:SENDER_VIEW]
    if tags is None:
        tags = NO_TAGS
    if len(entry) == SENDER_VIEW:
        return HistoryItem(
            owner, target, msgid, at, source, account, command, tuple(params), tags, seq
        )
    sender_owner, sender_target, peer_owner, peer_target = entry[SENDER_VIEW:]
    return HistoryItem(
        sender_owner,
        sender_target,
        msgid,
        at,
        source,
        account,
        command,
        tuple(params),
        tags,
        seq,
        peer_owner,
        peer_target,
    ).seen_from(owner, target)


def items_of(data: bytes, owner: str, target: str) -> list[HistoryItem]:
    """The items of a block of the history (owner, target)."""
    return [item_of(entry, owner, target) for entry in entries_of(data)]


def other_history(entry: Entry, history: History) -> History | None:
    """The other history holding a private message's entry (None for any
    other item), given the one it was read from."""
    if len(entry) == SENDER_VIEW:
        return None
    sender: History = (entry[SENDER_VIEW], entry[SENDER_VIEW + 1])
    if sender == history:
        return (entry[SENDER_VIEW + 2], entry[SENDER_VIEW + 3])
    return sender


def seqs(entries: Iterable[Entry]) -> set[int]:
    """The seqs of `entries`."""
    return {entry[SEQ] for entry in entries}
