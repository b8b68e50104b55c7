"""Casemapping, sources, NAMES prefixes and mentions."""

from __future__ import annotations

from hubbub.client.names import fold_name, mentions, nick_of, split_prefixes


def test_casemappings() -> None:
    assert fold_name("Alice[]~", "rfc1459") == "alice{}^"
    assert fold_name("Alice[]~", "strict-rfc1459") == "alice{}~"
    assert fold_name("Alice[]~", "ascii") == "alice[]~"


def test_nick_of_a_source() -> None:
    assert nick_of("bob!b@host") == "bob"
    assert nick_of("irc.example.org") == "irc.example.org"
    assert nick_of(None) == ""


def test_split_prefixes() -> None:
    assert split_prefixes("@+alice", "@+") == ("alice", "@+")
    assert split_prefixes("bob!b@h", "@+") == ("bob", "")


def test_mentions_need_the_whole_nick() -> None:
    assert mentions("hey Alice!", "alice")
    assert mentions("alice: hi", "alice")
    assert not mentions("alicebot is here", "alice")
    assert not mentions("anything", "")
