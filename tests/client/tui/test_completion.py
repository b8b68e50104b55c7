"""Nick completion (Tab), without a screen."""

from __future__ import annotations

from hubbub.client.tui.completion import complete

NICKS = ["Bob", "bobby", "Carol"]


def test_at_the_start_of_the_line_a_nick_gets_a_colon() -> None:
    done = complete("bo", 2, NICKS, None)
    assert done is not None
    assert (done.text, done.cursor) == ("Bob: ", 5)


def test_in_the_middle_of_a_line_a_nick_gets_a_space() -> None:
    done = complete("hi car and", 6, NICKS, None)
    assert done is not None
    assert (done.text, done.cursor) == ("hi Carol  and", 9)


def test_tab_again_cycles_through_the_matches() -> None:
    first = complete("bo", 2, NICKS, None)
    assert first is not None
    second = complete(first.text, first.cursor, NICKS, first)
    assert second is not None
    assert second.text == "bobby: "
    third = complete(second.text, second.cursor, NICKS, second)
    assert third is not None
    assert third.text == "Bob: "


def test_no_match_or_no_word_changes_nothing() -> None:
    assert complete("zz", 2, NICKS, None) is None
    assert complete("hi ", 3, NICKS, None) is None
