"""A SASL exchange in progress on one connection (AUTHENTICATE), sans I/O.

The steps are the protocol's (`protocol/sasl.py`); this module holds the
per-connection state between AUTHENTICATE lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hubbub.protocol.sasl import AuthenticateBuffer, ScramExchange


@dataclass(slots=True)
class SaslAttempt:
    """The mechanism chosen and what has been exchanged so far."""

    mechanism: str
    buffer: AuthenticateBuffer = field(default_factory=AuthenticateBuffer)
    scram: ScramExchange | None = None  # after the client-first message
    scram_account: str | None = None  # the account SCRAM is proving
    proven: bool = False  # the client's proof checked; waiting for its last "+"
