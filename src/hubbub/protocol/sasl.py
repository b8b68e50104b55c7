"""SASL for IRC: AUTHENTICATE chunking, PLAIN, and the SCRAM-SHA-256 server side.

https://ircv3.net/specs/extensions/sasl-3.1 (AUTHENTICATE framing)
RFC 4616 (PLAIN), RFC 5802 / RFC 7677 (SCRAM-SHA-256, via the scramp library).
Pure: no I/O; the caller looks accounts up between the steps.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import scramp
from scramp.core import saslprep  # also where scramp 1.4 keeps it

CHUNK_BYTES = 400  # base64 characters per AUTHENTICATE line
MAX_PAYLOAD_BYTES = 8192  # decoded; larger exchanges are refused (905)
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "EXTERNAL")
SCRAM_ITERATIONS = 4096


class SaslError(Exception):
    """The exchange failed (the client's fault): answer 904."""


class SaslTooLongError(SaslError):
    """The client sent more than MAX_PAYLOAD_BYTES: answer 905."""


class AuthenticateBuffer:
    """Reassembles an AUTHENTICATE payload sent in 400-byte chunks."""

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._size = 0

    def feed(self, chunk: str) -> bytes | None:
        """Add one AUTHENTICATE parameter; return the payload once it is complete.

        Raises:
            SaslTooLongError: the payload grew past MAX_PAYLOAD_BYTES.
            SaslError: a chunk longer than 400 bytes, or invalid base64.
        """
        if len(chunk) > CHUNK_BYTES:
            raise SaslTooLongError("chunk too long")
        if chunk != "+":
            self._chunks.append(chunk)
            self._size += len(chunk)
            if self._size * 3 // 4 > MAX_PAYLOAD_BYTES:
                self._chunks, self._size = [], 0
                raise SaslError("payload too long")
            if len(chunk) == CHUNK_BYTES:
                return None  # exactly 400: more follows (or "+")
        encoded = "".join(self._chunks)
        self._chunks, self._size = [], 0
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise SaslError("invalid base64") from None


def encode_chunks(payload: bytes) -> list[str]:
    """The AUTHENTICATE parameters that carry `payload` to the client."""
    encoded = base64.b64encode(payload).decode("ascii")
    chunks = [encoded[i : i + CHUNK_BYTES] for i in range(0, len(encoded), CHUNK_BYTES)]
    if not chunks or len(chunks[-1]) == CHUNK_BYTES:
        chunks.append("+")
    return chunks


@dataclass(frozen=True, slots=True)
class PlainCredentials:
    """What a SASL PLAIN message carries."""

    authzid: str
    authcid: str
    password: str


def parse_plain(payload: bytes) -> PlainCredentials:
    """Split `authzid NUL authcid NUL password`.

    Raises:
        SaslError: not three fields, or not UTF-8.
    """
    try:
        authzid, authcid, password = payload.decode("utf-8").split("\0")
    except (UnicodeDecodeError, ValueError):
        raise SaslError("malformed PLAIN message") from None
    if not authcid or not password:
        raise SaslError("empty user or password")
    return PlainCredentials(authzid, authcid, password)


@dataclass(frozen=True, slots=True)
class ScramKeys:
    """What the server stores for SCRAM-SHA-256 (never the password)."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes


_MECHANISM = scramp.ScramMechanism("SCRAM-SHA-256")


def unusable_password(password: str) -> str | None:
    """Why SCRAM cannot take `password` as a new password, or None if it can.

    SCRAM prepares a password with SASLprep (RFC 4013) before deriving its
    keys, which refuses control characters, unassigned code points and a few
    more, and maps some characters to nothing: a password of those alone
    would be empty.
    """
    try:
        prepared = saslprep(password)
    except scramp.ScramException as error:
        return f"A password may not hold that character ({error.args[0]})"
    if not prepared:
        return "A password may not be empty"
    return None


def derive_scram_keys(password: str, iterations: int = SCRAM_ITERATIONS) -> ScramKeys:
    """Salt and derive the SCRAM-SHA-256 keys for a new password.

    Raises:
        ValueError: `unusable_password` refuses it (check that first).
    """
    problem = unusable_password(password)
    if problem is not None:
        raise ValueError(problem)
    salt, stored_key, server_key, count = _MECHANISM.make_auth_info(
        password, iteration_count=iterations
    )
    return ScramKeys(bytes(salt), int(count), bytes(stored_key), bytes(server_key))


def scram_username(client_first: bytes) -> str:
    """The (unescaped) user name in a SCRAM client-first message.

    Raises:
        SaslError: the message is not a SCRAM client-first message.
    """
    try:
        text = client_first.decode("utf-8")
        _, _, bare = text.split(",", 2)
    except (UnicodeDecodeError, ValueError):
        raise SaslError("malformed SCRAM client-first message") from None
    for attribute in bare.split(","):
        if attribute.startswith("n="):
            return attribute[2:].replace("=2C", ",").replace("=3D", "=")
    raise SaslError("SCRAM client-first message without a user name")


class ScramExchange:
    """The server side of one SCRAM-SHA-256 exchange, once the keys are known."""

    def __init__(self, keys: ScramKeys) -> None:
        def auth_info(_: str) -> tuple[bytes, bytes, bytes, int]:
            return keys.salt, keys.stored_key, keys.server_key, keys.iterations

        self._server: Any = _MECHANISM.make_server(auth_info)

    def server_first(self, client_first: bytes) -> bytes:
        """Answer the client-first message.

        Raises:
            SaslError: the client's message is invalid.
        """
        try:
            self._server.set_client_first(client_first.decode("utf-8"))
            return str(self._server.get_server_first()).encode("utf-8")
        except (scramp.ScramException, UnicodeDecodeError) as error:
            raise SaslError(str(error)) from None

    def server_final(self, client_final: bytes) -> bytes:
        """Check the client's proof and answer with the server signature.

        Raises:
            SaslError: a wrong password (bad proof) or an invalid message.
        """
        try:
            self._server.set_client_final(client_final.decode("utf-8"))
            return str(self._server.get_server_final()).encode("utf-8")
        except (scramp.ScramException, UnicodeDecodeError) as error:
            raise SaslError(str(error)) from None
