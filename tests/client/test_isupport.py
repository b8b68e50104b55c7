"""ISUPPORT tokens the client reads."""

from __future__ import annotations

from hubbub.client.events import ServerFeatures
from hubbub.client.isupport import parse_isupport, parse_prefix


def test_prefix() -> None:
    assert parse_prefix("(qaohv)~&@%+") == (
        ("q", "~"),
        ("a", "&"),
        ("o", "@"),
        ("h", "%"),
        ("v", "+"),
    )
    assert parse_prefix("(ov)@") is None
    assert parse_prefix("ov") is None


def test_tokens_update_the_features() -> None:
    features = parse_isupport(
        ServerFeatures(),
        ["CASEMAPPING=ascii", "CHANTYPES=#", "PREFIX=(ov)@+", "CHANMODES=b,k,l,imnt"],
    )
    assert features == ServerFeatures(
        "ascii", "#", (("o", "@"), ("v", "+")), ("b", "k", "l", "imnt")
    )


def test_a_malformed_prefix_is_ignored() -> None:
    assert parse_isupport(ServerFeatures(), ["PREFIX=(ov)@"]) == ServerFeatures()
