"""Casemapping and name validation (protocol/casemap.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubbub.protocol import casemap
from hubbub.protocol.casemap import casefold, is_valid_channel, is_valid_nick


def test_rfc1459_folds_brackets_and_tilde() -> None:
    assert casefold("Nick[A]\\~") == "nick{a}|^"


@pytest.mark.parametrize(
    "nick",
    [
        "alice",
        "Bob_",
        "[x]",
        "a-1",
        "\\o/",
        "x^y",
        "ümlaut",
        "Ωmega",
        "猫",
        "a🙂",
        "\U0001f469\u200d\U0001f4bb",  # woman technologist: a ZWJ sequence
        "\u0645\u0647\u062f\u06cc\u200c\u0632\u0627\u062f\u0647",  # Persian, ZWNJ
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e007f",
        "\u05e9\u05dc\u05d5\u05dd",
        "\u0915\u094d\u0937",
    ],
)
def test_valid_nicks(nick: str) -> None:
    assert is_valid_nick(nick, 30)


@pytest.mark.parametrize(
    "nick",
    [
        "", "1abc", "-x", "a b", "a,b", "a!b", "a@b", "#x", ":x", "*",
        "\u202enimda",  # shown as "admin", and turning what follows around
        "admin\u200b",  # zero-width space: "admin" to the eye
        "\u2066x",  # a bidirectional isolate
        "a\u00a0b",  # a no-break space
        "a\u2028b",  # a line separator
        "a\u0085b",  # a C1 control (next line)
    ],
)  # fmt: skip
def test_invalid_nicks(nick: str) -> None:
    assert not is_valid_nick(nick, 30)


def test_nick_length_is_enforced() -> None:
    assert is_valid_nick("a" * 9, 9)
    assert not is_valid_nick("a" * 10, 9)


@pytest.mark.parametrize("name", ["#a", "&local", "#tea-room", "#ümlaut", "#猫🙂"])
def test_valid_channels(name: str) -> None:
    assert is_valid_channel(name, 64)


@pytest.mark.parametrize(
    "name",
    [
        "#", "a", "#a b", "#a,b", "#a\x07", "inv@lid", "#a:b",
        "#\u00a0has\u00a0been\u00a0banned",  # no-break spaces read as a sentence
        "#a\u200bb", "#\u202eaet",  # invisible, and reversing
    ],
)  # fmt: skip
def test_invalid_channels(name: str) -> None:
    assert not is_valid_channel(name, 64)


_REFERENCE = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~", "abcdefghijklmnopqrstuvwxyz{}|^"
)


@given(st.text())
def test_casefold_folds_exactly_the_rfc1459_characters(name: str) -> None:
    # The fast ASCII path must agree with the plain rfc1459 table everywhere:
    # non-ASCII letters ("É") are never folded.
    assert casefold(name) == name.translate(_REFERENCE)


def test_casefold_leaves_non_ascii_letters_alone() -> None:
    assert casefold("ÉCOLE[1]") == "École{1}"


def test_folding_is_the_same_once_the_remembered_names_are_forgotten() -> None:
    names = [f"Nick[{n}]" for n in range(casemap.FOLDED_NAMES_KEPT + 10)]
    first = [casefold(name) for name in names]  # fills the memo past its bound
    assert len(casemap._folded) <= casemap.FOLDED_NAMES_KEPT
    assert [casefold(name) for name in names] == first
    assert first[-1] == f"nick{{{casemap.FOLDED_NAMES_KEPT + 9}}}"


def test_names_longer_than_any_nick_or_channel_are_folded_but_not_kept() -> None:
    long_name = "#" + "A" * 300
    assert casefold(long_name) == "#" + "a" * 300
    assert long_name not in casemap._folded


@given(st.text())
def test_casefolding_keeps_a_names_length(name: str) -> None:
    # `is_service` tells most names apart by their length alone.
    assert len(casefold(name)) == len(name)
