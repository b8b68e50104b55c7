"""SASL (PLAIN, SCRAM-SHA-256), REGISTER/VERIFY, account-notify and account-tag."""

from __future__ import annotations

import base64
import re

import scramp

from hubbub.config import Accounts
from hubbub.core.engine import Engine
from tests.fakes import FakeClient, FrozenClock, connect, make_engine


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def register(engine: Engine, nick: str, password: str = "correcthorse") -> None:
    """Create an account through REGISTER and disconnect."""
    client = await connect(engine, nick)
    await client.send(f"REGISTER * * :{password}")
    assert f"REGISTER SUCCESS {nick}" in " ".join(client.received())
    await client.send("QUIT")


# REGISTER / VERIFY


async def test_register_creates_an_account_and_logs_in(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("REGISTER * * :correcthorse")
    assert alice.received() == [
        ":irc.test REGISTER SUCCESS alice :Account created",
        ":irc.test 900 alice alice!~alice@127.0.0.1 alice "
        ":You are now logged in as alice",
    ]
    assert alice.user.account == "alice"


async def test_register_before_connect_uses_the_nick(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    await client.send("NICK early")
    await client.send("REGISTER * * :correcthorse")
    assert client.received()[-2] == ":irc.test REGISTER SUCCESS early :Account created"


async def test_register_without_a_nick_fails_need_nick(engine: Engine) -> None:
    client = FakeClient(engine)
    await client.send("REGISTER * * :correcthorse")
    assert client.received() == [
        ":irc.test FAIL REGISTER NEED_NICK * :Choose a nick first"
    ]


async def test_register_an_existing_account_fails(engine: Engine) -> None:
    await register(engine, "alice")
    bob = await connect(engine, "bob")
    await bob.send("REGISTER alice * :anotherpassword")
    assert bob.received() == [
        ":irc.test FAIL REGISTER ACCOUNT_EXISTS alice :That account already exists"
    ]


async def test_register_with_a_short_password_fails_weak_password(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("REGISTER * * :short")
    assert alice.received() == [
        ":irc.test FAIL REGISTER WEAK_PASSWORD alice :Use at least 8 characters"
    ]


async def test_register_with_a_control_character_fails_unacceptable_password(
    engine: Engine,
) -> None:
    # SCRAM's SASLprep refuses it: it must be refused before the keys are
    # derived (it used to end the connection with an internal error).
    alice = await connect(engine, "alice")
    await alice.send("REGISTER * * :hunter2\x07hunter2")
    assert alice.received() == [
        ":irc.test FAIL REGISTER UNACCEPTABLE_PASSWORD alice :A password may not"
        " hold that character (control characters forbidden)"
    ]
    assert await engine.accounts.get_account("alice") is None
    await alice.send("REGISTER * * :hunter2hunter2")
    assert ":irc.test REGISTER SUCCESS alice :Account created" in alice.received()


async def test_register_with_a_password_that_prepares_to_nothing_fails(
    engine: Engine,
) -> None:
    alice = await connect(engine, "alice")
    await alice.send("REGISTER * * :" + "\u00ad" * 8)  # soft hyphens: mapped away
    assert alice.received() == [
        ":irc.test FAIL REGISTER UNACCEPTABLE_PASSWORD alice :A password may not"
        " be empty"
    ]


async def test_register_twice_fails_already_authenticated(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("REGISTER * * :correcthorse")
    alice.clear()
    await alice.send("REGISTER other * :correcthorse")
    assert "FAIL REGISTER ALREADY_AUTHENTICATED" in alice.received()[0]


async def test_register_with_a_bad_account_name_fails(engine: Engine) -> None:
    alice = await connect(engine, "alice")
    await alice.send("REGISTER NickServ * :correcthorse")
    assert "FAIL REGISTER BAD_ACCOUNT_NAME NickServ" in alice.received()[0]


async def test_register_before_connect_can_be_disallowed() -> None:
    engine = make_engine(accounts=Accounts(registration_before_connect=False))
    client = FakeClient(engine)
    await client.send("NICK early")
    await client.send("REGISTER * * :correcthorse")
    assert "FAIL REGISTER COMPLETE_CONNECTION_REQUIRED" in client.received()[0]


async def test_email_verification_needs_the_code() -> None:
    engine = make_engine(accounts=Accounts(email_required=True))
    alice = await connect(engine, "alice")
    await alice.send("REGISTER * * :correcthorse")
    assert "FAIL REGISTER INVALID_EMAIL" in alice.received()[0]
    await alice.send("REGISTER * alice@example.org :correcthorse")
    assert alice.received()[0].startswith(
        ":irc.test REGISTER VERIFICATION_REQUIRED alice :"
    )
    assert alice.user.account is None
    await alice.send("VERIFY alice 00000000")
    assert "FAIL VERIFY INVALID_CODE alice" in alice.received()[0]
    account = await engine.accounts.get_account("alice")
    assert account is not None
    assert account.verification_code is not None
    await alice.send(f"VERIFY alice {account.verification_code}")
    assert alice.received()[0] == ":irc.test VERIFY SUCCESS alice :Account verified"
    assert alice.user.account == "alice"


# SASL PLAIN


async def sasl_client(engine: Engine, nick: str) -> FakeClient:
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    await client.send("CAP REQ :sasl")
    await client.send(f"NICK {nick}")
    await client.send(f"USER {nick} 0 * :{nick}")
    client.clear()
    return client


async def test_sasl_plain_logs_in_before_registration(engine: Engine) -> None:
    await register(engine, "jilles", "sesamesesame")
    client = await sasl_client(engine, "jilles")
    await client.send("AUTHENTICATE PLAIN")
    assert client.received() == ["AUTHENTICATE +"]
    await client.send("AUTHENTICATE " + b64("jilles\0jilles\0sesamesesame"))
    assert client.received() == [
        ":irc.test 900 jilles jilles!~jilles@127.0.0.1 jilles "
        ":You are now logged in as jilles",
        ":irc.test 903 jilles :SASL authentication successful",
    ]
    await client.send("CAP END")
    assert " 001 jilles " in client.received()[0]
    assert client.user.account == "jilles"


async def test_sasl_before_nick_and_user_names_no_username(engine: Engine) -> None:
    await register(engine, "jilles", "sesamesesame")
    client = FakeClient(engine)
    await client.send("CAP LS 302")
    await client.send("CAP REQ :sasl")
    await client.send("AUTHENTICATE PLAIN")
    client.clear()
    await client.send("AUTHENTICATE " + b64("jilles\0jilles\0sesamesesame"))
    assert client.received()[0] == (
        ":irc.test 900 * *!*@127.0.0.1 jilles :You are now logged in as jilles"
    )


async def test_sasl_plain_with_a_wrong_password_fails(engine: Engine) -> None:
    await register(engine, "jilles", "sesamesesame")
    client = await sasl_client(engine, "jilles")
    await client.send("AUTHENTICATE PLAIN")
    client.clear()
    await client.send("AUTHENTICATE " + b64("\0jilles\0milletmillet"))
    assert client.received() == [":irc.test 904 jilles :SASL authentication failed"]
    assert client.user.account is None


async def test_sasl_payload_split_in_400_byte_chunks(engine: Engine) -> None:
    password = "x" * 600
    await register(engine, "big", password)
    client = await sasl_client(engine, "big")
    await client.send("AUTHENTICATE PLAIN")
    client.clear()
    encoded = b64("big\0big\0" + password)
    for start in range(0, len(encoded), 400):
        await client.send("AUTHENTICATE " + encoded[start : start + 400])
    if len(encoded) % 400 == 0:
        await client.send("AUTHENTICATE +")
    assert client.received()[-1] == ":irc.test 903 big :SASL authentication successful"


async def test_sasl_chunk_over_400_bytes_is_too_long(engine: Engine) -> None:
    client = await sasl_client(engine, "x")
    await client.send("AUTHENTICATE PLAIN")
    client.clear()
    await client.send("AUTHENTICATE " + "A" * 401)
    assert client.received() == [":irc.test 905 x :SASL message too long"]


async def test_sasl_unknown_mechanism_lists_the_known_ones(engine: Engine) -> None:
    client = await sasl_client(engine, "x")
    await client.send("AUTHENTICATE FOO")
    assert client.received() == [
        ":irc.test 908 x PLAIN,SCRAM-SHA-256,EXTERNAL :are available SASL mechanisms",
        ":irc.test 904 x :SASL authentication failed",
    ]


async def test_sasl_abort(engine: Engine) -> None:
    client = await sasl_client(engine, "x")
    await client.send("AUTHENTICATE PLAIN")
    await client.send("AUTHENTICATE *")
    assert client.received()[-1] == ":irc.test 906 x :SASL authentication aborted"


async def test_cap_end_during_an_exchange_aborts_it(engine: Engine) -> None:
    client = await sasl_client(engine, "x")
    await client.send("AUTHENTICATE PLAIN")
    client.clear()
    await client.send("CAP END")
    lines = client.received()
    assert lines[0] == ":irc.test 906 x :SASL authentication aborted"
    assert any(" 001 x " in line for line in lines)
    assert client.user.sasl is None


async def test_sasl_scram_sha_256_round_trip(engine: Engine) -> None:
    await register(engine, "scram", "sesamesesame")
    client = await sasl_client(engine, "scram")
    scram = scramp.ScramClient(["SCRAM-SHA-256"], "scram", "sesamesesame")
    await client.send("AUTHENTICATE SCRAM-SHA-256")
    assert client.received() == ["AUTHENTICATE +"]
    await client.send("AUTHENTICATE " + b64(scram.get_client_first()))
    [server_first] = client.received()
    scram.set_server_first(base64.b64decode(server_first.split(" ")[1]).decode())
    await client.send("AUTHENTICATE " + b64(scram.get_client_final()))
    [server_final] = client.received()
    scram.set_server_final(base64.b64decode(server_final.split(" ")[1]).decode())
    await client.send("AUTHENTICATE +")
    assert (
        client.received()[-1] == ":irc.test 903 scram :SASL authentication successful"
    )


async def test_sasl_scram_with_a_wrong_password_fails(engine: Engine) -> None:
    await register(engine, "scram", "sesamesesame")
    client = await sasl_client(engine, "scram")
    scram = scramp.ScramClient(["SCRAM-SHA-256"], "scram", "wrongwrong")
    await client.send("AUTHENTICATE SCRAM-SHA-256")
    await client.send("AUTHENTICATE " + b64(scram.get_client_first()))
    server_first = client.received()[-1]
    scram.set_server_first(base64.b64decode(server_first.split(" ")[1]).decode())
    await client.send("AUTHENTICATE " + b64(scram.get_client_final()))
    assert client.received() == [":irc.test 904 scram :SASL authentication failed"]


# account-notify, account-tag, extended-join, WHOIS


async def test_login_is_announced_to_account_notify_peers(engine: Engine) -> None:
    await register(engine, "alice")
    watcher = await connect(engine, "watcher", caps=("account-notify",))
    alice = await connect(engine, "alice")
    for client in (watcher, alice):
        await client.send("JOIN #tea")
    watcher.clear()
    await alice.send("NS IDENTIFY :correcthorse")
    assert watcher.received() == [":alice!~alice@127.0.0.1 ACCOUNT alice"]
    await alice.send("NS LOGOUT")
    assert watcher.received() == [":alice!~alice@127.0.0.1 ACCOUNT *"]


async def test_messages_carry_the_account_tag(engine: Engine) -> None:
    await register(engine, "alice")
    bob = await connect(engine, "bob", caps=("account-tag",))
    alice = await connect(engine, "alice")
    await alice.send("NS IDENTIFY :correcthorse")
    await alice.send("PRIVMSG bob :hi")
    assert bob.received() == ["@account=alice :alice!~alice@127.0.0.1 PRIVMSG bob :hi"]


async def test_extended_join_carries_the_account(engine: Engine) -> None:
    await register(engine, "alice")
    bob = await connect(engine, "bob", caps=("extended-join",))
    await bob.send("JOIN #tea")
    alice = await connect(engine, "alice")
    await alice.send("NS IDENTIFY :correcthorse")
    bob.clear()
    await alice.send("JOIN #tea")
    assert bob.received() == [":alice!~alice@127.0.0.1 JOIN #tea alice :Alice Realname"]


async def test_whois_shows_the_account(engine: Engine) -> None:
    await register(engine, "alice")
    alice = await connect(engine, "alice")
    await alice.send("NS IDENTIFY :correcthorse")
    alice.clear()
    await alice.send("WHOIS alice")
    assert ":irc.test 330 alice alice alice :is logged in as" in alice.received()


# Nick protection


async def test_a_registered_nick_is_taken_back_after_the_grace_period(
    engine: Engine, clock: FrozenClock
) -> None:
    await register(engine, "alice")
    impostor = FakeClient(engine)
    await impostor.send("NICK alice")
    await impostor.send("USER alice 0 * :Alice")
    assert any("alice is a registered nick" in text for text in impostor.received())
    clock.advance(61)
    engine.check_timeouts()
    lines = impostor.received()
    assert any(re.search(r" NICK :?Guest\d+$", text) for text in lines), lines
    assert impostor.user.nick.startswith("Guest")


async def test_identifying_in_time_keeps_the_nick(
    engine: Engine, clock: FrozenClock
) -> None:
    await register(engine, "alice")
    alice = await connect(engine, "alice")
    await alice.send("NS IDENTIFY :correcthorse")
    clock.advance(120)
    engine.check_timeouts()
    assert alice.user.nick == "alice"
