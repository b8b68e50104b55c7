"""Splitting a byte stream into lines (protocol/framing.py)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubbub.protocol.framing import DecodedLine, LineDecoder, LineProblem, encode_line
from hubbub.protocol.message import ParseError, parse_message


def test_crlf_lf_and_cr_all_end_a_line() -> None:
    decoder = LineDecoder()
    lines = decoder.feed(b"A\r\nB\nC\rD")
    assert lines == [DecodedLine("A"), DecodedLine("B"), DecodedLine("C")]
    assert decoder.feed(b"\r\n") == [DecodedLine("D")]


def test_empty_lines_are_skipped() -> None:
    assert LineDecoder().feed(b"\r\n\r\n\nPING x\r\n") == [DecodedLine("PING x")]


def test_a_line_split_byte_by_byte_is_reassembled() -> None:
    decoder = LineDecoder()
    received: list[DecodedLine] = []
    for byte in b"PRIVMSG #a :hello\r\n":
        received += decoder.feed(bytes([byte]))
    assert received == [DecodedLine("PRIVMSG #a :hello")]


def test_invalid_utf8_is_reported_not_raised() -> None:
    [line] = LineDecoder().feed(b"PRIVMSG #a :caf\xe9\r\n")
    assert line.problem == LineProblem.INVALID_UTF8
    assert line.text.startswith("PRIVMSG #a :caf")


def test_nul_is_refused() -> None:
    [line] = LineDecoder().feed(b"PRIVMSG #a :a\0b\r\n")
    assert line.problem == LineProblem.NUL
    assert "\0" not in line.text


def test_a_nul_is_named_before_invalid_utf8() -> None:
    [line] = LineDecoder().feed(b"PRIVMSG #a :caf\xe9\0\r\n")
    assert line.problem == LineProblem.NUL
    assert line.text.startswith("PRIVMSG #a :caf")


def test_512_bytes_with_crlf_is_accepted_and_513_refused() -> None:
    ok = b"PRIVMSG #a :" + b"x" * (510 - 12)
    assert LineDecoder().feed(ok + b"\r\n") == [DecodedLine(ok.decode())]
    [line] = LineDecoder().feed(ok + b"y\r\n")
    assert line.problem == LineProblem.TOO_LONG


def test_tags_may_add_their_own_budget() -> None:
    tags = b"@+a=" + b"t" * 4000 + b" "
    body = b"PRIVMSG #a :" + b"x" * 400
    [line] = LineDecoder(max_tags_bytes=4096).feed(tags + body + b"\r\n")
    assert line.problem is None
    [line] = LineDecoder(max_tags_bytes=4096).feed(b"@+a=" + b"t" * 4093 + b" PING\r\n")
    assert line.problem == LineProblem.TOO_LONG


def test_an_endless_line_is_refused_once_and_the_buffer_stays_bounded() -> None:
    decoder = LineDecoder()
    first = decoder.feed(b"PRIVMSG #a :" + b"x" * 20000)
    assert [line.problem for line in first] == [LineProblem.TOO_LONG]
    assert decoder.feed(b"y" * 20000) == []
    assert decoder.feed(b"tail\r\nPING ok\r\n") == [DecodedLine("PING ok")]


def test_encode_line_adds_crlf() -> None:
    assert encode_line("PING x") == b"PING x\r\n"


@given(st.lists(st.binary(max_size=700), max_size=8))
def test_arbitrary_bytes_give_lines_or_problems_never_exceptions(
    chunks: list[bytes],
) -> None:
    decoder = LineDecoder()
    for chunk in chunks:
        for line in decoder.feed(chunk):
            assert "\r" not in line.text
            assert "\n" not in line.text
            if line.problem is None:
                with contextlib.suppress(ParseError):
                    parse_message(line.text)


@given(
    st.lists(st.sampled_from([b"a", b"bc", b" ", b"\r", b"\n", b"\r\n"]), max_size=40),
    st.lists(st.integers(min_value=0, max_value=60), max_size=6),
)
def test_any_cut_of_any_mix_of_cr_lf_and_crlf_gives_the_same_lines(
    pieces: list[bytes], cuts: list[int]
) -> None:
    # The reference: every CRLF, CR or LF ends a line; empty lines are skipped.
    stream = b"".join(pieces)
    ended = stream.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")[:-1]
    expected = [DecodedLine(raw.decode()) for raw in ended if raw]
    decoder = LineDecoder()
    received: list[DecodedLine] = []
    start = 0
    for cut in sorted(cuts):
        received += decoder.feed(stream[start:cut])
        start = max(start, cut)
    received += decoder.feed(stream[start:])
    # A CRLF cut between two reads ends the line at the CR; the LF that
    # follows alone is an empty line, skipped: the same lines either way.
    assert received == expected


def test_a_nul_refuses_only_its_own_line_of_a_read() -> None:
    lines = LineDecoder().feed(b"PING a\r\nPRIVMSG #x :b\0c\r\nPING d\r\n")
    assert [line.problem for line in lines] == [None, LineProblem.NUL, None]
    assert [lines[0].text, lines[2].text] == ["PING a", "PING d"]


def test_encode_line_replaces_a_lone_surrogate() -> None:
    assert encode_line("PRIVMSG #a :caf\u00e9 \ud800!") == (
        b"PRIVMSG #a :caf\xc3\xa9 ?!\r\n"
    )


# `feed` takes a read that is one whole line ending in CRLF in one go; every
# other read goes the general way (`_feed`). Both must give the same lines.

READ_PIECES = [
    b"PRIVMSG #a :x",
    b"PING y",
    b"\r\n",
    b"\r",
    b"\n",
    b"\0",
    b"\xe9",
    b"caf\xc3\xa9",
    b" ",
    b"x" * 300,
    b"@+t=v ",
]


@given(st.lists(st.lists(st.sampled_from(READ_PIECES), max_size=6), max_size=10))
def test_whole_line_reads_give_what_the_general_way_gives(
    reads: list[list[bytes]],
) -> None:
    fast, general = LineDecoder(), LineDecoder()
    for pieces in reads:
        read = b"".join(pieces)
        assert fast.feed(read) == general._feed(read)


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (b"PING a\r\n", [DecodedLine("PING a")]),
        (b"PING a\nPING b\r\n", [DecodedLine("PING a"), DecodedLine("PING b")]),
        (b"PING a\rPING b\r\n", [DecodedLine("PING a"), DecodedLine("PING b")]),
        (b"\r\n\r\n", []),
        (b"PING caf\xc3\xa9\r\n", [DecodedLine("PING caf\u00e9")]),
    ],
)
def test_a_read_ending_in_crlf_gives_each_of_its_lines(
    read: bytes, expected: list[DecodedLine]
) -> None:
    assert LineDecoder().feed(read) == expected


def test_a_whole_line_read_after_a_partial_one_finishes_it_first() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"PRIVMSG #a :he") == []
    assert decoder.feed(b"llo\r\n") == [DecodedLine("PRIVMSG #a :hello")]


def test_a_whole_line_read_after_an_endless_one_is_its_tail() -> None:
    decoder = LineDecoder()
    [refused] = decoder.feed(b"x" * 9000)
    assert refused.problem == LineProblem.TOO_LONG
    assert decoder.feed(b"tail\r\n") == []
    assert decoder.feed(b"PING a\r\n") == [DecodedLine("PING a")]
