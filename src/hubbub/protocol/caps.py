"""The capability table: every IRCv3 capability hubbub offers, in one place.

https://ircv3.net/specs/extensions/capability-negotiation
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Capability(NamedTuple):
    """One capability: its name, its CAP LS 302 value (or ""), and its spec."""

    name: str
    value: str
    spec: str


CAPABILITIES: dict[str, Capability] = {
    cap.name: cap
    for cap in (
        Capability(
            "account-notify", "", "https://ircv3.net/specs/extensions/account-notify"
        ),
        Capability("account-tag", "", "https://ircv3.net/specs/extensions/account-tag"),
        Capability("away-notify", "", "https://ircv3.net/specs/extensions/away-notify"),
        Capability("batch", "", "https://ircv3.net/specs/extensions/batch"),
        Capability(
            "cap-notify",
            "",
            "https://ircv3.net/specs/extensions/capability-negotiation",
        ),
        Capability(
            "draft/account-registration",
            "before-connect,custom-account-name",
            "https://ircv3.net/specs/extensions/account-registration",
        ),
        Capability(
            "draft/chathistory", "", "https://ircv3.net/specs/extensions/chathistory"
        ),
        Capability(
            "draft/event-playback", "", "https://ircv3.net/specs/extensions/chathistory"
        ),
        Capability(
            "echo-message", "", "https://ircv3.net/specs/extensions/echo-message"
        ),
        Capability(
            "extended-join", "", "https://ircv3.net/specs/extensions/extended-join"
        ),
        Capability(
            "extended-monitor",
            "",
            "https://ircv3.net/specs/extensions/extended-monitor",
        ),
        Capability(
            "invite-notify", "", "https://ircv3.net/specs/extensions/invite-notify"
        ),
        Capability(
            "labeled-response",
            "",
            "https://ircv3.net/specs/extensions/labeled-response",
        ),
        Capability(
            "message-tags", "", "https://ircv3.net/specs/extensions/message-tags"
        ),
        Capability(
            "multi-prefix", "", "https://ircv3.net/specs/extensions/multi-prefix"
        ),
        Capability(
            "sasl",
            "PLAIN,SCRAM-SHA-256,EXTERNAL",
            "https://ircv3.net/specs/extensions/sasl-3.2",
        ),
        Capability("server-time", "", "https://ircv3.net/specs/extensions/server-time"),
        # Offered only when configured; its value depends on the connection.
        Capability("sts", "", "https://ircv3.net/specs/extensions/sts"),
        Capability("setname", "", "https://ircv3.net/specs/extensions/setname"),
        Capability(
            "userhost-in-names",
            "",
            "https://ircv3.net/specs/extensions/userhost-in-names",
        ),
    )
}


# Capabilities a client may not REQ (IRCv3 STS is only advertised).
NOT_REQUESTABLE = frozenset({"sts"})


def format_cap_ls(
    version: int, values: Mapping[str, str | None] | None = None
) -> list[str]:
    """The capability tokens for CAP LS, with values from version 302 on.

    `values` overrides the table's values (settings change some of them); a
    None value leaves the capability out.
    """
    tokens = []
    for cap in CAPABILITIES.values():
        value = (values or {}).get(cap.name, cap.value)
        if value is None:
            continue
        tokens.append(f"{cap.name}={value}" if version >= 302 and value else cap.name)
    return tokens
