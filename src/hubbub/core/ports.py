"""The interfaces the core needs from the outside world (implemented by adapters).

The core never imports a transport, a database or a bus: it declares here what
it needs, and `hubbub.app` plugs real implementations in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import time
from typing import Any, Final, Protocol

from hubbub.protocol.message import NO_TAGS


class Writer(Protocol):
    """Where a session's bytes go: a transport (TCP, TLS, WebSocket) or a test fake."""

    def write(self, data: bytes) -> None:
        """Queue bytes for sending; never blocks."""

    def buffered_bytes(self) -> int:
        """Bytes accepted by `write` and not yet sent (for the SendQ limit)."""

    def close(self) -> None:
        """Send what is queued, then close the connection."""


class Clock(Protocol):
    """Wall-clock time, injected so tests can freeze it."""

    def now(self) -> float:
        """Seconds since the epoch."""


def system_now() -> float:
    """Seconds since the epoch, to the millisecond (as server-time shows it)."""
    # Whole milliseconds, rounded down: round(time.time(), 3) cost four times
    # as much, and every message asks. Compiled, this is arithmetic on a C
    # double and a C integer; time_ns() gave an integer too big for mypyc's
    # own, converted from and to a Python int on each call.
    return int(time() * 1000.0) / 1000


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds since the epoch, to the millisecond (as server-time shows it)."""
        return system_now()


class PasswordChecker(Protocol):
    """Hashes and checks passwords (argon2 and SCRAM keys in production)."""

    async def verify(self, password_hash: str, password: str) -> bool:
        """Does `password` match `password_hash`?"""

    async def new_credentials(self, password: str) -> tuple[str, ScramCredentials]:
        """A hash and SCRAM-SHA-256 keys for a new password."""


# Accounts (the accounts-and-history issue): stored behind these ports.


@dataclass(frozen=True, slots=True)
class ScramCredentials:
    """SCRAM-SHA-256 keys derived from a password (RFC 5802/7677)."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes


@dataclass(frozen=True, slots=True)
class Account:
    """A registered account. Names compare casefolded (rfc1459)."""

    name: str  # as registered, in its display case
    password_hash: str  # argon2id
    scram: ScramCredentials | None
    created_at: float
    email: str | None = None
    verified: bool = True
    verification_code: str | None = None  # pending e-mail verification
    certfps: tuple[str, ...] = ()  # TLS client-certificate SHA-256 fingerprints


@dataclass(frozen=True, slots=True)
class RegisteredChannel:
    """A channel kept across restarts and across emptying (ChanServ REGISTER)."""

    name: str
    founder: str  # account name
    registered_at: float
    topic: str = ""
    topic_by: str = ""
    topic_at: float = 0.0
    modes: str = "nt"  # flag letters
    key: str | None = None
    limit: int | None = None
    ops: tuple[str, ...] = ()  # accounts opped on join
    public_history: bool = False  # history readable by non-members


class AccountStore(Protocol):
    """Accounts and registered channels. Lookups ignore case (rfc1459)."""

    async def get_account(self, name: str) -> Account | None:
        """The account called `name`, if any."""

    async def account_exists(self, name: str) -> bool:
        """Whether an account may be called `name`: cheap, asked on every NICK.

        False is certain for accounts made through this store; one made by
        another process (the `hubbub accounts` CLI) may take a few seconds to
        show. True may be stale: confirm with `get_account`.
        """

    async def account_created_at(self, name: str) -> float | None:
        """When the account called `name` was created (None: there is none),
        as cheaply and with the same staleness as `account_exists`: what
        tells an account from one deleted and created again under its name.
        """

    async def create_account(self, account: Account) -> bool:
        """Store a new account; False when the name is taken."""

    async def update_account(self, account: Account) -> bool:
        """Replace the account with the same name; False when there is none."""

    async def delete_account(self, name: str) -> bool:
        """Remove an account (and nothing else); False when there was none."""

    async def list_accounts(self) -> list[Account]:
        """Every account, by name."""

    async def find_account_by_certfp(self, certfp: str) -> Account | None:
        """The account holding this certificate fingerprint, if any."""

    async def get_channel(self, name: str) -> RegisteredChannel | None:
        """The registration of channel `name`, if any."""

    async def save_channel(self, channel: RegisteredChannel) -> None:
        """Insert or replace a channel registration."""

    async def delete_channel(self, name: str) -> bool:
        """Drop a channel registration; False when there was none."""

    async def list_channels(self) -> list[RegisteredChannel]:
        """Every registered channel, by name."""

    async def close(self) -> None:
        """End the store's own background work (before its database closes)."""


# History

# HistoryItem's fields, in the order its constructor takes them.
_HISTORY_FIELDS = (
    "owner",
    "target",
    "msgid",
    "at",
    "source",
    "account",
    "command",
    "params",
    "tags",
    "seq",
    "peer_owner",
    "peer_target",
)


