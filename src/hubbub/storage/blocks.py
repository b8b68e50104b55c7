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

Each entry reads back as a tuple: `(seq, msgid, at, source, account,
command, params, tags)` (tags None when there are none), then, for a private
message, `owner, target, peer_owner, peer_target` as the sender's history
holds it (`HistoryItem`); any other item is its block's history's own.

A block's entries are stored column by column (`entries`, binary; format 3):
a pickle of `(3, seqs, ats, shapes, sides, names, heads, text, tags)`,
where `seqs` and `ats` are the entries' seqs and times as little-endian
int64 and float64 arrays, `sides` a uint16 per entry (its sender's side:
its index in `names`, the list of each side's four sender's-view names, ()
for none, and in `heads`), `text` every entry's strings joined by NUL
(which no IRC line holds), and `tags` None or {entry index: tags}. A
*head* is the source, account, command and first param of a source's first
entry with a param in a side: the sender, the command and the target, the
same for nearly every entry of that sender. `heads` holds each side's list
of them. An entry that shares its source's head has only its msgid and its
params after the first in `text`; any other has its msgid, source, account
("" for None), command and params. `shapes` is a uint32 per entry: 2 if it
shares a head, else 1 if its account is None; plus its number of params
shifted left by 2, and the index of the head it shares shifted left by 8.

Storing a batch is what history adds to every message, and so each of its
items costs a few list appends, and a block a few whole-column copies,
where a pickle of one tuple per entry (format 1) built and pickled a tuple
per item and looked each of its strings up in pickle's memo: the history
writer's thread spends a fifth less per private message. The heads save
each entry a sixth of its bytes and its item three appends
(benchmarks/RESULTS.md). Blocks in format 2 (the same columns without
heads: every entry has all its strings, and a shape twice its params, + 1
if its account is None) and format 1 (a pickled list of the entry tuples)
are read as well; an entry whose strings hold a NUL is still written in
format 1. Only built-in values are in any of them, and they are all a
block is read back with: loading refuses anything that names a class or a
function, so a block cannot run code (`builtin_pickle.py`).

