"""`is_service`: the services' nicks, in any case (core/services/names.py)."""

from __future__ import annotations

import pytest

from hubbub.core.services.names import SERVICE_NICKS, is_service


@pytest.mark.parametrize(
    "nick", ["NickServ", "nickserv", "NICKSERV", "ChanServ", "chanSERV"]
)
def test_the_services_nicks_in_any_case(nick: str) -> None:
    assert is_service(nick)


@pytest.mark.parametrize(
    "nick",
    [
        "",
        "bob",
        "NickServ2",
        "NickSer",
        "ChanServ_",
        "#NickServ",
        "NickServ ",
        "nick\u017fserv",  # long s: rfc1459 folds only ASCII letters and []\\~
    ],
)
def test_other_names_are_not_services(nick: str) -> None:
    assert not is_service(nick)


def test_every_service_nick_is_one() -> None:
    assert all(is_service(nick) for nick in SERVICE_NICKS)
