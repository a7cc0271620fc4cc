"""Plain typed factories for accounts: users in the database, tokens and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx

from app.account import service
from app.account.models import Role
from app.core.db import Database, unit_of_work

PASSWORD = "correct horse battery"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def create_user(
    database: Database,
    *,
    email: str = "buyer@example.com",
    password: str = PASSWORD,
    display_name: str = "测试买家",
    roles: Iterable[Role] = (Role.CONSUMER,),
) -> int:
    """A committed, active user; returns the id."""
    async with unit_of_work(database.writer) as session:
        user = await service.create_user(
            session, email=email, password=password, display_name=display_name, roles=roles
        )
        return user.id


async def issue_token(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_token_in(html: str) -> str:
    """The first CSRF hidden field's value in a page."""
    match = _CSRF_FIELD.search(html)
    assert match is not None, "the page has no csrf_token field"
    return match.group(1)


async def page_csrf(client: httpx.AsyncClient, path: str = "/login") -> str:
    """Visit a page (which starts the session) and return its CSRF token."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_token_in(response.text)


async def sign_in_page(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    next_path: str | None = None,
) -> httpx.Response:
    """Submit the login form as a browser would: fetch it for its token, then post it."""
    csrf = await page_csrf(client, "/login")
    form = {"email": email, "password": password, "csrf_token": csrf}
    if next_path is not None:
        form["next"] = next_path
    return await client.post("/login", data=form)
