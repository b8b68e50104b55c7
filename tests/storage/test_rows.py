"""Row layout helpers (storage/rows.py)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from hubbub.core.ports import HistoryItem
from hubbub.storage.rows import history_tuples, params_json


@given(st.lists(st.text()))
def test_params_json_is_exactly_json_dumps(params: list[str]) -> None:
    # Stored rows must read back the same whichever encoder wrote them.
    encoded = params_json(tuple(params))
    assert encoded == json.dumps(params)
    assert json.loads(encoded) == params


def test_history_rows_share_the_params_encoding_only_when_params_are_shared() -> None:
    first = item_with(("bob", "hi"), owner="n:alice", target="bob")
    twin = first.replace(owner="n:bob", target="alice")  # the same params object
    other = item_with(("bob", "bye"), owner="n:alice", target="bob")
    values = history_tuples([first, twin, other])
    assert [row[:2] for row in values] == [
        ("n:alice", "bob"),
        ("n:bob", "alice"),
        ("n:alice", "bob"),
    ]
    assert [row[7] for row in values] == [
        '["bob", "hi"]',
        '["bob", "hi"]',
        '["bob", "bye"]',
    ]


def item_with(params: tuple[str, ...], *, owner: str, target: str) -> HistoryItem:
    return HistoryItem(
        owner, target, "m1", 1.0, "alice!a@h", None, "PRIVMSG", params, {"+x": "1"}
    )
