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
    return [
        "AWAYLEN=%d" % limits.away_length,
        "BOT=B",
        "CASEMAPPING=" + CASEMAPPING,
        "CHANLIMIT=%s:%d" % (CHANTYPES, limits.channels_per_client),
        "CHANMODES=%s,%s,%s,%s"
        % (
            CHANMODES_LIST,
            CHANMODES_PARAM_ALWAYS,
            CHANMODES_PARAM_WHEN_SET,
            CHANMODES_FLAGS,
        ),
        "CHANNELLEN=%d" % limits.channel_length,
        "CHANTYPES=" + CHANTYPES,
        "ELIST=U",
        "EXCEPTS=e",
        "HOSTLEN=64",
        "INVEX=I",
        "KICKLEN=%d" % limits.kick_length,
        "MAXLIST=%s:%d" % (CHANMODES_LIST, limits.list_entries),
        "MAXTARGETS=%d" % targets,
        "MODES=4",
        "MONITOR=%d" % limits.monitor_entries,
        "NETWORK=" + config.network_name,
        "NICKLEN=%d" % limits.nick_length,
        "PREFIX=(%s)%s" % (PREFIX_MODES, PREFIX_SYMBOLS),
        "SAFELIST",
        "STATUSMSG=" + PREFIX_SYMBOLS,
        "TARGMAX=JOIN:,KICK:1,LIST:1,MONITOR:,NAMES:1,NOTICE:%d,PRIVMSG:%d,TAGMSG:%d,WHOIS:1"
        % (targets, targets, targets),
        "TOPICLEN=%d" % limits.topic_length,
        "USERLEN=16",
        "UTF8ONLY",
        "WHOX",
    ]


def isupport_lines(config: Config) -> list[list[str]]:
    """The tokens split into RPL_ISUPPORT-sized groups."""
    tokens = isupport_tokens(config)
    return [
        tokens[i : i + TOKENS_PER_LINE] for i in range(0, len(tokens), TOKENS_PER_LINE)
    ]
