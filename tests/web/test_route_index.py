"""The route index skips only routers that could not match: for every path of every route of
the app (and a few that match none), each top-level route answers exactly what its own
matching answers, so the same route wins every request."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match

from app.web.route_index import could_match, index_routes, literal_segments

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


def _all_paths(routes: Any, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            paths += _all_paths(original.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif hasattr(route, "path"):
            paths.append(prefix + route.path)
    return paths


def _sample(path: str) -> str:
    return _PARAM.sub(lambda m: "a/b.css" if m.group(2) == "path" else "1", path) or "/"


def _scope(path: str, method: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }


def test_literal_segments_stop_at_the_first_parameter() -> None:
    assert literal_segments("/") == ("",)
    assert literal_segments("/api/v1/products/{product_id}") == ("api", "v1", "products")
    assert literal_segments("/impact/pairings.csv") == ("impact", "pairings.csv")
    assert literal_segments("/org/{organization_id}/") == ("org",)
    prefixes = frozenset({("api", "v1", "products"), ("",)})
    assert could_match(prefixes, [1, 3], "/api/v1/products/12")
    assert could_match(prefixes, [1, 3], "/")
    assert not could_match(prefixes, [1, 3], "/api/v1/regions/counties")
    assert not could_match(prefixes, [1, 3], "/products")


def test_every_route_answers_as_its_own_matching_would(app: FastAPI) -> None:
    routes = app.router.routes
    indexed = [r for r in routes if hasattr(r.matches, "__wrapped__")]
    assert len(indexed) >= len(routes) - 2  # all but what cannot be read
    paths = sorted({_sample(p) for p in _all_paths(routes)})
    assert len(paths) > 200
    paths += ["/", "/nowhere", "/api", "/api/v1", "/api/v1/nowhere", "/products/", "/static"]
    skipped = 0
    for path in paths:
        for method in ("GET", "POST"):
            for route in indexed:
                scope = _scope(path, method)
                fast = route.matches(dict(scope))
                slow = route.matches.__wrapped__(dict(scope))  # type: ignore[attr-defined]
                assert fast[0] == slow[0], (path, method, route)
                skipped += fast == (Match.NONE, {}) and slow[0] == Match.NONE
    assert skipped > 0


def test_indexing_twice_changes_nothing(app: FastAPI) -> None:
    assert index_routes(app.router.routes) == 0
