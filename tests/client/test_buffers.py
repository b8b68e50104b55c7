"""Buffers' helpers: member order and the memory of message ids."""

from __future__ import annotations

from hubbub.client.buffers import Buffer, BufferKind, Member, RecentIds


def test_members_sort_by_rank_then_nick() -> None:
    buffer = Buffer("#lobby", BufferKind.CHANNEL)
    for member in (Member("zed", "@"), Member("amy"), Member("bob", "+"), Member("Al")):
        buffer.members[member.nick.lower()] = member
    assert [m.nick for m in buffer.sorted_members("@+")] == ["zed", "bob", "Al", "amy"]


def test_recent_ids_forget_the_oldest_beyond_capacity() -> None:
    recent = RecentIds(capacity=2)
    assert [recent.is_new(msgid) for msgid in ("a", "b", "a", "c", "a")] == [
        True,
        True,
        False,
        True,
        True,  # "a" was forgotten when "c" came
    ]
