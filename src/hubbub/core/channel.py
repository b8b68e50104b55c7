"""`Channel`: members and their prefixes, modes, topic and lists; permission checks.

Checks named `check_*` return None or raise `IrcError` with the spec's numeric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from hubbub.core.errors import IrcError
from hubbub.core.ports import RegisteredChannel
from hubbub.core.user import User
from hubbub.protocol import numerics as n
from hubbub.protocol.casemap import Casefolded, casefold
from hubbub.protocol.modes import PREFIX_BY_MODE, PREFIX_MODES


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One entry of a ban, exception or invite-exception list."""

    mask: str
    set_by: str
    set_at: float


@lru_cache(maxsize=4096)
def _mask_regex(mask: str) -> re.Pattern[str]:
    pattern = re.escape(casefold(mask)).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(pattern, re.DOTALL)


def mask_matches(mask: str, target: str) -> bool:
    """Does wildcard `mask` (`*`, `?`) match `target`, ignoring case (rfc1459)?"""
    return _mask_regex(mask).fullmatch(casefold(target)) is not None


def normalize_mask(mask: str) -> str:
    """Complete a partial ban mask: `nick` -> `nick!*@*`, `u@h` -> `*!u@h`."""
    if "!" not in mask and "@" not in mask:
        return mask + "!*@*"
    if "!" not in mask:
        return "*!" + mask
    if "@" not in mask:
        return mask + "@*"
    return mask


