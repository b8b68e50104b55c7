"""Password hashing with argon2 (argon2-cffi), verified off the event loop.

argon2 is deliberately slow (tens of milliseconds), so hashing and checking run
in a worker thread and the event loop keeps serving everyone else.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hubbub.core.ports import ScramCredentials
from hubbub.protocol.sasl import SCRAM_ITERATIONS, derive_scram_keys

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with the recommended parameters."""
    return _hasher.hash(password)


class Argon2Passwords:
    """The core's `PasswordChecker` port over argon2 (and SCRAM key derivation).

    The defaults are argon2-cffi's recommended parameters; tests pass cheaper
    ones (`time_cost=1, memory_cost=64`) to stay fast.
    """

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        scram_iterations: int = SCRAM_ITERATIONS,
    ) -> None:
        if time_cost is None and memory_cost is None:
            self._hasher = _hasher
        else:
            self._hasher = PasswordHasher(
                time_cost=time_cost or _hasher.time_cost,
                memory_cost=memory_cost or _hasher.memory_cost,
            )
        self._scram_iterations = scram_iterations

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _new_credentials(self, password: str) -> tuple[str, ScramCredentials]:
        keys = derive_scram_keys(password, self._scram_iterations)
        scram = ScramCredentials(
            keys.salt, keys.iterations, keys.stored_key, keys.server_key
        )
        return self._hasher.hash(password), scram

    async def verify(self, password_hash: str, password: str) -> bool:
        """Does `password` match `password_hash`? (False for a malformed hash.)"""
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def new_credentials(self, password: str) -> tuple[str, ScramCredentials]:
        """An argon2id hash and SCRAM-SHA-256 keys, computed off the event loop."""
        return await asyncio.to_thread(self._new_credentials, password)
