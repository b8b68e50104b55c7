"""Random server lines and typed lines: the client's core never raises on them.

A server may be buggy or hostile, and a user types anything. A seeded
generator (the same lines every run) feeds `ClientSession` lines from a
"server": known commands and numerics with too few, too many and odd
parameters, tags and sources, and `parse_input` typed lines in odd
contexts (no channel types, no buffer, a room left). No server line may
raise, and a typed line may raise only `InputError` (the one line the user
sees). Written with the fixes for what it found: numerics without their
text, CAP and 433 without parameters, /join when the server offers no
channel types.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from hubbub.client.actions import InputContext, InputError
from hubbub.client.commands import COMMANDS, parse_input
from hubbub.client.session import ClientSession, Registration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SERVER_COMMANDS = ["JOIN", "PART", "KICK", "QUIT", "NICK", "TOPIC", "AWAY", "INVITE"]
SERVER_COMMANDS += ["PRIVMSG", "NOTICE", "MODE", "PING", "PONG", "ERROR", "BATCH"]
SERVER_COMMANDS += ["CAP", "AUTHENTICATE", "FAIL", "ACCOUNT", "CHGHOST", "SETNAME"]
NUMERICS = ["001", "005", "301", "305", "306", "311", "319", "322", "324", "329"]
NUMERICS += ["331", "332", "333", "341", "352", "353", "366", "372", "401", "432"]
NUMERICS += ["433", "471", "482", "730", "900", "903", "904"]
WORDS = ["", ":", "alice", "Alice", "#lobby", "*", "=", "@", "+o", "-o+v", "LS"]
WORDS += ["ACK", "NAK", "NEW", "DEL", "sasl", "draft/chathistory", "+ref", "-ref"]
WORDS += ["PREFIX=(ov)@+", "PREFIX=", "PREFIX=(o)", "CHANTYPES=", "NICKLEN=x"]
WORDS += ["CASEMAPPING=bogus", "@alice", "@+bob", "a!b@c", "!", "x" * 600, "é"]
WORDS += ["\x01ACTION hi\x01", "\x01", "-1", "9" * 20]
TAGS = ["time=2026-01-01T00:00:00.000Z", "time=bogus", "batch=ref", "batch="]
TAGS += ["msgid=1", "account=alice", "label=1"]
SOURCES = ["", ":irc.test ", ":alice!a@h ", ":Alice ", ":bob!b@h ", ":!@ "]


def server_line(rng: random.Random) -> str:
    """A line as a server (perhaps a broken one) might send it."""
    command = rng.choice(SERVER_COMMANDS + NUMERICS * 2)
    params = [rng.choice(WORDS) for _ in range(rng.randint(0, 6))]
    if command.isdigit() and rng.random() < 0.7:
        params.insert(0, rng.choice(["alice", "*"]))
    if params and rng.random() < 0.5:
        params[-1] = f":{params[-1]} {rng.choice(WORDS)}"
    tags = ""
    if rng.random() < 0.3:
        tags = "@" + ";".join(rng.sample(TAGS, rng.randint(1, 3))) + " "
    return tags + rng.choice(SOURCES) + " ".join([command, *params])


def typed_line(rng: random.Random) -> str:
    """A line as a user might type it."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))
    return rng.choice(
        [
            f"/{rng.choice(sorted(COMMANDS))} {words}",
            f"@{rng.choice(WORDS)}: {words}",
            f"/{rng.choice(WORDS)}",
            words,
        ]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_lines_never_raise(seed: int) -> None:
    rng = random.Random(seed)
    session = ClientSession(Registration("alice", "a", "A"), clock=lambda: T0)
    session.start()
    handled = typed = 0
    for _ in range(3000):
        line = server_line(rng)
        try:
            session.receive_line(line)
            session.lines_to_send()
        except Exception as error:
            raise AssertionError(f"{line!r} raised {error!r}") from error
        handled += 1
        text = typed_line(rng)
        context = InputContext(
            rng.choice([None, "#lobby", "bob", ""]),
            chantypes=rng.choice(["#&", "", "#"]),
            is_joined=rng.random() < 0.7,
        )
        try:
            parse_input(text, context)
        except InputError:
            pass
        except Exception as error:
            raise AssertionError(f"typed {text!r} raised {error!r}") from error
        typed += 1
    assert (handled, typed) == (3000, 3000)
