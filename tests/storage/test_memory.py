"""The in-memory history keeps each history bounded (storage/memory.py)."""

from __future__ import annotations

from hubbub.core.ports import HistoryItem
from hubbub.storage.memory import MemoryHistoryStore


async def test_each_history_keeps_only_its_newest_items() -> None:
    store = MemoryHistoryStore(max_per_history=100)
    for number in range(1000):
        store.append(
            HistoryItem(
                "", "#tea", f"m{number}", float(number), "a!b@c", None, "PRIVMSG", ()
            )
        )
    items = await store.select(
        "", "#tea", after=None, before=None, limit=1000, newest_first=False
    )
    assert 100 <= len(items) <= 110
    assert items[-1].msgid == "m999"
