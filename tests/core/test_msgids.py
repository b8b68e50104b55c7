"""Message ids carry the time of their message (core/msgids.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hubbub.core import msgids


@given(at=st.floats(min_value=0, max_value=4e9), count=st.integers(1, 2**40))
def test_an_id_carries_its_time_to_the_millisecond(at: float, count: int) -> None:
    made = msgids.msgid(at, "9f3a61c2", count)
    carried = msgids.time_of(made)
    assert carried is not None
    assert at - 0.002 < carried <= at + 0.000001


def test_ids_of_one_run_are_unique() -> None:
    made = {
        msgids.msgid(1_700_000_000.5, "9f3a61c2", count) for count in range(1, 5000)
    }
    assert len(made) == 4999


def test_ids_without_a_time_say_so() -> None:
    for msgid in ("9f3a61c21f", "id-x", "M-b", "-1", "zz-1", "1234567890abc-1", ""):
        assert msgids.time_of(msgid) is None, msgid


@given(times=st.lists(st.floats(min_value=0, max_value=4e9), min_size=1, max_size=50))
def test_the_maker_makes_msgids_ids_in_order(times: list[float]) -> None:
    maker = msgids.MsgidMaker("9f3a61c2")
    made = [maker.next(at) for at in sorted(times)]
    assert made == [
        msgids.msgid(at, "9f3a61c2", count)
        for count, at in enumerate(sorted(times), start=1)
    ]
    assert maker.count == len(times)


def test_the_maker_never_repeats_an_id_as_the_milliseconds_pass() -> None:
    maker = msgids.MsgidMaker("9f3a61c2")
    # Ten messages a millisecond, and back and forth across a boundary
    # (the clock may step back).
    times = [1_700_000_000 + n / 10_000 for n in range(3000)]
    times += [1_700_000_000.1005, 1_700_000_000.0995, 1_700_000_000.1005]
    made = [maker.next(at) for at in times]
    assert len(set(made)) == len(made)
    assert msgids.time_of(made[-1]) == 1_700_000_000.1
