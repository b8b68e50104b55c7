"""SCRAM's password preparation (protocol/sasl.py)."""

from __future__ import annotations

import pytest

from hubbub.protocol.sasl import derive_scram_keys, unusable_password


@pytest.mark.parametrize(
    "password",
    ["correcthorse", "pässwörd", "two words", "\u2003em space", "密码密码密码"],
)
def test_scram_takes_ordinary_passwords(password: str) -> None:
    assert unusable_password(password) is None
    assert derive_scram_keys(password, 4096).iterations == 4096


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("bell\x07bell", "control characters forbidden"),
        ("tab\there", "control characters forbidden"),
        ("private\ue000use", "private use characters"),
        ("\u0627abc", "malformed bidi sequence"),
    ],
)
def test_scram_refuses_what_saslprep_prohibits(password: str, why: str) -> None:
    problem = unusable_password(password)
    assert problem is not None
    assert why in problem
    with pytest.raises(ValueError, match=why):
        derive_scram_keys(password, 4096)


def test_a_password_that_prepares_to_nothing_is_refused() -> None:
    assert unusable_password("\u00ad\u200b") == "A password may not be empty"
