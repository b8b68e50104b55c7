"""The `AccountStore` contract, for every store: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import pytest

from hubbub.core.engine import Engine
from hubbub.storage.open import Storage
from hubbub.storage.passwords import Argon2Passwords
from tests.fakes import FrozenClock, connect, make_config
from tests.storage.conftest import needs_postgres
from tests.storage.pg_relay import Relay
from tests.storage.samples import T0, account, channel

# Accounts


async def test_created_account_reads_back_equal(storage: Storage) -> None:
    alice = account(email="alice@example.org", certfps=("ab12", "cd34"))
    assert await storage.accounts.create_account(alice)
    assert await storage.accounts.get_account("Alice") == alice


async def test_account_lookup_ignores_case_and_keeps_display_name(
    storage: Storage,
) -> None:
    await storage.accounts.create_account(account("Al[ice]"))
    found = await storage.accounts.get_account("aL{ICE}")
    assert found is not None
    assert found.name == "Al[ice]"


async def test_account_name_taken_in_any_case_is_refused(storage: Storage) -> None:
    assert await storage.accounts.create_account(account("alice"))
    assert not await storage.accounts.create_account(account("ALICE", email="x@y"))
    found = await storage.accounts.get_account("alice")
    assert found is not None
    assert found.email is None


async def test_unknown_account_is_none(storage: Storage) -> None:
    assert await storage.accounts.get_account("nobody") is None


async def test_account_exists_follows_create_and_delete(storage: Storage) -> None:
    assert not await storage.accounts.account_exists("alice")
    await storage.accounts.create_account(account("Al[ice]"))
    assert await storage.accounts.account_exists("aL{ICE}")
    assert not await storage.accounts.account_exists("bob")
    await storage.accounts.delete_account("al[ice]")
    assert not await storage.accounts.account_exists("Al[ice]")


async def test_account_created_at_tells_a_recreated_account_apart(
    storage: Storage,
) -> None:
    assert await storage.accounts.account_created_at("alice") is None
    await storage.accounts.create_account(account("Alice", created_at=T0))
    assert await storage.accounts.account_created_at("ALICE") == T0
    await storage.accounts.delete_account("alice")
    assert await storage.accounts.account_created_at("alice") is None
    await storage.accounts.create_account(account("alice", created_at=T0 + 0.125))
    assert await storage.accounts.account_created_at("alice") == T0 + 0.125


async def test_account_without_scram_or_email_reads_back(storage: Storage) -> None:
    bare = account(scram=None, email=None, verified=False, verification_code="12345")
    await storage.accounts.create_account(bare)
    assert await storage.accounts.get_account("alice") == bare


async def test_update_replaces_every_field(storage: Storage) -> None:
    await storage.accounts.create_account(account(certfps=("old",)))
    changed = account(
        password_hash="new-hash", scram=None, verified=False, certfps=("new",)
    )
    assert await storage.accounts.update_account(changed)
    assert await storage.accounts.get_account("alice") == changed


async def test_update_of_unknown_account_is_false(storage: Storage) -> None:
    assert not await storage.accounts.update_account(account("ghost"))
    assert await storage.accounts.get_account("ghost") is None


async def test_delete_removes_only_the_account(storage: Storage) -> None:
    await storage.accounts.create_account(account(certfps=("ab12",)))
    await storage.accounts.save_channel(channel(founder="Alice"))
    assert await storage.accounts.delete_account("ALICE")
    assert await storage.accounts.get_account("alice") is None
    assert await storage.accounts.find_account_by_certfp("ab12") is None
    assert await storage.accounts.get_channel("#tea") is not None
    assert not await storage.accounts.delete_account("alice")


async def test_deleted_name_can_be_registered_again(storage: Storage) -> None:
    await storage.accounts.create_account(account(certfps=("ab12",)))
    await storage.accounts.delete_account("alice")
    assert await storage.accounts.create_account(account(certfps=("ab12",)))


async def test_accounts_are_listed_by_casefolded_name(storage: Storage) -> None:
    for name in ("carol", "Bob", "alice", "[dan]"):
        await storage.accounts.create_account(account(name))
    names = [found.name for found in await storage.accounts.list_accounts()]
    assert names == ["alice", "Bob", "carol", "[dan]"]


async def test_listed_accounts_carry_their_certfps(storage: Storage) -> None:
    await storage.accounts.create_account(account("alice", certfps=("a1", "a2")))
    await storage.accounts.create_account(account("bob"))
    listed = await storage.accounts.list_accounts()
    assert [found.certfps for found in listed] == [("a1", "a2"), ()]


async def test_certfps_read_back_sorted_without_duplicates(storage: Storage) -> None:
    await storage.accounts.create_account(account(certfps=("ff", "aa", "ff")))
    found = await storage.accounts.get_account("alice")
    assert found is not None
    assert found.certfps == ("aa", "ff")


async def test_account_is_found_by_certfp(storage: Storage) -> None:
    await storage.accounts.create_account(account("alice", certfps=("ab12",)))
    await storage.accounts.create_account(account("bob", certfps=("cd34",)))
    found = await storage.accounts.find_account_by_certfp("cd34")
    assert found is not None
    assert found.name == "bob"
    assert await storage.accounts.find_account_by_certfp("ef56") is None


async def test_certfp_removed_by_update_no_longer_finds_the_account(
    storage: Storage,
) -> None:
    await storage.accounts.create_account(account(certfps=("ab12",)))
    await storage.accounts.update_account(account(certfps=()))
    assert await storage.accounts.find_account_by_certfp("ab12") is None


# Registered channels


async def test_saved_channel_reads_back_equal(storage: Storage) -> None:
    tea = channel(
        topic="Oolong only",
        topic_by="alice!alice@example.org",
        topic_at=1_700_000_100.5,
        modes="ntk",
        key="sencha",
        limit=25,
        ops=("Bob", "carol"),
        public_history=True,
    )
    await storage.accounts.save_channel(tea)
    assert await storage.accounts.get_channel("#tea") == tea


async def test_channel_lookup_ignores_case(storage: Storage) -> None:
    await storage.accounts.save_channel(channel("#Tea[1]"))
    found = await storage.accounts.get_channel("#TEA{1}")
    assert found is not None
    assert found.name == "#Tea[1]"


async def test_saving_a_channel_again_replaces_it(storage: Storage) -> None:
    await storage.accounts.save_channel(channel(topic="old"))
    await storage.accounts.save_channel(channel("#TEA", topic="new", ops=("bob",)))
    assert await storage.accounts.list_channels() == [
        channel("#TEA", topic="new", ops=("bob",))
    ]


async def test_deleted_channel_is_gone(storage: Storage) -> None:
    await storage.accounts.save_channel(channel())
    assert await storage.accounts.delete_channel("#TEA")
    assert await storage.accounts.get_channel("#tea") is None
    assert not await storage.accounts.delete_channel("#tea")


async def test_channels_are_listed_by_casefolded_name(storage: Storage) -> None:
    for name in ("#coffee", "#Tea", "#apple"):
        await storage.accounts.save_channel(channel(name))
    names = [found.name for found in await storage.accounts.list_channels()]
    assert names == ["#apple", "#coffee", "#Tea"]


# A connection cut at the COMMIT of a REGISTER, before its answer: the
# transaction is run again (`Database.transaction`), and must not take the
# account it just created for somebody else's.


@needs_postgres
@pytest.mark.parametrize("carried_out", [True, False], ids=["committed", "rolled back"])
async def test_an_account_whose_commit_answer_was_lost_is_created(
    relayed: Storage, relay: Relay, carried_out: bool
) -> None:
    cut = relay.cut_at_next_commit(carried_out=carried_out)
    alice = account(certfps=("ab12",))
    assert await relayed.accounts.create_account(alice)
    assert cut.is_set()
    assert await relayed.accounts.get_account("alice") == alice


@needs_postgres
async def test_a_retried_create_still_refuses_another_registrants_account(
    relayed: Storage, relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    alice = account(created_at=T0)
    assert await relayed.accounts.create_account(alice)
    assert relayed.database is not None
    await relay.cut_pooled_connection(relayed.database)
    # The same name, another password (its own salt): a second run finds
    # the row is not its own.
    other = account(password_hash="$argon2id$v=19$m=65536,t=3,p=4$b3RoZXI$aGFzaA")
    assert not await relayed.accounts.create_account(other)
    assert any("retrying" in record.getMessage() for record in caplog.records)
    assert await relayed.accounts.get_account("alice") == alice


@needs_postgres
async def test_register_answers_success_when_its_commit_answer_was_lost(
    relayed: Storage, relay: Relay
) -> None:
    engine = Engine(
        make_config(),
        passwords=Argon2Passwords(time_cost=1, memory_cost=64, scram_iterations=4096),
        accounts=relayed.accounts,
        history=relayed.history,
        clock=FrozenClock(),
    )
    alice = await connect(engine, "alice")
    cut = relay.cut_at_next_commit(carried_out=True)
    await alice.send("REGISTER * * :correcthorse")
    assert cut.is_set()
    assert alice.received()[0] == ":irc.test REGISTER SUCCESS alice :Account created"
    assert alice.user.account == "alice"
