"""The settings of `hubbub chat`, checked: server address, port, nickname, room.

Checks raise `OptionError` with the one line the user sees.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import unquote

from hubbub.protocol.casemap import is_valid_channel, is_valid_nick

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6667
DEFAULT_CHANNEL = "#lobby"
_MAX_NICK_LENGTH = 64  # the server's NICKLEN decides; this only catches nonsense
_MAX_CHANNEL_LENGTH = 200


class OptionError(Exception):
    """A setting is unusable; the message says why (the user's to fix)."""


def check_port(text: str) -> int:
    """The port number in `text`.

    Raises:
        OptionError: not a number from 1 to 65535.
    """
    try:
        port = int(text.strip())
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise OptionError(f"The port must be a number from 1 to 65535, not {text!r}.")
    return port


def check_host(text: str) -> str:
    """The host name or address in `text`.

    Raises:
        OptionError: it is empty or has spaces.
    """
    host = text.strip().removeprefix("[").removesuffix("]")
    if not host or any(char.isspace() for char in host):
        raise OptionError(f"{text!r} is not a server name or address.")
    return host


class ServerTarget(NamedTuple):
    """What the server argument of `hubbub chat` names."""

    host: str
    port: int | None  # None: the default for the connection's kind
    tls: bool | None  # True for ircs://, False for irc://, None for neither
    channel: str | None  # an irc:// URL's room


def parse_target(text: str) -> ServerTarget:
    """`HOST[:PORT]`, or an IRC URL: `irc://HOST[:PORT][/ROOM]`, or `ircs://`
    for TLS. A URL's room may leave out its `#` (`irc://host/tea` is `#tea`)
    or spell it `%23`.

    Raises:
        OptionError: a bad host, port or room, or a URL naming a nickname.
    """
    text = text.strip()
    scheme, separator, rest = text.partition("://")
    if not separator:
        return ServerTarget(*parse_address(text), None, None)
    scheme = scheme.lower()
    if scheme not in ("irc", "ircs"):
        raise OptionError(
            f"{text!r}: hubbub chat speaks irc:// and ircs://, not {scheme}://."
        )
    authority, _, path = rest.partition("/")
    # A user name before "@" is the --nick's business; a "?key=..." is not
    # a room's name. "#" is taken literally, as people write it.
    host, port = parse_address(authority.rpartition("@")[2])
    room, *flags = path.partition("?")[0].strip("/").split(",")
    if "isnick" in (unquote(flag) for flag in flags):
        raise OptionError(f"{text!r} names a nickname; give the server and --nick.")
    room = unquote(room)
    channel = check_channel(room) if room.strip() else None
    return ServerTarget(host, port, scheme == "ircs", channel)


def parse_address(text: str) -> tuple[str, int | None]:
    """Split `HOST[:PORT]` (`[::1]:6697` for IPv6) into host and port (None if absent).

    Raises:
        OptionError: a bad host or port.
    """
    text = text.strip().rstrip("/")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""  # a bare IPv6 address, or no port
    return check_host(host), check_port(port) if port else None


def check_nick(text: str) -> str:
    """The nickname in `text`.

    Raises:
        OptionError: empty, with spaces, or with characters IRC forbids in nicks.
    """
    nick = text.strip()
    if not nick:
        raise OptionError("The nickname must not be empty.")
    if any(char.isspace() for char in nick):
        raise OptionError("A nickname cannot contain spaces.")
    if not is_valid_nick(nick, _MAX_NICK_LENGTH):
        raise OptionError(
            f"{nick!r} cannot be a nickname: use letters, digits and _-[]{{}}|^`\\, "
            "not starting with a digit or -."
        )
    return nick


def check_channel(text: str) -> str:
    """The room in `text`, with a `#` added if it has none.

    Raises:
        OptionError: not a possible channel name.
    """
    name = text.strip()
    if name and name[0] not in "#&":
        name = "#" + name
    if not is_valid_channel(name, _MAX_CHANNEL_LENGTH) or "," in name:
        raise OptionError(f"{text!r} cannot be a room name.")
    return name
