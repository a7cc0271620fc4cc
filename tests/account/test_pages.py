"""The account pages: forms with CSRF tokens, sign-up, sign-in, sign-out and safe redirects."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from app.account.models import User
from app.account.pages import safe_next_path
from app.core.db import Database, unit_of_work
from tests.account.factories import PASSWORD, create_user, csrf_token_in, page_csrf, sign_in_page

USER_NAME = '<a class="user-name" href="/account"'


def signed_in_as(name: str) -> str:
    """The header's link to the account, as it shows a signed-in user."""
    return f'{USER_NAME} title="{name}">{name}</a>'


async def _user_count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_forms_render_with_a_csrf_field(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert len(csrf_token_in(response.text)) >= 32
    assert 'class="stacked"' in response.text
    assert "fengshou_session" in response.cookies


@pytest.mark.parametrize("token", [None, "", "wrong-token"], ids=["absent", "empty", "wrong"])
async def test_login_without_the_right_csrf_token_is_403(
    client: httpx.AsyncClient, database: Database, token: str | None
) -> None:
    await create_user(database, email="buyer@example.com")
    await page_csrf(client, "/login")  # the session has a token; the form does not send it
    form = {"email": "buyer@example.com", "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token

    response = await client.post("/login", data=form)

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers
    account = await client.get("/account")
    assert account.status_code == 303  # still signed out


async def test_register_without_csrf_creates_nobody(
    client: httpx.AsyncClient, database: Database
) -> None:
    response = await client.post(
        "/register",
        data={"email": "new@example.com", "password": PASSWORD, "display_name": "新人"},
    )

    assert response.status_code == 403
    assert await _user_count(database) == 0


async def test_full_page_flow(client: httpx.AsyncClient, database: Database) -> None:
    csrf = await page_csrf(client, "/register")
    registered = await client.post(
        "/register",
        data={
            "email": "Wang.Fang@Example.com",
            "password": PASSWORD,
            "display_name": "王芳",
            "csrf_token": csrf,
        },
    )
    assert registered.status_code == 303
    assert registered.headers["location"] == "/"

    account = await client.get("/account")
    assert account.status_code == 200
    assert signed_in_as("王芳") in account.text
    assert "wang.fang@example.com" in account.text

    logout_csrf = csrf_token_in(account.text)
    logged_out = await client.post("/logout", data={"csrf_token": logout_csrf})
    assert logged_out.status_code == 303
    assert logged_out.headers["location"] == "/"

    signed_out = await client.get("/account")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/login?next=%2Faccount"
    login_page = await client.get("/login")
    assert USER_NAME not in login_page.text

    signed_in = await sign_in_page(client, "wang.fang@example.com", next_path="/account")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account"
    again = await client.get("/account")
    assert signed_in_as("王芳") in again.text

    await client.post("/logout", data={"csrf_token": csrf_token_in(again.text)})
    assert (await client.get("/account")).status_code == 303


async def test_login_rotates_the_csrf_token(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, email="buyer@example.com")
    before = await page_csrf(client, "/login")

    await client.post(
        "/login", data={"email": "buyer@example.com", "password": PASSWORD, "csrf_token": before}
    )
    after = csrf_token_in((await client.get("/account")).text)

    assert after != before
    stale = await client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 403


async def test_logout_needs_the_csrf_token(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, email="buyer@example.com", display_name="老张")
    await sign_in_page(client, "buyer@example.com")

    refused = await client.post("/logout", data={})

    assert refused.status_code == 403
    still = await client.get("/account")
    assert signed_in_as("老张") in still.text


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example",
        "//evil.example",
        "//evil.example/account",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
    ],
)
async def test_login_never_redirects_off_site(
    client: httpx.AsyncClient, database: Database, next_path: str
) -> None:
    await create_user(database, email="buyer@example.com")

    response = await sign_in_page(client, "buyer@example.com", next_path=next_path)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_login_returns_to_a_local_path(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, email="buyer@example.com")

    response = await sign_in_page(client, "buyer@example.com", next_path="/account?tab=orders")

    assert response.status_code == 303
    assert response.headers["location"] == "/account?tab=orders"


async def test_login_page_keeps_a_safe_next_and_drops_an_unsafe_one(
    client: httpx.AsyncClient,
) -> None:
    safe = await client.get("/login", params={"next": "/account"})
    unsafe = await client.get("/login", params={"next": "//evil.example"})

    assert 'name="next" value="/account"' in safe.text
    assert "evil.example" not in unsafe.text


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/products?q=脐橙", "/products?q=脐橙"),
        ("/", "/"),
        ("", "/"),
        (None, "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next_path(candidate: str | None, expected: str) -> None:
    assert safe_next_path(candidate) == expected


async def test_wrong_password_rerenders_the_form_with_401(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")

    response = await sign_in_page(client, "buyer@example.com", "wrong-password-123")

    assert response.status_code == 401
    assert "邮箱或密码不正确" in response.text
    assert 'class="form-error"' in response.text
    assert 'value="buyer@example.com"' in response.text
    assert "wrong-password-123" not in response.text
    assert len(csrf_token_in(response.text)) >= 32


async def test_invalid_registration_rerenders_with_field_errors(
    client: httpx.AsyncClient, database: Database
) -> None:
    csrf = await page_csrf(client, "/register")

    response = await client.post(
        "/register",
        data={
            "email": "not-an-email",
            "password": "short-pw",
            "display_name": "小明",
            "csrf_token": csrf,
        },
    )

    assert response.status_code == 422
    assert "请输入有效的电子邮箱地址" in response.text
    assert response.text.count('class="field-error"') == 1
    assert 'value="not-an-email"' in response.text
    assert 'value="小明"' in response.text
    assert "short-pw" not in response.text
    assert await _user_count(database) == 0


async def test_short_password_on_the_form(client: httpx.AsyncClient) -> None:
    csrf = await page_csrf(client, "/register")

    response = await client.post(
        "/register",
        data={"email": "a@example.com", "password": "1234", "display_name": "", "csrf_token": csrf},
    )

    assert response.status_code == 422
    assert "密码长度应为 8 到 256 个字符" in response.text
    assert "请填写昵称" in response.text


async def test_taken_email_on_the_form_is_409(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    csrf = await page_csrf(client, "/register")

    response = await client.post(
        "/register",
        data={
            "email": "Buyer@Example.com",
            "password": PASSWORD,
            "display_name": "重复",
            "csrf_token": csrf,
        },
    )

    assert response.status_code == 409
    assert "该邮箱已注册" in response.text
    assert await _user_count(database) == 1


async def test_register_returns_to_next(client: httpx.AsyncClient) -> None:
    csrf = await page_csrf(client, "/register?next=/account")

    response = await client.post(
        "/register",
        data={
            "email": "a@example.com",
            "password": PASSWORD,
            "display_name": "甲",
            "next": "/account",
            "csrf_token": csrf,
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/account"


async def test_a_deactivated_user_is_signed_out_of_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await create_user(database, email="buyer@example.com", display_name="停用者")
    await sign_in_page(client, "buyer@example.com")
    assert (await client.get("/account")).status_code == 200
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.is_active = False

    response = await client.get("/account")

    assert response.status_code == 303
    login = await client.get("/login")
    assert "停用者" not in login.text
