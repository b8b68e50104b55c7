"""Checking the settings: address, port, nickname, room."""

from __future__ import annotations

import pytest

from hubbub.client.options import (
    OptionError,
    ServerTarget,
    check_channel,
    check_nick,
    check_port,
    parse_address,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("irc.example.org", ("irc.example.org", None)),
        ("127.0.0.1:6697", ("127.0.0.1", 6697)),
        ("[::1]:7000", ("::1", 7000)),
        ("::1", ("::1", None)),
        ("host:6667/", ("host", 6667)),
    ],
)
def test_addresses(text: str, address: tuple[str, int | None]) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("irc.example.org:7000", ServerTarget("irc.example.org", 7000, None, None)),
        ("irc://host:6667/", ServerTarget("host", 6667, False, None)),
        ("ircs://host", ServerTarget("host", None, True, None)),
        ("ircs://[::1]:7000/tea", ServerTarget("::1", 7000, True, "#tea")),
        ("irc://host/%23tea,needkey", ServerTarget("host", None, False, "#tea")),
        ("irc://host/&local", ServerTarget("host", None, False, "&local")),
        ("irc://alice@host/tea", ServerTarget("host", None, False, "#tea")),
        ("irc://host/#tea?key=x", ServerTarget("host", None, False, "#tea")),
        ("irc://host/tea/", ServerTarget("host", None, False, "#tea")),
    ],
)
def test_targets(text: str, target: ServerTarget) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["0", "65536", "70000", "-1", "abc", ""])
def test_ports_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(OptionError, match="from 1 to 65535"):
        check_port(text)


def test_bad_address_parts_are_refused() -> None:
    with pytest.raises(OptionError, match="from 1 to 65535"):
        parse_address("host:99999")
    with pytest.raises(OptionError, match="not a server"):
        parse_address(":6667")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("Bob Smith", "cannot contain spaces"),
        ("#bob", "cannot be a nickname"),
        ("1bob", "cannot be a nickname"),
    ],
)
def test_bad_nicknames_are_refused(text: str, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        check_nick(text)


def test_good_nickname_is_trimmed() -> None:
    assert check_nick(" Alice ") == "Alice"


def test_rooms_get_a_hash() -> None:
    assert check_channel("tea") == "#tea"
    assert check_channel("#tea") == "#tea"
    with pytest.raises(OptionError):
        check_channel("#a,#b")
