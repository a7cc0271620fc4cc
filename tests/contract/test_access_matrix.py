"""The authorisation matrix: every route of the app's own route table, asked by every role of
the world (tests/contract/world.py), answers as tests/contract/access_matrix.py says. A route
without an entry, or an entry without a route, fails the test: a new route states who may call
it before it ships. Besides, paths that pair a scope of A with something of B's answer 404 to
A's own members (CROSS_TENANT).

One app and one world per backend; each request's database work is rolled back instead of
committed (the request's session dependency is replaced), so that every cell meets the same
world whatever the cells before it did, and an allowed request may really act.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.web.db import SAFE_METHODS, get_db_session
from tests.contract.access_matrix import CROSS_TENANT, MATRIX, Entry, expected_answers
from tests.contract.world import ROLES, World, build_world, fill

# Starlette answers HEAD wherever it answers GET; FastAPI's own documentation routes are in the
# table like any other (public).
SKIPPED_METHODS = {"HEAD"}


def route_table(app: FastAPI) -> set[str]:
    """Every route the app serves as "METHOD /path" (path parameters as `{name}`)."""
    keys: set[str] = set()
    for route in iter_route_contexts(app.router.routes):
        methods = route.methods
        if not methods:
            continue  # mounts: /static and /media
        for method in methods - SKIPPED_METHODS:
            keys.add(f"{method} {route.path_format}")
    return keys


async def _rolled_back_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session as get_db_session makes it, rolled back instead of committed."""
    database: Database = request.app.state.database
    factory = database.reader if request.method in SAFE_METHODS else database.writer
    async with factory() as session:
        try:
            yield session
        finally:
            await session.rollback()


def answer(response: httpx.Response) -> str:
    """A response as a cell of the matrix reads it."""
    status = response.status_code
    if status in {301, 302, 303, 307} and response.headers.get("location", "").startswith("/login"):
        return "login"
    if status == 403 and "csrf_failed" in response.text:
        return "csrf"  # the test's own mistake: the form went without its token
    if status in {401, 403, 404, 405} or status >= 500:
        return str(status)
    return "ok"


async def ask(world: World, key: str, role: str, entry: Entry) -> httpx.Response:
    """The route's request as this role sends it; the client's cookies are put back after, so
    that no cell (signing out, a new cart cookie) changes who the next one is."""
    method, path = key.split(" ", 1)
    client = world.clients[role]
    url = fill(path, {**world.ids, **{k: world.ids[v] for k, v in entry.params.items()}})
    cookies = httpx.Cookies(client.cookies)
    try:
        if path.startswith("/api/"):
            body = entry.json(world.ids) if callable(entry.json) else entry.json
            return await client.request(
                method,
                url,
                json=body,
                data=dict(entry.form_for(world.ids)) or None,
                files=entry.files,
                headers=entry.headers,
            )
        if method == "POST":
            form = {"csrf_token": world.csrf[role], **entry.form_for(world.ids)}
            return await client.post(url, data=form, files=entry.files)
        return await client.request(method, url)
    finally:
        client.cookies = cookies


async def test_every_route_answers_each_role_as_the_matrix_says(
    app: FastAPI, database: Database
) -> None:
    served = route_table(app)
    assert served - MATRIX.keys() == set(), "routes without an entry in access_matrix.py"
    assert MATRIX.keys() - served == set(), "entries in access_matrix.py without a route"

    async with build_world(app, database) as world:
        app.dependency_overrides[get_db_session] = _rolled_back_session
        wrong: list[str] = []
        for key in sorted(MATRIX):
            entry = MATRIX[key]
            expected = expected_answers(entry)
            for role in ROLES:
                got = answer(await ask(world, key, role, entry))
                if got != expected[role]:
                    wrong.append(f"{key}: {role} expected {expected[role]}, got {got}")
        for role, key, entry in CROSS_TENANT:
            got = answer(await ask(world, key, role, entry))
            if got != "404":
                wrong.append(f"{key} {dict(entry.params)}: {role} expected 404, got {got}")
    assert not wrong, "\n".join(wrong)
