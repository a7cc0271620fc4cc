"""Sessions that end: sign-out ends the browser's session on the server (a copied cookie is
dead), "sign out everywhere" and a password change end every session and API token, and
what a request costs to recognise its user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from app.account import sessions
from app.account.models import AuthSession, SessionKind, User
from app.core.db import Database, unit_of_work
from tests.account.factories import (
    PASSWORD,
    bearer,
    create_user,
    csrf_token_in,
    issue_token,
    sign_in_page,
    token_for,
)
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative
from tests.http_assertions import assert_error
from tests.sql_statements import listening
from tests.web.limits import StoppedClock

ME = "/api/v1/me"
NEW_PASSWORD = "a new and longer password"


@asynccontextmanager
async def browser(
    app: FastAPI, cookies: httpx.Cookies | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own (cookie jar), optionally starting with a copy of another's."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=cookies
    ) as client:
        yield client


def copy_of(client: httpx.AsyncClient) -> httpx.Cookies:
    return httpx.Cookies({cookie.name: cookie.value or "" for cookie in client.cookies.jar})


async def _signed_in(client: httpx.AsyncClient) -> bool:
    account = await client.get("/account")
    assert account.status_code in {200, 303}, account.text
    return account.status_code == 200


async def _account_csrf(client: httpx.AsyncClient) -> str:
    return csrf_token_in((await client.get("/account")).text)


async def _token_works(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.get(ME, headers=bearer(token))
    assert response.status_code in {200, 401}, response.text
    return response.status_code == 200


async def _session_rows(database: Database, user_id: int, kind: SessionKind) -> int:
    async with unit_of_work(database.reader) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.kind == kind)
        )
        return int(count or 0)


async def test_a_copied_cookie_is_dead_after_logout(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com", display_name="老李")
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, title="隆安香蕉")
    added = await client.post(
        "/api/v1/cart/items",
        json={"sku_id": sku.id, "quantity": 1},
        headers=bearer(token_for(user_id)),
    )
    assert added.status_code == 200, added.text
    await sign_in_page(client, "buyer@example.com")
    stolen = copy_of(client)

    async with browser(app, stolen) as thief:
        assert await _signed_in(thief)
        assert "隆安香蕉" in (await client.get("/cart")).text
        assert "隆安香蕉" in (await thief.get("/cart")).text

        logged_out = await client.post("/logout", data={"csrf_token": await _account_csrf(client)})
        assert logged_out.status_code == 303

        assert not await _signed_in(thief)
        assert "隆安香蕉" not in (await thief.get("/cart")).text
        assert (await thief.get("/api/v1/cart")).json()["items"] == []
    assert not await _signed_in(client)
    assert await _session_rows(database, user_id, SessionKind.BROWSER) == 0


async def test_logout_ends_only_this_browsers_session(app: FastAPI, database: Database) -> None:
    await create_user(database, email="buyer@example.com")
    async with browser(app) as laptop, browser(app) as phone:
        await sign_in_page(laptop, "buyer@example.com")
        await sign_in_page(phone, "buyer@example.com")

        await laptop.post("/logout", data={"csrf_token": await _account_csrf(laptop)})

        assert not await _signed_in(laptop)
        assert await _signed_in(phone)


async def test_signing_in_again_ends_the_browsers_previous_session(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com")
    await sign_in_page(client, "buyer@example.com")
    before = copy_of(client)

    await sign_in_page(client, "buyer@example.com")

    assert await _signed_in(client)
    async with browser(app, before) as old_copy:
        assert not await _signed_in(old_copy)
    assert await _session_rows(database, user_id, SessionKind.BROWSER) == 1


async def test_sign_out_everywhere_on_the_page_ends_every_session_and_token(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com")
    other_id = await create_user(database, email="other@example.com")
    token = await issue_token(client, "buyer@example.com")
    async with browser(app) as laptop, browser(app) as phone:
        await sign_in_page(laptop, "buyer@example.com")
        await sign_in_page(phone, "buyer@example.com")

        refused = await laptop.post("/account/sign-out-everywhere", data={"csrf_token": "x"})
        assert refused.status_code == 403
        assert await _signed_in(phone)

        done = await laptop.post(
            "/account/sign-out-everywhere", data={"csrf_token": await _account_csrf(laptop)}
        )

        assert done.status_code == 303
        assert done.headers["location"] == "/login"
        assert not await _signed_in(laptop)
        assert not await _signed_in(phone)
    assert not await _token_works(client, token)
    assert not await _token_works(client, token_for(user_id))
    assert await _token_works(client, token_for(other_id))  # nobody else's
    assert await _session_rows(database, user_id, SessionKind.API_TOKEN) == 0


async def test_sign_out_everywhere_on_the_api(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    first = await issue_token(client, "buyer@example.com")
    second = await issue_token(client, "buyer@example.com")
    async with browser(app) as laptop:
        await sign_in_page(laptop, "buyer@example.com")

        response = await client.post("/api/v1/me/sign-out-everywhere", headers=bearer(first))

        assert response.status_code == 204
        assert not await _signed_in(laptop)
    assert not await _token_works(client, first)
    assert not await _token_works(client, second)
    assert_error(await client.post("/api/v1/me/sign-out-everywhere"), 401, "unauthorized")


async def test_a_password_change_on_the_page_ends_the_other_sessions_and_tokens(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com")
    token = await issue_token(client, "buyer@example.com")
    async with browser(app) as laptop, browser(app) as phone:
        await sign_in_page(laptop, "buyer@example.com")
        await sign_in_page(phone, "buyer@example.com")
        laptop_copy = copy_of(laptop)

        changed = await laptop.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "csrf_token": await _account_csrf(laptop),
            },
        )

        assert changed.status_code == 303
        assert changed.headers["location"] == "/account?done=password_changed"
        page = await laptop.get(changed.headers["location"])
        assert page.status_code == 200  # this browser goes on, in a new session
        assert "密码已修改" in page.text
        assert not await _signed_in(phone)
        async with browser(app, laptop_copy) as old_copy:
            assert not await _signed_in(old_copy)
    assert not await _token_works(client, token)
    assert not await _token_works(client, token_for(user_id))
    assert (await sign_in_page(client, "buyer@example.com")).status_code == 401
    assert (await sign_in_page(client, "buyer@example.com", NEW_PASSWORD)).status_code == 303


async def test_a_wrong_current_password_changes_nothing_and_counts_as_a_wrong_password(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    clock = StoppedClock()
    app.state.limits.clock = clock
    await create_user(database, email="buyer@example.com")
    async with browser(app) as thief, browser(app) as phone:
        await sign_in_page(thief, "buyer@example.com")
        await sign_in_page(phone, "buyer@example.com")
        for attempt in range(10):
            form = {
                "current_password": f"guess-{attempt}",
                "new_password": NEW_PASSWORD,
                "csrf_token": await _account_csrf(thief),
            }
            wrong = await thief.post("/account/password", data=form)
            assert wrong.status_code == 422
            assert "当前密码不正确" in wrong.text

        # Guessing through the password form is limited as sign-in is, and shares its count.
        form = {**form, "current_password": PASSWORD, "csrf_token": await _account_csrf(thief)}
        limited = await thief.post("/account/password", data=form)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "900"
        signing_in = await client.post(
            "/api/v1/auth/token", json={"email": "buyer@example.com", "password": PASSWORD}
        )
        assert_error(signing_in, 429, "rate_limited")

        assert await _signed_in(phone)
    clock.advance(900)
    assert (await sign_in_page(client, "buyer@example.com")).status_code == 303


async def test_a_password_change_on_the_api_returns_a_new_token(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    first = await issue_token(client, "buyer@example.com")
    second = await issue_token(client, "buyer@example.com")
    path = "/api/v1/me/password"

    wrong = await client.post(
        path,
        json={"current_password": "wrong-password", "new_password": NEW_PASSWORD},
        headers=bearer(first),
    )
    short = await client.post(
        path, json={"current_password": PASSWORD, "new_password": "short"}, headers=bearer(first)
    )
    assert set(assert_error(wrong, 422, "wrong_password")["fields"]) == {"current_password"}
    assert set(assert_error(short, 422, "validation_failed")["fields"]) == {"new_password"}
    assert await _token_works(client, first)

    changed = await client.post(
        path,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "token_name": "脚本"},
        headers=bearer(first),
    )

    assert changed.status_code == 200, changed.text
    fresh = changed.json()["access_token"]
    assert not await _token_works(client, first)
    assert not await _token_works(client, second)
    assert await _token_works(client, fresh)
    listed = (await client.get("/api/v1/me/tokens", headers=bearer(fresh))).json()
    assert [(t["name"], t["current"]) for t in listed] == [("脚本", True)]
    assert await issue_token(client, "buyer@example.com", NEW_PASSWORD)


async def test_a_deactivated_user_loses_sessions_and_tokens(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com")
    await sign_in_page(client, "buyer@example.com")
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.is_active = False

    assert not await _signed_in(client)
    assert not await _token_works(client, token_for(user_id))


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL the app's engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    with listening(database, "before_cursor_execute", record):
        yield seen


async def test_recognising_a_visitor_costs_no_query_and_a_signed_in_user_one(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    await client.get("/login")  # an anonymous session cookie, holding a CSRF token only

    with statements(database) as anonymous:
        assert (await client.get("/login")).status_code == 200
    await sign_in_page(client, "buyer@example.com")
    with statements(database) as signed_in:
        assert (await client.get("/login")).status_code == 200

    assert anonymous == []
    assert sum("auth_sessions" in sql for sql in signed_in) == 1
    assert not any("FROM users" in sql and "auth_sessions" not in sql for sql in signed_in)


async def test_each_user_keeps_a_bounded_number_of_tokens(database: Database) -> None:
    user_id = await create_user(database, email="script@example.com", password=None)
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        issued = [
            await sessions.issue_api_token(session, user, ttl_seconds=3600, name=f"run {n}")
            for n in range(sessions.MAX_PER_KIND + 5)
        ]
        kept = await sessions.api_tokens(session, user)

    # The newest are kept; the oldest (the factory's token and the first runs') went.
    assert [token.id for token in kept] == [t.id for t in reversed(issued)][: sessions.MAX_PER_KIND]
