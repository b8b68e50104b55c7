"""An account's private history is named by the account's creation time too.

Until now an account's history was "a:" and its casefolded name, so an
account deleted and then created again under the same name (from the
shell, while the old account's sessions were still logged in) shared the
old one's history: what those sessions sent before they were logged out was
the new owner's to read. From here on it is "a:", the casefolded name, ":"
and the account's `created_at` as Python's `repr` writes the float
(`hubbub.core.user.account_history_owner`).

The upgrade renames every stored account history whose account exists, in
both tables' `owner` and `peer_owner` and in the names that a private
message's entries hold (the sender's view: owner, target, peer owner, peer
target), in each of the three entry formats. A history whose account no
longer exists keeps its bare name: nobody reads it, and the server deletes
it when it starts (`forget_orphaned_account_histories`). The downgrade
takes the time off again, from the histories of the accounts that exist
only: an earlier account's history under the same name (left by a crash)
keeps its time, so that it never joins the current account's. This module
keeps its own copy of what it needs of the layouts: a migration is frozen,
and must not change when `blocks.py` does.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

_PAGE = 500  # blocks read at a time
_SENDER_VIEW = 8  # where a format-1 entry's four names start
_NAMES = 5  # where a format-2 or format-3 block holds each side's names
_TABLES = ("history_blocks", "history_blocks_staged")

Rename = Callable[[str], str]


class _Loader(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not a history block: names {module}.{name}")


def _renaming(owners: dict[str, str]) -> Rename:
    return lambda owner: owners.get(owner, owner)


def _owners(connection: sa.Connection) -> dict[str, str]:
    """Each account's history name before this revision, and after it."""
    accounts = sa.table("accounts", sa.column("key"), sa.column("created_at"))
    return {
        f"a:{key}": f"a:{key}:{float(created_at)!r}"
        for key, created_at in connection.execute(
            sa.select(accounts.c.key, accounts.c.created_at)
        )
    }


def _view(names: Any, rename: Rename) -> tuple[Any, ...]:
    """A side's four names (owner, target, peer owner, peer target), renamed;
    a side without names stays so."""
    if len(names) != 4:
        return tuple(names)
    owner, target, peer_owner, peer_target = names
    return (rename(owner), target, rename(peer_owner), peer_target)


def _renamed_entries(data: bytes, rename: Rename) -> bytes:
    """A block's `entries` with every owner in them renamed."""
    value = _Loader(io.BytesIO(data)).load()
    if isinstance(value, list):  # format 1: one tuple per entry
        value = [
            entry
            if len(entry) <= _SENDER_VIEW
            else (*entry[:_SENDER_VIEW], *_view(entry[_SENDER_VIEW:], rename))
            for entry in value
        ]
    elif isinstance(value, tuple) and value and value[0] in (2, 3):
        names = [_view(side, rename) for side in value[_NAMES]]
        value = (*value[:_NAMES], names, *value[_NAMES + 1 :])
    else:
        raise pickle.UnpicklingError("not a history block: of no format known")
    return pickle.dumps(value, protocol=5)


def _rename(connection: sa.Connection, rename: Rename) -> None:
    """Rename the account histories of every block, staged or not."""
    for name in _TABLES:
        table = sa.table(
            name,
            sa.column("seq"),
            sa.column("owner"),
            sa.column("peer_owner"),
            sa.column("entries"),
        )
        of_accounts = sa.or_(table.c.owner.like("a:%"), table.c.peer_owner.like("a:%"))
        after = 0
        while True:
            rows = connection.execute(
                sa.select(
                    table.c.seq, table.c.owner, table.c.peer_owner, table.c.entries
                )
                .where(of_accounts, table.c.seq > after)
                .order_by(table.c.seq)
                .limit(_PAGE)
            ).all()
            for seq, owner, peer_owner, entries in rows:
                new_owner = rename(owner)
                new_peer = None if peer_owner is None else rename(peer_owner)
                if (new_owner, new_peer) == (owner, peer_owner):
                    continue
                connection.execute(
                    table.update()
                    .where(table.c.seq == seq)
                    .values(
                        owner=new_owner,
                        peer_owner=new_peer,
                        entries=_renamed_entries(entries, rename),
                    )
                )
            if len(rows) < _PAGE:
                break
            after = rows[-1][0]


def upgrade() -> None:
    """Add its account's creation time to every account history's name."""
    connection = op.get_bind()
    owners = _owners(connection)
    if owners:
        _rename(connection, _renaming(owners))


def downgrade() -> None:
    """Take the creation time off the name of every account's history."""
    connection = op.get_bind()
    owners = {timed: bare for bare, timed in _owners(connection).items()}
    if owners:
        _rename(connection, _renaming(owners))
