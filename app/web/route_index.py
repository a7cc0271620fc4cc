"""Skip, at a glance, the routers that cannot match a request's path.

The app's router tries its routes in order, and FastAPI tries an included router by trying
each of its routes: a request for a page included late walked some 300 routes first, about a
millisecond (2 ms for /impact) before its own code ran. Every route's path starts with
literal segments (`/api/v1/products/{product_id}`: api, v1, products); a request can only
match a route whose literal segments its path begins with. `index_routes` gives each top-level
route a check of those segments before its own matching (skipping it answers what its
matching would: no match). What it cannot read (a Host, a root mount, a router with
low-priority routes, an app behind a root path) is matched as before, and the order of the
routes, hence which one wins, never changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

Prefixes = frozenset[tuple[str, ...]]
_NO_MATCH: tuple[Match, Scope] = (Match.NONE, {})


def literal_segments(path: str) -> tuple[str, ...]:
    """The segments of a route's path before its first parameter: /a/b/{c}/d -> (a, b)."""
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if "{" in segment:
            break
        segments.append(segment)
    return tuple(segments)


def _route_prefixes(route: Any, prefix: str) -> Prefixes | None:
    """Literal segments any path the route matches begins with; None: cannot tell."""
    if isinstance(route, Mount):
        path = prefix + route.path
        return frozenset({literal_segments(path)}) if path else None
    if isinstance(route, Route | WebSocketRoute):  # APIRoute and APIWebSocketRoute too
        return frozenset({literal_segments(prefix + route.path)})
    original = getattr(route, "original_router", None)
    context = getattr(route, "include_context", None)
    if original is not None and context is not None:  # FastAPI's included router
        return _router_prefixes(original, prefix + (getattr(context, "prefix", "") or ""))
    return None


def _router_prefixes(router: Any, prefix: str) -> Prefixes | None:
    if getattr(router, "_low_priority_routes", None):
        return None  # matched apart from `routes` (FastAPI's frontend routes)
    found: set[tuple[str, ...]] = set()
    for route in router.routes:
        prefixes = _route_prefixes(route, prefix)
        if prefixes is None:
            return None
        found |= prefixes
    return frozenset(found)


def could_match(prefixes: Prefixes, lengths: Iterable[int], path: str) -> bool:
    """Whether `path` begins with one of the literal segment sequences (of these lengths)."""
    segments = tuple(path.split("/")[1:])
    return any(segments[:length] in prefixes for length in lengths)


def _checked(
    matches: Callable[[Scope], tuple[Match, Scope]], prefixes: Prefixes
) -> Callable[[Scope], tuple[Match, Scope]]:
    lengths = sorted({len(p) for p in prefixes})

    def checked_matches(scope: Scope) -> tuple[Match, Scope]:
        if (
            scope.get("root_path")
            or scope["type"] not in ("http", "websocket")
            or could_match(prefixes, lengths, scope["path"])
        ):
            return matches(scope)
        return _NO_MATCH

    checked_matches.__wrapped__ = matches  # type: ignore[attr-defined]
    return checked_matches


def index_routes(routes: Iterable[BaseRoute]) -> int:
    """Give each route whose paths can be read the check above; returns how many got it.
    Routes added afterwards are matched as usual."""
    indexed = 0
    for route in routes:
        prefixes = _route_prefixes(route, "")
        if prefixes is None or "checked_matches" in getattr(route.matches, "__name__", ""):
            continue
        route.matches = _checked(route.matches, prefixes)  # type: ignore[method-assign,assignment]
        indexed += 1
    return indexed
