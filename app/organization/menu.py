"""The side menu of the organisation portal (/org/{id}/…): what every portal page passes to
templates/organization/_menu.html, with the counts shown beside entries.

Domains above this one add counts without this module knowing them: at import time they call
`register_menu_counter("approvals", count_awaiting_approval)`, and every portal page built with
`menu_context` shows the number (a counter answering 0 or None shows none). Keys the menu shows
today: "approvals", "bulk_orders", "orders", "statements", "members".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.organization import service
from app.organization.models import Organization

MenuCounter = Callable[[AsyncSession, Organization, User], Awaitable[int | None]]

_COUNTERS: dict[str, MenuCounter] = {}


def register_menu_counter(key: str, counter: MenuCounter) -> None:
    """Show `await counter(session, organization, user)` beside the menu entry `key`; a second
    registration under the same key replaces the first (modules may be imported again)."""
    _COUNTERS[key] = counter


async def menu_context(
    session: AsyncSession, *, organization: Organization, user: User, current: str
) -> dict[str, Any]:
    """The template variables of the menu: the organisation, the entry shown (`current`, e.g.
    "dashboard"), the user's role in it (None for an operator) and the counts."""
    counts: dict[str, int] = {}
    for key, counter in _COUNTERS.items():
        value = await counter(session, organization, user)
        if value:
            counts[key] = value
    return {
        "menu_organization": organization,
        "menu_current": current,
        "menu_role": await service.member_role(session, user=user, organization_id=organization.id),
        "menu_counts": counts,
    }
