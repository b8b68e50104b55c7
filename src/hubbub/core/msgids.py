"""Message ids (IRCv3 message-ids): unique, and carrying the time of their message.

`<milliseconds since the epoch, hex>-<8 hex digits of this server run><count, hex>`,
e.g. `18c1f5e2a40-9f3a61c22a`. The time lets history find a message by its id
among the few blocks of that moment (`storage/sql_history.py`) instead of
every block of its history. Ids from before this format (no `-`) carry no
time; `time_of` says so and a lookup searches the whole history.
"""

from __future__ import annotations

_HEX = frozenset("0123456789abcdef")


def msgid(at: float, run: str, count: int) -> str:
    """The id of the `count`th message of the server run `run`, sent at `at`."""
    # %-formatting: a compiled f-string with a format spec costs 2.5 times as much.
    return "%x-%s%x" % (int(at * 1000), run, count)  # noqa: UP031


def time_of(msgid: str) -> float | None:
    """The time (seconds since the epoch, to the millisecond, rounded down)
    that `msgid` carries; None for an id without one."""
    head, dash, _ = msgid.partition("-")
    if not dash or not head or len(head) > 12 or not _HEX.issuperset(head):
        return None
    return int(head, 16) / 1000
