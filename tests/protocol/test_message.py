"""Parsing and formatting IRC messages (protocol/message.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubbub.protocol.message import (
    Message,
    ParseError,
    escape_tag_value,
    format_message,
    parse_message,
    unescape_tag_value,
)

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "message_cases.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["line"])
def test_parse_message_matches_shared_case(case: dict[str, Any]) -> None:
    expected = Message(
        case["command"], tuple(case["params"]), case["source"], case["tags"]
    )
    assert parse_message(case["line"]) == expected


@pytest.mark.parametrize(
    "line", ["", "   ", ":source", ":source   ", "@a=b", "@a=b :src"]
)
def test_lines_without_a_command_are_parse_errors(line: str) -> None:
    with pytest.raises(ParseError):
        parse_message(line)


def test_format_message_adds_colon_only_where_needed() -> None:
    assert format_message(Message("JOIN", ("#a",), "n!u@h")) == ":n!u@h JOIN #a"
    assert format_message(Message("PRIVMSG", ("#a", "hi you"))) == "PRIVMSG #a :hi you"
    assert format_message(Message("PRIVMSG", ("#a", ""))) == "PRIVMSG #a :"
    assert format_message(Message("PRIVMSG", ("#a", ":)"))) == "PRIVMSG #a ::)"


def test_format_message_escapes_tag_values() -> None:
    msg = Message("TAGMSG", ("#a",), tags={"+x": "a b;c", "+y": ""})
    assert format_message(msg) == "@+x=a\\sb\\:c;+y TAGMSG #a"


def test_message_param_returns_default_when_missing() -> None:
    msg = Message("NICK")
    assert msg.param(0) == ""
    assert msg.param(2, "x") == "x"


@given(st.text())
def test_tag_escaping_round_trips(value: str) -> None:
    assert unescape_tag_value(escape_tag_value(value)) == value


_words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters=" \r\n\0:"),
    min_size=1,
    max_size=20,
)
_trailing = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\0"),
    max_size=50,
)
_tag_keys = st.from_regex(r"\+?[a-z][a-z0-9\-/.]{0,10}", fullmatch=True)


@given(
    command=st.from_regex(r"[A-Z]{1,10}|[0-9]{3}", fullmatch=True),
    middle=st.lists(_words, max_size=5),
    last=_trailing,
    source=st.none() | _words.filter(lambda s: not s.startswith("@")),
    tags=st.dictionaries(_tag_keys, _trailing, max_size=4),
)
def test_format_then_parse_round_trips(
    command: str,
    middle: list[str],
    last: str,
    source: str | None,
    tags: dict[str, str],
) -> None:
    msg = Message(command, (*middle, last), source, tags)
    assert parse_message(format_message(msg)) == msg


@given(st.text())
def test_parse_message_raises_only_parse_error(line: str) -> None:
    try:
        msg = parse_message(line)
    except ParseError:
        return
    assert msg.command


def _reference_parse(line: str) -> Message:
    """The plain parser `parse_message` was first written as, kept to check
    the faster one against: both must agree on every line."""
    rest = line.lstrip(" ")
    tags: dict[str, str] = {}
    if rest.startswith("@"):
        raw_tags, _, rest = rest[1:].partition(" ")
        for item in raw_tags.split(";"):
            if not item:
                continue
            key, _, value = item.partition("=")
            if not key:
                raise ParseError("empty tag key")
            tags[key] = unescape_tag_value(value)
        rest = rest.lstrip(" ")
    source: str | None = None
    if rest.startswith(":"):
        source, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    trailing: str | None = None
    if " :" in rest:
        rest, _, trailing = rest.partition(" :")
    elif rest.startswith(":"):
        raise ParseError("missing command")
    words = [word for word in rest.split(" ") if word]
    if not words:
        raise ParseError("missing command")
    params = words[1:]
    if trailing is not None:
        params.append(trailing)
    return Message(words[0].upper(), tuple(params), source, tags)


# Lines made mostly of the characters that matter to the parser.
_wire_text = st.text(alphabet=st.sampled_from(" :@;=!abcPRIVMSG#\\é\t"), max_size=40)


@given(st.one_of(st.text(), _wire_text))
def test_parse_message_agrees_with_the_reference_parser(line: str) -> None:
    try:
        expected = _reference_parse(line)
    except ParseError:
        with pytest.raises(ParseError):
            parse_message(line)
        return
    assert parse_message(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "PRIVMSG bob :hi there",
        "privmsg  bob   :hi",
        "PRIVMSG bob hi ",
        " PRIVMSG bob :",
        "PRIVMSG bob ::)",
        ":a!b@c PRIVMSG #x :y z",
        "@+typing=active;msgid=1 :a TAGMSG #x",
        "@a=b  :src   CMD  p1  p2  :t",
        "CMD :only trailing",
        "CMD",
        "CMD :",
        "CMD a :b :c",
    ],
)
def test_parse_message_agrees_with_the_reference_on_usual_lines(line: str) -> None:
    assert parse_message(line) == _reference_parse(line)
