"""Plain typed factories for accounts: users and operators with their roles, bearer tokens,
and clients signed in through the pages."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import httpx

from app.account import service
from app.account.models import AuthSession, Role, SessionKind, User
from app.account.sessions import API_TOKEN_PREFIX, secret_hash
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from tests.conftest import TEST_SECRET

PASSWORD = "correct horse battery"
# The name of the API token every factory-made user holds (see token_for).
FACTORY_TOKEN_NAME = "factory"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

# A role held for one supplier or organisation (scope_id) or one province (scope_code).
ScopedRole = tuple[Role, int | None, str | None]


async def create_user(
    database: Database,
    *,
    email: str | None = None,
    password: str | None = PASSWORD,
    display_name: str = "测试买家",
    roles: Iterable[Role | ScopedRole] = (Role.CONSUMER,),
) -> int:
    """A committed, active user holding `roles`, with an API token (`token_for(id)`); returns
    the id. Without `email`, a new address. With `password=None` the account has no usable
    password and signs in by token only: the password is then not hashed, which the tests that
    make many users want."""
    address = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    async with unit_of_work(database.writer) as session:
        if password is None:
            user = User(email=address, password_hash="!", display_name=display_name)
            session.add(user)
            await session.flush()
        else:
            user = await service.create_user(
                session, email=address, password=password, display_name=display_name
            )
        for held in roles:
            role, scope_id, scope_code = held if isinstance(held, tuple) else (held, None, None)
            await service.grant_role(session, user, role, scope_id=scope_id, scope_code=scope_code)
        now = utcnow()
        session.add(
            AuthSession(
                user_id=user.id,
                kind=SessionKind.API_TOKEN,
                secret_hash=secret_hash(token_for(user.id)),
                name=FACTORY_TOKEN_NAME,
                created_at=now,
                expires_at=now + timedelta(days=30),
            )
        )
        return user.id


async def grant(
    database: Database,
    user_id: int,
    role: Role,
    scope_id: int | None = None,
    scope_code: str | None = None,
) -> None:
    """Give an existing user a role (for a supplier or organisation, or a province)."""
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        await service.grant_role(session, user, role, scope_id=scope_id, scope_code=scope_code)


async def create_operator(
    database: Database,
    *,
    email: str = "ops@example.com",
    password: str | None = PASSWORD,
    display_name: str = "平台运营小王",
) -> int:
    """A platform operator (a platform-wide role: no scope); returns the user id."""
    return await create_user(
        database,
        email=email,
        password=password,
        display_name=display_name,
        roles=(Role.OPERATOR,),
    )


def token_for(user_id: int) -> str:
    """The API token create_user gave the user: a real, stored token (its hash, like any
    other), whose secret is derived from the user id so that tests need not sign in (argon2,
    deliberately slow) to call the API. Revoking it, or signing out everywhere, ends it."""
    digest = hmac.new(TEST_SECRET.encode(), f"api-token:{user_id}".encode(), hashlib.sha256)
    return f"{API_TOKEN_PREFIX}factory-{digest.hexdigest()}"


def token_headers(user_id: int) -> dict[str, str]:
    return bearer(token_for(user_id))


@dataclass(frozen=True)
class ApiUser:
    """A user of the API and the bearer headers they send."""

    id: int
    headers: dict[str, str]


async def create_api_user(
    database: Database,
    *,
    email: str | None = None,
    display_name: str = "测试买家",
    roles: Iterable[Role | ScopedRole] = (Role.CONSUMER,),
) -> ApiUser:
    """A user who calls the API with a token (no password: the race test makes fifty)."""
    user_id = await create_user(
        database, email=email, password=None, display_name=display_name, roles=roles
    )
    return ApiUser(user_id, token_headers(user_id))


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
