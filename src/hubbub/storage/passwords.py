"""Password hashing with argon2 (argon2-cffi), verified off the event loop.

argon2 is deliberately slow (tens of milliseconds), so verification runs in a
worker thread and the event loop keeps serving everyone else.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, for the settings file."""
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Argon2Passwords:
    """The core's `PasswordChecker` port over argon2."""

    async def verify(self, password_hash: str, password: str) -> bool:
        """Does `password` match `password_hash`? (False for a malformed hash.)"""
        return await asyncio.to_thread(_verify, password_hash, password)
