"""Side menus of the back-office portals (a supplier's portal, the operator's back office):
their entries, the counts of waiting work beside them, and the entry of the page shown.

A portal's entries are built per request (their labels in the page's language); the domains
that know a count register a counter for its entry at import time, so that the portal's own
module never imports them. A page route declares the portal's dependency, which puts the
menu on `request.state.side_menu`; the base template draws it beside the page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

# Counts the work waiting behind an entry, for the portal's scope (a cooperative's id; the
# operator's back office has none: 0).
Counter = Callable[[AsyncSession, int], Awaitable[int]]


@dataclass(frozen=True)
class MenuItem:
    key: str
    href: str
    label: str
    count: int = 0
    current: bool = False


@dataclass(frozen=True)
class SideMenu:
    title: str
    title_href: str
    label: str  # what the navigation landmark is called
    items: tuple[MenuItem, ...]


class MenuCounters:
    """The counters registered for one portal's entries, by entry key."""

    def __init__(self) -> None:
        self._counters: dict[str, Counter] = {}

    def register(self, key: str, counter: Counter) -> None:
        """A second registration under a key replaces the first (modules may be reloaded)."""
        self._counters[key] = counter

    async def counts(self, session: AsyncSession, scope_id: int) -> dict[str, int]:
        return {key: await count(session, scope_id) for key, count in self._counters.items()}


def _within(path: str, href: str) -> bool:
    base = href.split("#", 1)[0].rstrip("/")
    return path == base or path.startswith(base + "/")


def build_menu(
    *,
    title: str,
    title_href: str,
    label: str,
    items: Sequence[MenuItem],
    counts: dict[str, int],
    path: str,
) -> SideMenu:
    """The menu with its counts, and the entry whose address holds `path` most closely (the
    first of equals) marked current."""
    matching = [item for item in items if _within(path.rstrip("/") or "/", item.href)]
    current = max(matching, key=lambda item: len(item.href.split("#", 1)[0]), default=None)
    return SideMenu(
        title=title,
        title_href=title_href,
        label=label,
        items=tuple(
            replace(item, count=counts.get(item.key, 0), current=item is current) for item in items
        ),
    )
