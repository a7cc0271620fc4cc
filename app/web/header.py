"""Numbers the page header shows beside its links (the cart's lines), counted once per page
for the visitor. Domains register a counter at import time; the page-user dependency that
every page resolves runs them, and the header template reads `header_counts`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

# (request, session, signed-in user id or None) -> the number to show (0: none shown). A
# counter must cost nothing for a visitor who has nothing to count (no cookie, no user).
HeaderCounter = Callable[[Request, AsyncSession, int | None], Awaitable[int]]

_COUNTERS: dict[str, HeaderCounter] = {}


def register_header_count(key: str, counter: HeaderCounter) -> None:
    _COUNTERS[key] = counter


async def header_counts(
    request: Request, session: AsyncSession, user_id: int | None
) -> dict[str, int]:
    return {key: await count(request, session, user_id) for key, count in _COUNTERS.items()}


def no_header_counts() -> dict[str, int]:
    """The counts of a visitor who has nothing to count (no cookie, no user)."""
    return dict.fromkeys(_COUNTERS, 0)