class HistoryItem:
    """One stored message or channel event, as one viewer's history holds it.

    Channel history has `owner` "" and `target` the casefolded channel name.
    A private message is one item in two histories, one per party: a party's
    history is named by its identity ("a:<casefolded account>:<its creation
    time>" when logged in, else
    "n:<casefolded nick>:<session scope>", the nick's for that session only:
    `User.history_owner`) and the casefolded nick of the other party. The
    item is appended as the sender's history holds it (`owner`, `target`),
    with the recipient's history in `peer_owner` and `peer_target` ("" for a
    channel item or a message to oneself); stores give it back as the history
    it is read from holds it (`seen_from`).

    A value (read-only fields, compared by value) that history makes for
    every message, so a class of its own: in the compiled build it is built
    in a fraction of a NamedTuple's time (whose `__new__` runs as bytecode).
    """

    __slots__ = (
        "account",
        "at",
        "command",
        "msgid",
        "owner",
        "params",
        "peer_owner",
        "peer_target",
        "seq",
        "source",
        "tags",
        "target",
    )

    def __init__(
        self,
        owner: str,
        target: str,
        msgid: str,
        at: float,  # server time, seconds since the epoch
        source: str,  # nick!user@host
        account: str | None,
        command: str,  # PRIVMSG, NOTICE, TAGMSG, JOIN, PART, QUIT, KICK, TOPIC, ...
        params: tuple[str, ...],
        tags: Mapping[str, str] = NO_TAGS,  # client-only (+) tags
        seq: int = 0,  # storage order, assigned by the store; breaks ties of `at`
        peer_owner: str = "",  # a private message's other history, see above
        peer_target: str = "",
    ) -> None:
        self.owner: Final = owner
        self.target: Final = target
        self.msgid: Final = msgid
        self.at: Final = at
        self.source: Final = source
        self.account: Final = account
        self.command: Final = command
        self.params: Final = params
        self.tags: Final = tags
        self.seq: Final = seq
        self.peer_owner: Final = peer_owner
        self.peer_target: Final = peer_target

    def replace(self, **changes: Any) -> HistoryItem:
        """A copy with some fields changed (as a NamedTuple's `_replace`)."""
        fields = {name: getattr(self, name) for name in _HISTORY_FIELDS}
        unknown = changes.keys() - fields.keys()
        if unknown:
            raise TypeError(f"HistoryItem has no field {sorted(unknown)[0]!r}")
        fields.update(changes)
        return HistoryItem(**fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HistoryItem):
            return NotImplemented
        return all(
            getattr(self, name) == getattr(other, name) for name in _HISTORY_FIELDS
        )

    __hash__ = None  # type: ignore[assignment]  # tags are a mapping

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in _HISTORY_FIELDS
        )
        return f"HistoryItem({fields})"

    def seen_from(self, owner: str, target: str) -> HistoryItem:
        """This item as the history (owner, target) holds it."""
        if not self.peer_owner or (owner, target) == (self.owner, self.target):
            return self
        return self.replace(
            owner=self.peer_owner,
            target=self.peer_target,
            peer_owner=self.owner,
            peer_target=self.target,
        )


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a history: (time, storage order)."""

    at: float
    seq: int


class HistoryStore(Protocol):
    """Append-only history with group commit."""

    def append(self, item: HistoryItem) -> None:
        """Queue an item; it becomes durable at the next group commit."""

    async def commit(self) -> None:
        """Return once everything appended so far is durable."""

    async def find(self, owner: str, target: str, msgid: str) -> HistoryItem | None:
        """The item with this msgid in this history, if any."""

    async def select(
        self,
        owner: str,
        target: str,
        *,
        after: Cursor | None,
        before: Cursor | None,
        limit: int,
        newest_first: bool,
    ) -> list[HistoryItem]:
        """Up to `limit` items strictly between the cursors, in storage order
        (oldest first) or from the newest when `newest_first`."""

    async def targets(
        self, owner: str, channels: list[str], after: float, before: float, limit: int
    ) -> list[tuple[str, float]]:
        """Conversations whose latest item falls in (after, before): this owner's
        private ones and the given channels, as (target, latest time), most
        recent first."""

    async def apply_retention(
        self, *, older_than: float | None, keep_per_target: int | None
    ) -> int:
        """Delete items older than `older_than` and beyond the newest
        `keep_per_target` of each history; return how many items are gone
        from every history (a private message trimmed from one party's
        history only is still the other's)."""

    async def forget(self, owner: str) -> int:
        """Delete every history `owner` holds (a dropped account's; a
        private message stays the other party's); return how many items
        are gone from every history.

        Raises:
            ValueError: `owner` is "" (channels are not forgotten so).
        """

    async def owners(self, prefix: str) -> list[str]:
        """Every owner of a private history whose name starts with `prefix`
        (as "n:" for the histories of sessions without an account), sorted."""

    async def close(self) -> None:
        """Commit what is pending and release the database."""
