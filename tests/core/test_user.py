"""`User`: the values it keeps built until what they are built from changes."""

from __future__ import annotations

from hubbub.core.user import (
    PROCESS_TOKEN,
    SessionId,
    account_history_owner,
    of_this_process,
)
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
    user.account, user.account_created_at = "Tea~Lover", 1_700_000_000.25
    assert user.history_owner == "a:tea^lover:1700000000.25"
    user.nick = "Other"  # the account still decides
    assert user.history_owner == "a:tea^lover:1700000000.25"
    user.account = None
    assert user.history_owner == f"n:other:{scope}"


def test_an_account_created_again_under_its_name_has_another_history() -> None:
    user = make_user("alice")
    user.account, user.account_created_at = "tea", 1_700_000_000.0
    first = user.history_owner
    assert first == account_history_owner("TEA", 1_700_000_000.0)
    # Logged in again, to the account deleted and created again: the same
    # name string, another creation time.
    user.account_created_at = 1_700_000_060.5
    assert user.history_owner == "a:tea:1700000060.5" != first
    # A whole number of seconds reads as a float, as migration 0011 writes it.
    assert account_history_owner("Tea", 1_700_000_000) == "a:tea:1700000000.0"


def test_no_two_sessions_share_a_nicks_history() -> None:
    first, second = make_user("alice"), make_user("alice")
    second.session_id = SessionId(first.session_id + 1)
    assert first.history_owner != second.history_owner
    assert first.history_scope == f"{PROCESS_TOKEN}.{first.session_id}"
    assert len(PROCESS_TOKEN) == 12


def test_session_owners_lists_each_nick_held_history_once() -> None:
    user = make_user("alice")
    before = user.session_owners
    assert before is None  # until history names an owner
    scope = user.history_scope
    first = user.history_owner
    user.nick = "alicia"
    second = user.history_owner
    user.account, user.account_created_at = "tea", 1.5
    assert user.history_owner == "a:tea:1.5"  # an account's is not the session's
    user.account = None
    user.nick = "ALICE"
    assert user.history_owner == first
    assert user.session_owners == [f"n:alice:{scope}", f"n:alicia:{scope}"]
    assert second == f"n:alicia:{scope}"


def test_of_this_process_tells_this_runs_sessions_from_earlier_ones() -> None:
    user = make_user("alice")
    assert of_this_process(user.history_owner)
    assert not of_this_process(f"n:alice:{'0' * 12}.{user.session_id}")
    assert not of_this_process("n:alice")  # from before sessions had scopes
    assert not of_this_process(f"a:{PROCESS_TOKEN}.1")  # accounts never
