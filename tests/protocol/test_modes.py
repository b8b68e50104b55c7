"""Mode strings (protocol/modes.py)."""

from __future__ import annotations

from hubbub.protocol.modes import ModeChange, format_mode_changes, parse_mode_string


def test_parse_channel_modes_with_arguments() -> None:
    changes, unknown = parse_mode_string(
        "+ok-v+l", ["alice", "key", "bob", "5"], channel=True
    )
    assert changes == [
        ModeChange(True, "o", "alice"),
        ModeChange(True, "k", "key"),
        ModeChange(False, "v", "bob"),
        ModeChange(True, "l", "5"),
    ]
    assert unknown == []


def test_list_mode_without_argument_is_a_query() -> None:
    changes, _ = parse_mode_string("+b", [], channel=True)
    assert changes == [ModeChange(True, "b", None)]


def test_minus_l_takes_no_argument() -> None:
    changes, _ = parse_mode_string("-l", ["extra"], channel=True)
    assert changes == [ModeChange(False, "l", None)]


def test_unknown_letters_are_reported() -> None:
    changes, unknown = parse_mode_string("+nXY", [], channel=True)
    assert changes == [ModeChange(True, "n")]
    assert unknown == ["X", "Y"]


def test_user_modes() -> None:
    changes, unknown = parse_mode_string("+iw-B+z", [], channel=False)
    assert changes == [
        ModeChange(True, "i"),
        ModeChange(True, "w"),
        ModeChange(False, "B"),
    ]
    assert unknown == ["z"]


def test_format_groups_signs() -> None:
    changes = [
        ModeChange(True, "o", "a"),
        ModeChange(True, "v", "b"),
        ModeChange(False, "n"),
    ]
    assert format_mode_changes(changes) == ["+ov-n", "a", "b"]
