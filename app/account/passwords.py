"""Password hashing with argon2, off the event loop, with a dummy hash for timing-safe misses."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checking a password of an unknown e-mail against this takes as long as checking a real one,
# so response times do not tell which e-mail addresses have accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _verify_sync(password_hash: str | None, password: str) -> bool:
    try:
        matched: bool = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


async def hash_password(password: str) -> str:
    """An argon2id hash; hashing takes tens of milliseconds, so it runs in a thread."""
    hashed: str = await asyncio.to_thread(_hasher.hash, password)
    return hashed


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, spends the same time and returns False."""
    return await asyncio.to_thread(_verify_sync, password_hash, password)


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    needs: bool = _hasher.check_needs_rehash(password_hash)
    return needs
