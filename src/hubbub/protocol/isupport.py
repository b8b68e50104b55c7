"""ISUPPORT (RPL_ISUPPORT, 005) tokens rendered from the settings.

https://modern.ircdocs.horse/#rplisupport-parameters
"""

from __future__ import annotations

from hubbub.config import Config
from hubbub.protocol.casemap import CASEMAPPING, CHANTYPES
from hubbub.protocol.modes import (
    CHANMODES_FLAGS,
    CHANMODES_LIST,
    CHANMODES_PARAM_ALWAYS,
    CHANMODES_PARAM_WHEN_SET,
    PREFIX_MODES,
    PREFIX_SYMBOLS,
)

TOKENS_PER_LINE = 13


def isupport_tokens(config: Config) -> list[str]:
    """Every ISUPPORT token, in a stable order."""
    limits = config.limits
    targets = limits.targets_per_command
    chanmodes = ",".join(
        (
            CHANMODES_LIST,
            CHANMODES_PARAM_ALWAYS,
            CHANMODES_PARAM_WHEN_SET,
            CHANMODES_FLAGS,
        )
    )
    targmax = (
        f"JOIN:,KICK:{targets},LIST:1,MONITOR:,NAMES:{targets},NOTICE:{targets},"
        f"PRIVMSG:{targets},"
        f"TAGMSG:{targets},WHOIS:1"
    )
    return [
        f"AWAYLEN={limits.away_length}",
        "BOT=B",
        f"CASEMAPPING={CASEMAPPING}",
        f"CHANLIMIT={CHANTYPES}:{limits.channels_per_client}",
        f"CHANMODES={chanmodes}",
        f"CHANNELLEN={limits.channel_length}",
        f"CHANTYPES={CHANTYPES}",
        f"CHATHISTORY={config.storage.chathistory_max}",
        "ELIST=CMNTU",
        "EXCEPTS=e",
        "HOSTLEN=64",
        "INVEX=I",
        f"KICKLEN={limits.kick_length}",
        f"MAXLIST={CHANMODES_LIST}:{limits.list_entries}",
        f"MAXTARGETS={targets}",
        "MODES=4",
        f"MONITOR={limits.monitor_entries}",
        "MSGREFTYPES=msgid,timestamp",
        f"NETWORK={config.network_name}",
        f"NICKLEN={limits.nick_length}",
        f"PREFIX=({PREFIX_MODES}){PREFIX_SYMBOLS}",
        "SAFELIST",
        f"STATUSMSG={PREFIX_SYMBOLS}",
        f"TARGMAX={targmax}",
        f"TOPICLEN={limits.topic_length}",
        "USERLEN=16",
        "UTF8ONLY",
        "WHOX",
    ]


def isupport_lines(config: Config, extra: list[str] | None = None) -> list[list[str]]:
    """The tokens (and `extra` ones) split into RPL_ISUPPORT-sized groups."""
    tokens = isupport_tokens(config) + (extra or [])
    return [
        tokens[i : i + TOKENS_PER_LINE] for i in range(0, len(tokens), TOKENS_PER_LINE)
    ]
