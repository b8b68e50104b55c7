"""`User`: the values it keeps built until what they are built from changes."""

from __future__ import annotations

from hubbub.core.user import PROCESS_TOKEN, SessionId
from tests.core.test_channel import make_user


def test_mask_follows_nick_username_and_host() -> None:
    user = make_user("Alice")
    assert user.mask == "Alice!~Alice@127.0.0.1"
    assert user.mask is user.mask  # kept, not built again
    user.nick = "Alicia"
    assert user.mask == "Alicia!~Alice@127.0.0.1"
    user.host = "tea.example"
    assert user.mask == "Alicia!~Alice@tea.example"


def test_history_owner_is_the_account_when_logged_in_else_the_sessions_nick() -> None:
    user = make_user("Alice[1]")
    scope = user.history_scope
    assert user.history_owner == f"n:alice{{1}}:{scope}"  # casefolded (rfc1459)
    assert user.history_owner is user.history_owner
    user.nick = "Alicia"
    assert user.history_owner == f"n:alicia:{scope}"
    user.account = "Tea~Lover"
    assert user.history_owner == "a:tea^lover"
    user.nick = "Other"  # the account still decides
    assert user.history_owner == "a:tea^lover"
    user.account = None
    assert user.history_owner == f"n:other:{scope}"


def test_no_two_sessions_share_a_nicks_history() -> None:
    first, second = make_user("alice"), make_user("alice")
    second.session_id = SessionId(first.session_id + 1)
    assert first.history_owner != second.history_owner
    assert first.history_scope == f"{PROCESS_TOKEN}.{first.session_id}"
    assert len(PROCESS_TOKEN) == 12
