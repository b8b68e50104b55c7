"""`User`: one client as the chat sees it (nick, ident, modes, caps, channels).

The connection itself stays in the transport; the core only holds the user's
`Outbox`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, NewType

from hubbub.core.outbox import Outbox
from hubbub.protocol.casemap import Casefolded, casefold

if TYPE_CHECKING:
    from hubbub.core.channel import Channel
    from hubbub.core.sasl import SaslAttempt

SessionId = NewType("SessionId", int)


def account_history_owner(account: str, created_at: float | None) -> str:
    """Whose private history an account's messages are in (`User.history_owner`):
    "a:", the casefolded name, ":" and when the account was created. The
    time tells the account from one created later under the same name
    (deleted, then created again), whose owner reads none of its history.
    (Only a session whose account's creation time is unknown, which no
    login leaves, has the bare name; storage migration 0011 gave every
    stored account history its time.)"""
    if created_at is None:
        return "a:" + casefold(account)
    return f"a:{casefold(account)}:{float(created_at)!r}"  # 1.0, never 1


# This server process's, for `User.history_scope`: session numbers start
# again at 1 when the server does.
PROCESS_TOKEN: Final = secrets.token_hex(6)


def of_this_process(owner: str) -> bool:
    """Is `owner` the history of a session of this server process (an "n:"
    owner with this process's token in its scope)? Any other "n:" owner is a
    session's that ended with an earlier run of the server."""
    return owner.startswith("n:") and owner.rpartition(":")[2].startswith(
        PROCESS_TOKEN + "."
    )


# Bits of `User.tag_mask`: which tags the client wants on relayed messages.
TAGS_SERVER_TIME: Final = 1
TAGS_MESSAGE_TAGS: Final = 2
TAGS_ACCOUNT: Final = 4


@dataclass(eq=False, slots=True)
class User:
    """A client: registered or still registering."""

    session_id: SessionId
    outbox: Outbox
    host: str
    ip: str
    connected_at: float
    secure: bool = False  # connected over TLS
    certfp: str | None = None  # SHA-256 of the TLS client certificate, if any
    nick: str = "*"
    # The last NICK asked for before registration, even when it was refused
    # (in use): what `REGISTER *` names.
    requested_nick: str | None = None
    username: str = ""
    realname: str = ""
    registered: bool = False
    # Registration
    password_ok: bool = False  # PASS matched (or no password is configured)
    cap_negotiating: bool = False  # CAP LS/REQ seen and no CAP END yet
    cap_version: int = 0
    caps: set[str] = field(default_factory=set)
    tag_mask: int = 0  # TAGS_* bits derived from caps
    # State
    modes: set[str] = field(default_factory=set)
    away: str | None = None
    account: str | None = None
    # When the logged-in account was created: tells it from an account
    # deleted and created again under its name (`log_out_deleted_accounts`).
    account_created_at: float | None = None
    oper_name: str | None = None
    channels: dict[Casefolded, Channel] = field(default_factory=dict)
    monitoring: set[Casefolded] = field(default_factory=set)
    last_active: float = 0.0  # last PRIVMSG/NOTICE, for WHOIS idle time
    last_received: float = 0.0  # last line from the client, for keepalive
    ping_sent_at: float | None = None  # our unanswered keepalive PING, if any
    # Flood control (`Engine.count_line`): the lines this client may still
    # send at once, as of `flood_checked`; and how long its connection
    # waits before its next line is handled (0.0: it need not).
    flood_allowance: float = 0.0
    flood_checked: float = 0.0
    input_pause: float = 0.0
    quitting: bool = False
    # When a user holds a registered nick without being logged in to it, the
    # time they get renamed (None when the nick is theirs or unregistered).
    nick_protection_deadline: float | None = None
    # The nick was taken while the account store could not say whether it
    # is registered: `recheck_unchecked_nicks` asks again.
    nick_unchecked: bool = False
    sasl: SaslAttempt | None = None  # an AUTHENTICATE exchange in progress
    # While a labeled command of this user's runs, or one that waits, what
    # it answers collects here instead of the outbox: wrapped in one batch
    # (labeled-response), and ahead of what others sent meanwhile (`Engine`).
    capture: list[bytes] | None = None
    capture_labeled: bool = False  # what collects is a labeled command's
    # The channels this session left, and how many messages each had then:
    # coming back, it is replayed only what it missed (`replay_on_join`).
    # None until the first (an idle client's memory).
    parted: dict[Casefolded, tuple[Channel, int]] | None = None
    # `mask`, and the nick, username and host it was built from: every
    # message sent names its sender's mask, and it rarely changes.
    _mask: str = field(default="", repr=False)
    _mask_parts: tuple[str, str, str] = field(default=("", "", ""), repr=False)
    # `history_owner`, and the nick, account and account's creation time it
    # was built from: every private message names both parties' histories.
    _owner: str = field(default="", repr=False)
    _owner_of: tuple[str, str | None, float | None] = field(
        default=("", None, None), repr=False
    )
    # Every "n:" owner `history_owner` has named in this session (one per
    # nick it held, None until the first), for `Engine.take_ended_histories`.
    session_owners: list[str] | None = field(default=None, repr=False)
    # `key`, and the nick it was folded from: every private message recorded
    # names both parties' keys.
    _key: Casefolded = field(default=Casefolded(""), repr=False)
    _key_of: str = field(default="", repr=False)

    @property
    def key(self) -> Casefolded:
        """The casefolded nick: this user's key in the nick registry."""
        nick = self.nick
        if nick is not self._key_of:
            self._key = casefold(nick)
            self._key_of = nick
        return self._key

    @property
    def mask(self) -> str:
        """`nick!user@host`, the source of this user's messages."""
        nick, username, host = self._mask_parts
        if (
            nick is not self.nick
            or username is not self.username
            or host is not self.host
        ):
            self._mask = f"{self.nick}!{self.username}@{self.host}"
            self._mask_parts = (self.nick, self.username, self.host)
        return self._mask

    @property
    def history_owner(self) -> str:
        """Whose private history this user's messages are in: the account
        when logged in (`account_history_owner`: this account's, not one
        created before or after under the same name), else the nick for
        this session only ("n:", the casefolded nick, ":" and the session's
        scope), so that whoever holds the nick next reads none of it."""
        nick, account, created_at = self._owner_of
        if (
            nick is not self.nick
            or account is not self.account
            or created_at is not self.account_created_at
        ):
            account, created_at = self.account, self.account_created_at
            if account is not None:
                self._owner = account_history_owner(account, created_at)
            else:
                self._owner = f"n:{casefold(self.nick)}:{self.history_scope}"
                if self.session_owners is None:
                    self.session_owners = [self._owner]
                elif self._owner not in self.session_owners:
                    self.session_owners.append(self._owner)
            self._owner_of = (self.nick, account, created_at)
        return self._owner

    @property
    def history_scope(self) -> str:
        """What tells this session's nick-held history from any other's:
        this server process's random token and the session's number (no nick
        holds a ":")."""
        return f"{PROCESS_TOKEN}.{self.session_id}"

    @property
    def is_oper(self) -> bool:
        """Is this user an IRC operator (+o)?"""
        return "o" in self.modes

    @property
    def is_bot(self) -> bool:
        """Has this user marked itself as a bot (+B)?"""
        return "B" in self.modes

    def has_cap(self, name: str) -> bool:
        """Has the client enabled capability `name`?"""
        return name in self.caps

    def update_caps(self, enable: set[str], disable: set[str]) -> None:
        """Change the enabled capabilities and the derived tag mask."""
        self.caps |= enable
        self.caps -= disable
        self.tag_mask = (
            (TAGS_SERVER_TIME if "server-time" in self.caps else 0)
            | (TAGS_MESSAGE_TAGS if "message-tags" in self.caps else 0)
            | (TAGS_ACCOUNT if "account-tag" in self.caps else 0)
        )