Pure functions, no I/O: the SQL store (`sql_history.py`) reads and writes
the rows.
"""

from __future__ import annotations

import pickle
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

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


# A head: source, account, command and first param.
Head = tuple[str, str | None, str, str]

# An entry's shape (format 3): these bits, its number of params shifted left
# by SHAPE_PARAMS_SHIFT, and if it shares a head, the head's index in its
# side's heads shifted left by SHAPE_HEAD_SHIFT.
SHAPE_NO_ACCOUNT: Final = 1  # its account is None (an entry without a head)
SHAPE_HEADED: Final = 2  # it shares a head: only msgid and params[1:] stored
SHAPE_PARAMS_SHIFT: Final = 2
SHAPE_HEAD_SHIFT: Final = 8
# An entry with more params than this does not share a head (IRC has 15).
MAX_HEADED_PARAMS: Final = (1 << (SHAPE_HEAD_SHIFT - SHAPE_PARAMS_SHIFT)) - 1
# Heads a side holds at most (a shape is a uint32); later sources' entries
# are stored whole. (Not Final, unlike the shape's constants that every
# item reads, which compiled are then no lookup by name: a test lowers it.)
MAX_HEADS = 1 << (32 - SHAPE_HEAD_SHIFT)
# A headed shape's bits that hold its number of params.
SHAPE_PARAMS_MASK: Final = (1 << SHAPE_HEAD_SHIFT) - (1 << SHAPE_PARAMS_SHIFT)


class Side:
    """The entries of one sender's side of one history in a batch, column by
    column (the block format's, before they are joined): what `block_rows`
    appends each item to."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names  # the four sender's-view names, () for none
        # The peer history of the items that `block_rows` adds ("" for none).
        self.peer_owner = ""
        self.peer_target = ""
        self.seqs: list[int] = []
        self.ats: list[float] = []
        self.shapes: list[int] = []  # see SHAPE_*
        self.fields: list[str] = []  # each entry's strings, see `append`
        self.tags: dict[int, dict[str, str]] = {}  # by index in this side
        # Its heads (see the module's docstring): one per source, the
        # account, command and first param of the source's first entry with
        # a param; and the one last used, field by field.
        self.heads: list[Head] = []
        self._head_of: dict[str, int] = {}  # index in heads, by source
        self.head_index = -1
        self.head_source = ""
        self.head_account: str | None = None
        self.head_command = ""
        self.head_first = ""
        self._offsets: list[int] | None = None  # see field_offsets

    def append(
        self,
        seq: int,
        msgid: str,
        at: float,
        source: str,
        account: str | None,
        command: str,
        params: tuple[str, ...],
    ) -> None:
        """Append an entry's columns (its tags go to `tags` by its index).

        An entry that shares its source's head has only its msgid and its
        params after the first in `fields`; any other has its msgid, source,
        account ("" for None), command and params."""
        self.seqs.append(seq)
        self.ats.append(at)
        fields = self.fields
        fields.append(msgid)
        count = len(params)
        if 0 < count <= MAX_HEADED_PARAMS:
            if source != self.head_source or self.head_index < 0:
                self._use_head(source, account, command, params[0])
            if (
                self.head_index >= 0
                and command == self.head_command
                and params[0] == self.head_first
                and account == self.head_account
            ):
                self.shapes.append(
                    self.head_index << SHAPE_HEAD_SHIFT
                    | count << SHAPE_PARAMS_SHIFT
                    | SHAPE_HEADED
                )
                if count == 2:  # a message's target and text: the common case
                    fields.append(params[1])
                elif count > 2:
                    fields.extend(params[1:])
                return
        fields.append(source)
        if account is None:
            self.shapes.append(count << SHAPE_PARAMS_SHIFT | SHAPE_NO_ACCOUNT)
            fields.append("")
        else:
            self.shapes.append(count << SHAPE_PARAMS_SHIFT)
            fields.append(account)
        fields.append(command)
        fields.extend(params)

    def add(self, entry: Entry) -> None:
        """Append an entry tuple (as `entries_of` gives them)."""
        seq, msgid, at, source, account, command, params, tags = entry[:SENDER_VIEW]
        if tags:
            self.tags[len(self.seqs)] = dict(tags)
        self.append(seq, msgid, at, source, account, command, tuple(params))

    def _use_head(
        self, source: str, account: str | None, command: str, first: str
    ) -> None:
        """Make `source`'s head the one in use (a new one, from these, if
        it has none yet)."""
        index = self._head_of.get(source)
        if index is None:
            if len(self.heads) == MAX_HEADS:
                self.head_index = -1  # this source's entries are stored whole
                return
            index = self._head_of[source] = len(self.heads)
            self.heads.append((source, account, command, first))
        head = self.heads[index]
        self.head_index = index
        self.head_source, self.head_account, self.head_command, self.head_first = head

    def field_offsets(self) -> list[int]:
        """Where each entry's fields start in `fields`, and the end (once
        the side is complete)."""
        if self._offsets is not None and len(self._offsets) == len(self.shapes) + 1:
            return self._offsets
        offsets = [0]
        at = 0
        for shape in self.shapes:
            at += _fields_of(shape)
            offsets.append(at)
        self._offsets = offsets
        return offsets


def _fields_of(shape: int) -> int:
    """How many strings of `text` an entry of this (format 3) shape takes."""
    if shape & SHAPE_HEADED:  # msgid, then the params after the first
        return (shape & SHAPE_PARAMS_MASK) >> SHAPE_PARAMS_SHIFT
    return FIXED_FIELDS + (shape >> SHAPE_PARAMS_SHIFT)


# Fields of an entry in `text` before its params: msgid, source, account, command.
FIXED_FIELDS: Final = 4

# A block's part: a side and the range of its entries in the block.
Part = tuple[Side, int, int]


def packed(entries: Sequence[Entry]) -> bytes:
    """The `entries` column of a block of these entries (in seq order)."""
    sides: dict[tuple[str, ...], Side] = {}
    for entry in entries:
        names = tuple(entry[SENDER_VIEW:])
        side = sides.get(names)
        if side is None:
            side = sides[names] = Side(names)
        side.add(entry)
    return _packed([(side, 0, len(side.seqs)) for side in sides.values()])


def _packed(parts: list[Part]) -> bytes:
    """A block's `entries` column, in format 3 (format 1 when a string holds
    a NUL, which would break the joined text apart)."""
    seqs: list[int] = []
    ats: list[float] = []
    shapes: list[int] = []
    fields: list[str] = []
    sides = array("H")
    names: list[tuple[str, ...]] = []
    heads: list[list[Head]] = []
    tags: dict[int, dict[str, str]] = {}
    for index, (side, start, stop) in enumerate(parts):
        if side.tags:
            for at, kept in side.tags.items():
                if start <= at < stop:
                    tags[len(seqs) + at - start] = kept
        if start == 0 and stop == len(side.seqs):
            fields.extend(side.fields)
        else:
            offsets = side.field_offsets()
            fields.extend(side.fields[offsets[start] : offsets[stop]])
        seqs.extend(side.seqs[start:stop])
        ats.extend(side.ats[start:stop])
        shapes.extend(side.shapes[start:stop])
        # One array of one item, repeated: a list of ints would be
        # converted to uint16 one by one.
        sides.extend(array("H", (index,)) * (stop - start))
        names.append(side.names)
        heads.append(side.heads)
    # A NUL in any string? One memchr over the strings joined bare costs
    # half what counting the NULs of the joined text did (str.count of one
    # character is a loop of its own, byte by byte). No entries at all: no
    # text, which would read back as one empty field.
    if not fields or "\0" in "".join(fields):
        return pickle.dumps(_decoded_parts(parts), protocol=PICKLE_PROTOCOL)
    text = "\0".join(fields)
    return pickle.dumps(
        (
            FORMAT,
            _little_endian(array("q", seqs)),
            _little_endian(array("d", ats)),
            _little_endian(array("I", shapes)),
            _little_endian(sides),
            names,
            heads,
            text,
            tags or None,
        ),
        protocol=PICKLE_PROTOCOL,
    )


# The `entries` format that `_packed` writes (format 1 was a pickled list;
# format 2 had no heads, and every entry all its strings).
FORMAT: Final = 3
FORMAT_2: Final = 2


def _little_endian(values: array[Any]) -> bytes:
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _from_little_endian(typecode: str, data: bytes) -> array[Any]:
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _decoded_parts(parts: list[Part]) -> list[Entry]:
    """The entry tuples of a block's parts, in seq order."""
    entries: list[Entry] = []
    for side, start, stop in parts:
        offsets = side.field_offsets()
        for index in range(start, stop):
            fields = side.fields[offsets[index] : offsets[index + 1]]
            shape = side.shapes[index]
            if shape & SHAPE_HEADED:
                source, account, command, first = side.heads[shape >> SHAPE_HEAD_SHIFT]
                params = (first, *fields[1:])
            else:
                source, command = fields[1], fields[3]
                account = None if shape & SHAPE_NO_ACCOUNT else fields[2]
                params = tuple(fields[FIXED_FIELDS:])
            entries.append(
                (
                    side.seqs[index],
                    fields[0],
                    side.ats[index],
                    source,
                    account,
                    command,
                    params,
                    side.tags.get(index),
                    *side.names,
                )
            )
    entries.sort(key=_seq_of)
    return entries


def _seq_of(entry: Entry) -> int:
    seq: int = entry[SEQ]
    return seq


def entries_of(data: bytes) -> list[Entry]:
    """The entries of a block's `entries` column, in seq order."""
    value = builtin_pickle.loads(data)
    if isinstance(value, list):  # format 1
        return value
    try:
        if isinstance(value, tuple) and len(value) == 9 and value[0] == FORMAT:
            return _column_entries(FORMAT, *value[1:])
        if isinstance(value, tuple) and len(value) == 8 and value[0] == FORMAT_2:
            seqs, ats, shapes, sides, names, text, tags = value[1:]
            heads: list[list[Head]] = [[] for _ in names]
            return _column_entries(
                FORMAT_2, seqs, ats, shapes, sides, names, heads, text, tags
            )
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise pickle.UnpicklingError(f"not a history block: {error}") from error
    raise pickle.UnpicklingError("not a history block: of no format known")


def _column_entries(
    version: int,
    seqs: bytes,
    ats: bytes,
    shapes: bytes,
    sides: bytes,
    names: list[tuple[str, ...]],
    heads: list[list[Head]],
    text: str,
    tags: dict[int, dict[str, str]] | None,
) -> list[Entry]:
    """The entry tuples of a format-2 or format-3 block's columns, in seq
    order (one pass: a read decodes whole blocks). A format-2 block has no
    heads, and its shapes are twice the params, + 1 if the account is None."""
    if len(heads) != len(names) or not all(map(_are_heads, heads)):
        raise ValueError("not a list of heads for each side")
    views: list[tuple[str, ...]] = []
    for side_names in names:
        if len(side_names) not in (0, 4):
            raise ValueError("a side has neither none nor four names")
        views.append(tuple(side_names))
    fields = text.split("\0")
    shift = 1 if version == FORMAT_2 else SHAPE_PARAMS_SHIFT
    entries: list[Entry] = []
    at = 0
    ordered = True
    last = -(1 << 63)  # below any seq (an int64)
    for index, (seq, time, shape, side) in enumerate(
        zip(
            _from_little_endian("q", seqs),
            _from_little_endian("d", ats),
            _from_little_endian("I", shapes),
            _from_little_endian("H", sides),
            strict=True,
        )
    ):
        if shift == SHAPE_PARAMS_SHIFT and shape & SHAPE_HEADED:
            count = (shape & SHAPE_PARAMS_MASK) >> SHAPE_PARAMS_SHIFT
            source, account, command, first = _head_of(heads[side], shape, count)
            end = at + count
            if count == 2:
                params: tuple[str, ...] = (first, fields[at + 1])
            else:
                params = (first, *fields[at + 1 : end])
        else:
            end = at + FIXED_FIELDS + (shape >> shift)
            source, command = fields[at + 1], fields[at + 3]
            account = None if shape & SHAPE_NO_ACCOUNT else fields[at + 2]
            params = tuple(fields[at + FIXED_FIELDS : end])
        if end > len(fields):
            raise ValueError("fewer fields than entries")
        entry_tags = tags.get(index) if tags else None
        view = views[side]
        if view:
            entry: Entry = (
                seq,
                fields[at],
                time,
                source,
                account,
                command,
                params,
                entry_tags,
                view[0],
                view[1],
                view[2],
                view[3],
            )
        else:
            entry = (
                seq,
                fields[at],
                time,
                source,
                account,
                command,
                params,
                entry_tags,
            )
        if seq < last:
            ordered = False
        last = seq
        entries.append(entry)
        at = end
    if at != len(fields):
        raise ValueError("fields left over")
    if not ordered:
        entries.sort(key=_seq_of)
    return entries


def _are_heads(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(head, tuple) and len(head) == 4 for head in value
    )


def _head_of(heads: list[Head], shape: int, count: int) -> Head:
    """The head that an entry of this shape shares, checked."""
    index = shape >> SHAPE_HEAD_SHIFT
    if index >= len(heads) or count == 0:
        raise ValueError("an entry shares a head that is not there")
    return heads[index]


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
    # item, one lookup of the sender's side of its history and a few
    # appends to its columns. The two directions of a conversation are
    # joined afterwards, per block.
    sides: dict[tuple[str, str, str, str], Side] = {}
    # The side each (owner, target) last went to, by owner then target: two
    # lookups by string (whose hashes strings keep) cost less than building
    # and hashing a tuple of four for every item. An owner and target meet
    # one peer history in all but a rare batch (the recipient logged in or
    # out in it), which then looks up the whole key.
    recent: dict[str, dict[str, Side]] = {}
    seq = first_seq
    next_pause = first_seq + PAUSE_EVERY - 1
    no_tags = NO_TAGS  # a local: compiled, a global is a lookup by name
    for item in items:
        if seq == next_pause:
            next_pause += PAUSE_EVERY
            if pause is not None:
                pause()
        owner, target = item.owner, item.target
        peer_owner, peer_target = item.peer_owner, item.peer_target
        by_target = recent.get(owner)
        if by_target is None:
            by_target = recent[owner] = {}
        side = by_target.get(target)
        if (
            side is None
            or side.peer_owner != peer_owner
            or side.peer_target != peer_target
        ):
            key = (owner, target, peer_owner, peer_target)
            side = sides.get(key)
            if side is None:
                side = sides[key] = Side(key if peer_owner else ())
                side.peer_owner, side.peer_target = peer_owner, peer_target
            by_target[target] = side
        tags = item.tags
        if tags is not no_tags and tags:
            side.tags[len(side.seqs)] = dict(tags)
        side.append(
            seq,
            item.msgid,
            item.at,
            item.source,
            item.account,
            item.command,
            item.params,
        )
        seq += 1
    rows: list[tuple[Any, ...]] = []
    for (history, peer), block_sides in _blocks(sides).items():
        names = (*history, *(peer or (None, None)))
        for parts in _split(block_sides):
            first_at = last_at = parts[0][0].ats[parts[0][1]]
            first = last = parts[0][0].seqs[parts[0][1]]
            count = 0
            for side, start, stop in parts:
                times = side.ats[start:stop]
                first_at = min(first_at, min(times))
                last_at = max(last_at, max(times))
                first = min(first, side.seqs[start])
                last = max(last, side.seqs[stop - 1])
                count += stop - start
            rows.append((*names, first_at, last_at, first, last, count, _packed(parts)))
    return rows


def _blocks(sides: dict[tuple[str, str, str, str], Side]) -> dict[BlockKey, list[Side]]:
    """Each block's sides: a conversation's key is the same both ways (the
    lesser history first)."""
    found: dict[BlockKey, list[Side]] = {}
    for (owner, target, peer_owner, peer_target), side in sides.items():
        key: BlockKey
        if peer_owner:
            mine = (owner, target)
            theirs = (peer_owner, peer_target)
            key = (mine, theirs) if mine < theirs else (theirs, mine)
        else:
            key = ((owner, target), None)
        earlier = found.get(key)
        if earlier is None:
            found[key] = [side]
        else:
            earlier.append(side)
    return found


def _split(sides: list[Side]) -> list[list[Part]]:
    """The blocks of a history's sides, each at most MAX_BLOCK_ENTRIES
    entries, in seq order: each block a range of each side."""
    total = 0
    for side in sides:
        total += len(side.seqs)
    if total <= MAX_BLOCK_ENTRIES:
        return [[(side, 0, len(side.seqs)) for side in sides]]
    if len(sides) == 1:
        [side] = sides
        return [
            [(side, start, min(start + MAX_BLOCK_ENTRIES, total))]
            for start in range(0, total, MAX_BLOCK_ENTRIES)
        ]
    # Walk the sides' seqs in order (each side's are), cutting every
    # MAX_BLOCK_ENTRIES entries.
    positions = [0] * len(sides)
    blocks: list[list[Part]] = []
    taken = 0
    while taken < total:
        starts = list(positions)
        size = min(MAX_BLOCK_ENTRIES, total - taken)
        for _ in range(size):
            best = -1
            for index, side in enumerate(sides):
                at = positions[index]
                if at < len(side.seqs) and (
                    best < 0 or side.seqs[at] < sides[best].seqs[positions[best]]
                ):
                    best = index
            positions[best] += 1
        taken += size
        blocks.append(
            [
                (side, starts[index], positions[index])
                for index, side in enumerate(sides)
                if positions[index] > starts[index]
            ]
        )
    return blocks


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