@dataclass(eq=False, slots=True)
class Channel:
    """A channel and everything known about it."""

    name: str
    key: Casefolded
    created_at: float
    members: dict[User, str] = field(
        default_factory=dict
    )  # user -> prefix modes, "ov" order
    topic: str = ""
    topic_by: str = ""
    topic_at: float = 0.0
    modes: set[str] = field(default_factory=lambda: {"n", "t"})
    password: str | None = None  # +k
    limit: int | None = None  # +l
    lists: dict[str, list[ListEntry]] = field(
        default_factory=lambda: {"b": [], "e": [], "I": []}
    )
    invited: set[Casefolded] = field(default_factory=set)
    registration: RegisteredChannel | None = None  # set when ChanServ keeps it
    # Messages (PRIVMSG, NOTICE: what a join replays) sent to the channel since it was
    # created, and their count when a join replay last found no line to
    # replay in history: until another is sent, joins need not read it.
    messages: int = 0
    replay_quiet_at: int = -1
    # When a channel of this name disappeared earlier in this run: history
    # from before `history_floor` (this one's creation) is not this one's.
    history_floor: float | None = None

    # Membership

    def has_member(self, user: User) -> bool:
        """Is `user` on this channel?"""
        return user in self.members

    def is_op(self, user: User) -> bool:
        """Is `user` a channel operator (+o) here?"""
        return "o" in self.members.get(user, "")

    def is_voiced(self, user: User) -> bool:
        """Has `user` +v or +o here?"""
        return bool(self.members.get(user, ""))

    def prefix(self, user: User, *, multi: bool) -> str:
        """The user's prefix symbols: all of them (multi-prefix) or the highest."""
        symbols = "".join(PREFIX_BY_MODE[mode] for mode in self.members.get(user, ""))
        return symbols if multi else symbols[:1]

    @property
    def is_secret(self) -> bool:
        """Hidden from LIST, WHOIS and NAMES for non-members (+s or +p)."""
        return "s" in self.modes or "p" in self.modes

    # Lists

    def is_listed(self, letter: str, user: User) -> bool:
        """Does list `letter` (b, e or I) hold a mask matching `user`?"""
        return any(mask_matches(entry.mask, user.mask) for entry in self.lists[letter])

    def is_banned(self, user: User) -> bool:
        """Is `user` banned here, taking exceptions (+e) into account?"""
        return self.is_listed("b", user) and not self.is_listed("e", user)

    def mode_string(self, *, with_secrets: bool) -> list[str]:
        """The `+ntk key` parameters of RPL_CHANNELMODEIS."""
        letters = "+" + "".join(sorted(self.modes))
        arguments: list[str] = []
        if self.password is not None:
            letters += "k"
            arguments.append(self.password if with_secrets else "*")
        if self.limit is not None:
            letters += "l"
            arguments.append(str(self.limit))
        return [letters, *arguments]

    # Permission checks

    def check_member(self, user: User) -> None:
        """Raises: IrcError(ERR_NOTONCHANNEL) unless `user` is a member."""
        if user not in self.members:
            raise IrcError(n.ERR_NOTONCHANNEL, self.name)

    def check_op(self, user: User) -> None:
        """Raises: IrcError(ERR_NOTONCHANNEL / ERR_CHANOPRIVSNEEDED) unless an op."""
        self.check_member(user)
        if not self.is_op(user):
            raise IrcError(n.ERR_CHANOPRIVSNEEDED, self.name)

    def check_can_join(self, user: User, key: str | None) -> None:
        """Raises: IrcError with 471, 473, 474 or 475 when `user` may not join."""
        invited = user.key in self.invited or self.is_listed("I", user)
        if self.password is not None and key != self.password:
            raise IrcError(n.ERR_BADCHANNELKEY, self.name)
        # An invitation also overrides the member limit (as in Solanum/InspIRCd).
        full = self.limit is not None and len(self.members) >= self.limit
        if full and user.key not in self.invited:
            raise IrcError(n.ERR_CHANNELISFULL, self.name)
        if "i" in self.modes and not invited:
            raise IrcError(n.ERR_INVITEONLYCHAN, self.name)
        if self.is_banned(user) and user.key not in self.invited:
            raise IrcError(n.ERR_BANNEDFROMCHAN, self.name)

    def check_can_send_ctcp(self, user: User, text: str) -> None:
        """Raises: IrcError(ERR_CANNOTSENDTOCHAN) for CTCP (but ACTION) under +C."""
        if (
            "C" in self.modes
            and text.startswith("\x01")
            and not text.startswith("\x01ACTION")
        ):
            raise IrcError(
                n.ERR_CANNOTSENDTOCHAN, self.name, text="Cannot send CTCP (+C)"
            )

    def check_can_speak(self, user: User) -> None:
        """Raises: IrcError(ERR_CANNOTSENDTOCHAN) for +n, +m and +b."""
        status = self.members.get(user)
        if status is None:
            if "n" in self.modes:
                raise IrcError(
                    n.ERR_CANNOTSENDTOCHAN,
                    self.name,
                    text="Cannot send to channel (+n)",
                )
            if self.is_banned(user):
                raise IrcError(
                    n.ERR_CANNOTSENDTOCHAN,
                    self.name,
                    text="Cannot send to channel (+b)",
                )
            if "m" in self.modes:
                raise IrcError(
                    n.ERR_CANNOTSENDTOCHAN,
                    self.name,
                    text="Cannot send to channel (+m)",
                )
            return
        if status:
            return
        if "m" in self.modes:
            raise IrcError(
                n.ERR_CANNOTSENDTOCHAN, self.name, text="Cannot send to channel (+m)"
            )
        if self.is_banned(user):
            raise IrcError(
                n.ERR_CANNOTSENDTOCHAN, self.name, text="Cannot send to channel (+b)"
            )

    def check_can_set_topic(self, user: User) -> None:
        """Raises: IrcError(ERR_NOTONCHANNEL / ERR_CHANOPRIVSNEEDED)."""
        self.check_member(user)
        if "t" in self.modes and not self.is_op(user):
            raise IrcError(n.ERR_CHANOPRIVSNEEDED, self.name)


def sort_prefix_modes(modes: str) -> str:
    """Order prefix mode letters highest first (`vo` -> `ov`)."""
    return "".join(mode for mode in PREFIX_MODES if mode in modes)
