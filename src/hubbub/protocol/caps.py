"""The capability table: every IRCv3 capability hubbub offers, in one place.

https://ircv3.net/specs/extensions/capability-negotiation
"""

from __future__ import annotations

from typing import NamedTuple


class Capability(NamedTuple):
    """One capability: its name, its CAP LS 302 value (or ""), and its spec."""

    name: str
    value: str
    spec: str


CAPABILITIES: dict[str, Capability] = {
    cap.name: cap
    for cap in (
        Capability("away-notify", "", "https://ircv3.net/specs/extensions/away-notify"),
        Capability("batch", "", "https://ircv3.net/specs/extensions/batch"),
        Capability(
            "cap-notify",
            "",
            "https://ircv3.net/specs/extensions/capability-negotiation",
        ),
        Capability(
            "echo-message", "", "https://ircv3.net/specs/extensions/echo-message"
        ),
        Capability(
            "extended-monitor",
            "",
            "https://ircv3.net/specs/extensions/extended-monitor",
        ),
        Capability(
            "extended-join", "", "https://ircv3.net/specs/extensions/extended-join"
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
        Capability("server-time", "", "https://ircv3.net/specs/extensions/server-time"),
        Capability("setname", "", "https://ircv3.net/specs/extensions/setname"),
        Capability(
            "userhost-in-names",
            "",
            "https://ircv3.net/specs/extensions/userhost-in-names",
        ),
    )
}


def format_cap_ls(version: int) -> list[str]:
    """The capability tokens for CAP LS, with values from version 302 on."""
    return [
        f"{cap.name}={cap.value}" if version >= 302 and cap.value else cap.name
        for cap in CAPABILITIES.values()
    ]
